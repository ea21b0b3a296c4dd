"""Real local components for tests and `make dev`: etcd, kube-apiserver, Keycloak.

Nothing here is a fake. The binaries come from `hack/` (built from the Go module
proxy, downloaded from Maven Central) and are started as ordinary processes.
"""
