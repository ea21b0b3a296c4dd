"""Leader takeover time: SIGKILL the leading controller mid-rollout, time the standby.

Run: .venv/bin/python bench/leader_takeover.py [--rounds 3] [--clients 30] [--quick]

Starts its own etcd + kube-apiserver and Keycloak (canonical version), like
bench/keycloak_bench.py, unless `--testenv RUN_DIR` names a running test
environment to use instead (a developer's shortcut). Each round runs two
`keycloak-controller run` processes with leader election at the default lease
settings (15 s lease, 10 s renew deadline, 2 s retry) on a fresh Lease, creates
`--clients` KeycloakClients, SIGKILLs the leader once its audit trail shows it
writing them, and reads the standby's JSON logs for
- `to_leading_s`: SIGKILL -> the standby's "became leader";
- `to_first_write_s`: SIGKILL -> its first Keycloak write (the takeover time);
- `to_all_ready_s`: SIGKILL -> every client Ready.
The figures depend on when in the renew cycle the kill lands (up to one retry
period) and on the standby's jittered retry; the expected takeover is between
lease_duration - retry_period and lease_duration + 1.2 * retry_period after the
old leader's last renewal. Prints the table and writes
bench/results/leader-takeover-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support lives in the checkout

from keycloak_controller.runtime.leaderelection import LeaderElectionConfig
from tests.support.controller_harness import Kube, client_object, keycloak_object, realm_object
from tests.support.controller_process import ControllerProcess
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.rbac import controller_identity

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
TIMEOUT = 180.0
DEFAULTS = LeaderElectionConfig("-", "-", "-")  # the settings the CLI runs with


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def one_round(
    endpoint: ControlPlaneEndpoint, kc: KeycloakEndpoint, clients: int, workdir: Path
) -> dict[str, Any]:
    kube = Kube(endpoint)
    suffix = uuid.uuid4().hex[:8]
    ns = kube.namespace(f"takeover-{suffix}")
    identity = controller_identity(endpoint)
    a = ControllerProcess(identity, [ns], f"takeover-{suffix}", workdir, f"{suffix}-a")
    b: ControllerProcess | None = None
    try:
        wait_for(a.leading, "the first process to lead")
        b = ControllerProcess(identity, [ns], f"takeover-{suffix}", workdir, f"{suffix}-b")
        kube.secret(ns, "admin", {"username": kc.admin_username, "password": kc.admin_password})
        kube.create("keycloaks", ns, keycloak_object("kc", kc, "admin"))
        kube.create("keycloakrealms", ns, realm_object("realm", "kc", f"takeover-{suffix}"))
        wait_for(lambda: kube.is_ready("keycloakrealms", ns, "realm"), "the realm Ready")
        standby = b
        wait_for(lambda: "caches synced" in standby.log_path.read_text(), "the standby warm")
        names = [f"app-{i:03d}" for i in range(clients)]
        for name in names:
            kube.create("keycloakclients", ns, client_object(name, "realm", name))
        wait_for(
            lambda: any(w["cr_kind"] == "KeycloakClient" for w in a.writes()),
            "the leader writing clients",
        )
        a.kill()
        killed = dt.datetime.now(dt.UTC)
        wait_for(standby.leading, "the standby to lead")
        wait_for(lambda: bool(standby.writes()), "the standby's first write")
        wait_for(
            lambda: all(kube.is_ready("keycloakclients", ns, n) for n in names), "clients Ready"
        )
        all_ready = dt.datetime.now(dt.UTC)
        led = standby.events("became leader")[0].at
        first = min(w.at for w in standby.writes())
        return {
            "to_leading_s": round((led - killed).total_seconds(), 2),
            "to_first_write_s": round((first - killed).total_seconds(), 2),
            "to_all_ready_s": round((all_ready - killed).total_seconds(), 2),
            "writes_before_kill": len(a.writes()),
            "writes_after_kill": len(standby.writes()),
        }
    finally:
        a.kill()
        if b is not None:
            b.stop()
        kube.core.delete_namespace(ns)


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"rounds": rounds}
    for key in ("to_leading_s", "to_first_write_s", "to_all_ready_s"):
        values = [r[key] for r in rounds]
        out[key] = {"median": round(statistics.median(values), 2), "max": max(values)}
    return out


def table(results: dict[str, Any]) -> str:
    t = results["takeover"]
    lines = ["leader takeover (SIGKILL ->)   median    max"]
    for key, label in (
        ("to_leading_s", "standby leads"),
        ("to_first_write_s", "first write (takeover)"),
        ("to_all_ready_s", "all clients Ready"),
    ):
        lines.append(f"  {label:<28} {t[key]['median']:>6.2f}s {t[key]['max']:>6.2f}s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="one round: a smoke run")
    parser.add_argument("--testenv", help="use this running test environment's run directory")
    parser.add_argument("--workdir", help="keep the environment here (default: a temp dir)")
    parser.add_argument("--out", default=str(BENCH_DIR / "results"))
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="keycloak-controller-takeover-"))
    started = time.monotonic()
    stop: Callable[[], None] = lambda: None  # noqa: E731
    if args.testenv:
        from tests.support.config import canonical_keycloak_version
        from tests.support.shared import SharedEnvironment

        shared = SharedEnvironment(Path(args.testenv))
        endpoint, kc = shared.control_plane(), shared.keycloak(canonical_keycloak_version())
        from tests.support.crds import install_crds

        install_crds(endpoint)
    else:
        from keycloak_bench import start_env  # the same private environment

        log(f"starting a private control plane and Keycloak in {workdir}")
        env = start_env(workdir)
        endpoint, kc = env.endpoint, env.kc

        def stop() -> None:
            env.plane.stop()
            env.keycloak.stop()

    try:
        rounds = []
        for number in range(args.rounds):
            rounds.append(one_round(endpoint, kc, args.clients, workdir / f"round-{number}"))
            log(f"round {number + 1}/{args.rounds}: {rounds[-1]}")
    finally:
        stop()
    results: dict[str, Any] = {
        "takeover": summary(rounds),
        "meta": {
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "keycloak_version": kc.version,
            "cpus": os.cpu_count(),
            "clients": args.clients,
            "lease": {
                "duration_s": DEFAULTS.lease_duration,
                "renew_deadline_s": DEFAULTS.renew_deadline,
                "retry_period_s": DEFAULTS.retry_period,
            },
            "private_environment": not args.testenv,
            "bench_seconds": round(time.monotonic() - started, 1),
        },
    }
    print(table(results))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out / f"leader-takeover-{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
