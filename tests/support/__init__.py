"""Real local components for tests, benchmarks and `make dev`: etcd, kube-apiserver, Keycloak.

Nothing here is a fake. The binaries come from `hack/` (built from the Go module
proxy, downloaded from Maven Central) and are started as ordinary processes.
This is test support, not product: it lives outside `keycloak_controller`, so
neither the wheel nor the container image carries it.
"""
