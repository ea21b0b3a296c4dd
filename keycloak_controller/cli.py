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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import DEFAULT_WORKERS, USER_AGENT, __version__

GIL_SWITCH_INTERVAL = 0.001  # seconds; CPython's default is 0.005

ENV_PREFIX = "KEYCLOAK_CONTROLLER_"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class _FromEnv:
    """A flag's default taken from its environment variable, converted at parse time.

    Converting while the parser is built would let a bad value (e.g.
    KEYCLOAK_CONTROLLER_WORKERS=abc) crash with a traceback, and argparse
    neither converts nor checks `choices` on a default that is not a string;
    `parse_args` reports it as a usage error instead.
    """

    variable: str
    value: str


def _env(flag: str, default: object = None) -> object:
    name = ENV_PREFIX + flag.upper().replace("-", "_")
    value = os.environ.get(name)
    return default if value is None else _FromEnv(name, value)


def _boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected one of {', '.join(_TRUE + _FALSE)}")


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {number}")
    return number


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not seconds > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, got {text!r}")
    return seconds


def _address(text: str) -> str:
    try:
        split_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


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
        type=_positive_int,
        default=_env("workers", DEFAULT_WORKERS),
        help=f"concurrent reconciles per controller (default {DEFAULT_WORKERS})",
    )
    run.add_argument(
        "--resync-period",
        type=_seconds,
        default=_env("resync-period", 600.0),
        help="seconds between drift checks of an in-sync object, jittered by 10%% (default 600)",
    )
    run.add_argument(
        "--leader-elect",
        action=argparse.BooleanOptionalAction,
        default=_env("leader-elect", True),
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
        type=_address,
        default=_env("health-probe-bind-address", None)
        or _env("metrics-bind-address", None)
        or ":8080",
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
    from keycloak_controller.export.command import add_parser as _add_export

    _add_export(sub)
    return parser


def split_address(address: str) -> tuple[str, int]:
    host, colon, port = address.rpartition(":")
    if not colon or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port or :port, got {address!r}")
    return (host or "0.0.0.0", int(port))  # noqa: S104 - probes must be reachable in a pod


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; flags not given take their environment variable or default."""
    parser = build_parser()
    args = parser.parse_args(argv)
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command: argparse.ArgumentParser = commands.choices[args.command]
    for action in command._actions:
        value = getattr(args, action.dest, None)
        if not isinstance(value, _FromEnv):
            continue
        if isinstance(action, argparse.BooleanOptionalAction):
            convert: Callable[[str], object] = _boolean
        else:
            convert = action.type if callable(action.type) else str
        try:
            converted = convert(value.value)
        except (argparse.ArgumentTypeError, ValueError) as error:
            command.error(f"{value.variable}={value.value!r}: {error}")
        if action.choices is not None and converted not in action.choices:
            choices = ", ".join(map(str, action.choices))
            command.error(f"{value.variable}={value.value!r}: expected one of {choices}")
        setattr(args, action.dest, converted)
    return args


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
    from keycloak_controller.runtime.malloc import limit_malloc_arenas, start_heap_trimmer
    from keycloak_controller.runtime.manager import Manager, ManagerOptions

    limit_malloc_arenas()  # before any thread starts: see runtime/malloc.py
    start_heap_trimmer()
    # In-sync reconciles are pure Python, so during a wave the workers hold the GIL
    # back to back, and a thread coming back from a socket read (an edit's
    # requests, a realm's client list) waits up to a switch interval for it each
    # time. 1 ms instead of 5: edits during a 5,000-object cold start were Ready
    # in p50 10.0 s instead of 15.0 s (docs/performance.md).
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
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
    args = parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "run":
        return run(args)
    if args.command == "export":
        from keycloak_controller.export.command import run as export

        return export(args)
    return 2  # pragma: no cover - argparse rejects unknown commands first


if __name__ == "__main__":
    sys.exit(main())
