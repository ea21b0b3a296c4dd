// Command etcd is etcd's own server entry point, built inside this wrapper
// module so that it resolves against the same dependency graph as the
// Kubernetes release we pin (etcd's server/go.mod uses replace directives,
// which rules out `go install go.etcd.io/etcd/server/v3@...`).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
