"""A manager with leader election, run as its own process by test_runtime_leader_election.

Usage: python lease_candidate.py ENDPOINT_JSON NAMESPACE LEASE IDENTITY
Prints `port=<probe port>` once serving, then `leading` when it starts leading.
SIGTERM stops it gracefully (and releases the Lease); exit 0.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kubernetes import client as k8s

# Run as a script: the checkout's root makes tests.support importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from keycloak_controller.runtime.leaderelection import LeaderElectionConfig
from keycloak_controller.runtime.manager import Manager, ManagerOptions
from keycloak_controller.runtime.objects import CONFIG_MAPS
from keycloak_controller.runtime.reconcile import Request, Result
from tests.support.controlplane import ControlPlaneEndpoint


class Noop:
    def reconcile(self, request: Request) -> Result:
        return Result()


def main() -> int:
    endpoint = ControlPlaneEndpoint.from_json(sys.argv[1])
    namespace, lease, identity = sys.argv[2], sys.argv[3], sys.argv[4]
    cfg = k8s.Configuration()
    cfg.host = endpoint.host
    cfg.ssl_ca_cert = endpoint.ca_cert
    cfg.cert_file = endpoint.admin_cert
    cfg.key_file = endpoint.admin_key
    manager = Manager(
        cfg,
        ManagerOptions(
            leader_election=LeaderElectionConfig(
                lease, namespace, identity, lease_duration=4, renew_deadline=3, retry_period=1
            ),
            probe_port=0,
        ),
    )
    controller = manager.controller("noop", Noop())
    controller.watch_for(manager.informer(CONFIG_MAPS, namespaces=[namespace]))
    manager.install_signal_handlers()
    manager.start()
    assert manager.server is not None
    print(f"port={manager.server.port}", flush=True)
    announced = False
    while not manager.wait_for_stop_request(0.05):
        if manager.is_leader and not announced:
            announced = True
            print("leading", flush=True)
    return 0 if manager.stop() else 1


if __name__ == "__main__":
    sys.exit(main())
