"""The `keycloak-controller` command.

`keycloak-controller run` starts the Keycloak, KeycloakRealm and KeycloakClient
controllers. Every flag can also come from an environment variable named
KEYCLOAK_CONTROLLER_<FLAG> (upper case, dashes as underscores), e.g.
KEYCLOAK_CONTROLLER_NAMESPACES=team-a,team-b; a flag on the command line wins.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import uuid
from collections.abc import Sequence

from . import USER_AGENT, __version__

ENV_PREFIX = "KEYCLOAK_CONTROLLER_"


def _env(flag: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + flag.upper().replace("-", "_"), default)


def _env_bool(flag: str, default: bool) -> bool:
    value = _env(flag)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run",
        help="run the controllers",
        description=(
            "Run the controllers. Every flag also reads KEYCLOAK_CONTROLLER_<FLAG>, e.g. "
            "KEYCLOAK_CONTROLLER_RESYNC_PERIOD=300."
        ),
    )
    run.add_argument(
        "--kubeconfig",
        default=_env("kubeconfig"),
        help="kubeconfig file; unset: in-cluster configuration, else $KUBECONFIG or ~/.kube/config",
    )
    run.add_argument(
        "--namespaces",
        default=_env("namespaces", ""),
        help="comma-separated namespaces to watch; empty: all namespaces",
    )
    run.add_argument(
        "--workers",
        type=int,
        # 8 measured best for a cold start of 1,000 clients on 2 cores: the
        # workers mostly wait on Keycloak and the apiserver (bench/results/).
        default=int(_env("workers", "8") or 8),
        help="concurrent reconciles per controller (default 8)",
    )
    run.add_argument(
        "--resync-period",
        type=float,
        default=float(_env("resync-period", "600") or 600),
        help="seconds between drift checks of an in-sync object, jittered by 10%% (default 600)",
    )
    run.add_argument(
        "--leader-elect",
        action=argparse.BooleanOptionalAction,
        default=_env_bool("leader-elect", True),
        help="elect a leader through a Lease so that only one replica reconciles (default on)",
    )
    run.add_argument(
        "--leader-election-namespace",
        default=_env("leader-election-namespace"),
        help="namespace of the Lease; default: the pod's namespace in a cluster, else default",
    )
    run.add_argument(
        "--leader-election-id",
        default=_env("leader-election-id", "keycloak-controller"),
        help="name of the Lease (default keycloak-controller)",
    )
    run.add_argument(
        "--health-probe-bind-address",
        "--metrics-bind-address",
        dest="probe_address",
        default=_env("health-probe-bind-address") or _env("metrics-bind-address") or ":8080",
        help="host:port serving /metrics, /healthz and /readyz; the runtime serves all three on "
        "one port, so --metrics-bind-address is the same setting (default :8080; port 0 picks "
        "a free port)",
    )
    run.add_argument(
        "--log-level",
        default=_env("log-level", "info"),
        choices=["debug", "info", "warning", "error"],
        help="log level (default info)",
    )
    run.add_argument(
        "--log-format",
        default=_env("log-format", "auto"),
        choices=["auto", "json", "console"],
        help="json lines, or readable console text; auto (default): console when stderr is a "
        "terminal, else json",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keycloak-controller",
        description="Kubernetes operator that manages Keycloak realms and clients.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print the version and exit")
    _add_run(sub)
    return parser


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return (host or "0.0.0.0", int(port))  # noqa: S104 - probes must be reachable in a pod


def configure_logging(level_name: str, log_format: str = "auto") -> None:
    from keycloak_controller.runtime import logging as runtime_logging

    level = getattr(logging, level_name.upper())
    if log_format == "auto":
        # A person is watching: readable lines instead of JSON.
        log_format = "console" if sys.stderr.isatty() else "json"
    runtime_logging.configure(level, log_format="console" if log_format == "console" else "json")


def run(args: argparse.Namespace) -> int:
    from kubernetes import client as k8s
    from kubernetes import config as kube_config

    from keycloak_controller.controllers.reporting import Timing
    from keycloak_controller.controllers.setup import ControllerOptions, setup_controllers
    from keycloak_controller.runtime.leaderelection import LeaderElectionConfig
    from keycloak_controller.runtime.malloc import limit_malloc_arenas
    from keycloak_controller.runtime.manager import Manager, ManagerOptions

    limit_malloc_arenas()  # before any thread starts: see runtime/malloc.py
    configure_logging(args.log_level, args.log_format)
    configuration = k8s.Configuration()
    in_cluster = False
    if args.kubeconfig:
        kube_config.load_kube_config(  # type: ignore[no-untyped-call]
            args.kubeconfig, client_configuration=configuration
        )
    else:
        try:
            kube_config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
            in_cluster = True
        except kube_config.ConfigException:
            kube_config.load_kube_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
    election = None
    if args.leader_elect:
        namespace = args.leader_election_namespace or _pod_namespace(in_cluster)
        election = LeaderElectionConfig(
            lease_name=args.leader_election_id,
            lease_namespace=namespace,
            identity=f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}",
        )
    host, port = split_address(args.probe_address)
    manager = Manager(
        configuration,
        ManagerOptions(
            leader_election=election,
            probe_host=host,
            probe_port=port,
            user_agent=USER_AGENT,
        ),
    )
    namespaces = [n.strip() for n in args.namespaces.split(",") if n.strip()] or None
    controllers = setup_controllers(
        manager,
        ControllerOptions(
            namespaces=namespaces,
            workers=args.workers,
            timing=Timing(resync_period=args.resync_period),
        ),
    )
    try:
        return 0 if manager.run() else 1
    finally:
        controllers.close()


def _pod_namespace(in_cluster: bool) -> str:
    path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    if in_cluster and os.path.exists(path):
        with open(path) as handle:
            return handle.read().strip()
    return "default"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "run":
        return run(args)
    return 2  # pragma: no cover - argparse rejects unknown commands first


if __name__ == "__main__":
    sys.exit(main())
