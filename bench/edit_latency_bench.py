"""Edit latency under load: edit -> Ready while a cold start or a resync wave is in flight.

Run: .venv/bin/python bench/edit_latency_bench.py [--objects 5000] [--edits 50] [--quick]
     [--shared-env]

With N KeycloakClients in sync (5 realms, one namespace), measures edit-to-Ready
(apply -> Ready at the new generation, seen through a watch) for E edits:
1. during a cold start: the controller is restarted, so all N come back through
   its informer's initial list (low priority) and the edits arrive mid-wave;
2. during a resync wave: the controller runs with a resync period so short
   (N / 2,000 s) that resyncs come due faster than they can be worked, so
   low-priority resyncs are always queued (the queue depth during the edits is
   reported to show it).
The edits are issued at a fixed pace, early in the wave, without waiting for each
other; the cold start also reports how long the wave itself took and when the
last edit was Ready. Edit-to-Ready includes Keycloak's own write.

`--baseline REV` runs both phases a second time, first, with the controller of
another commit (its `keycloak_controller/` exported from git into the work
directory), for a before/after comparison within one run; `--baseline-paths`
takes only the named files from REV and the rest from this checkout, e.g. the
work queue and its callers from before the priority queue (in keycloak_controller/runtime/):
  --baseline <rev> --baseline-paths <runtime>/{workqueue,controller,handler,informer}.py

By default a private control plane and Keycloak are started (as keycloak_bench.py
does); `--shared-env` uses the test environment named by
KEYCLOAK_CONTROLLER_TESTENV_RUN instead, in a namespace of its own. Writes JSON
to bench/results/<timestamp>-edit-latency[-quick].json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keycloak_bench
from keycloak_bench import (
    REALMS,
    ControllerProcess,
    Kube,
    ReadyTracker,
    client_spec,
    is_ready,
    log,
    percentile,
    start_env,
    wait_for,
)

from tests.support.config import canonical_keycloak_version
from tests.support.controller_harness import (
    client_object,
    keycloak_object,
    realm_object,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.rbac import controller_identity
from tests.support.shared import RUN_DIR_ENV, SharedEnvironment

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent


@dataclass
class Target:
    kube: Kube
    kc: KeycloakEndpoint
    endpoint: ControlPlaneEndpoint
    workdir: Path


@contextmanager
def environment(args: argparse.Namespace) -> Iterator[Target]:
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="keycloak-controller-edit-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.shared_env:
        run_dir = os.environ.get(RUN_DIR_ENV)
        if not run_dir:
            raise SystemExit(f"--shared-env needs {RUN_DIR_ENV}")
        shared = SharedEnvironment(Path(run_dir))
        endpoint = shared.control_plane()
        kc = shared.keycloak(canonical_keycloak_version())
        log(f"using the shared environment in {run_dir}")
        yield Target(Kube(endpoint), kc, endpoint, workdir)
        return
    log(f"starting a private control plane and Keycloak in {workdir}")
    env = start_env(workdir)
    try:
        yield Target(env.kube, env.kc, env.endpoint, workdir)
    finally:
        env.plane.stop()
        env.keycloak.stop()


class EditBench:
    def __init__(self, target: Target, args: argparse.Namespace) -> None:
        self.t = target
        self.args = args
        self.kube = target.kube
        self.suffix = uuid.uuid4().hex[:6]
        self.namespace = f"edit-bench-{self.suffix}"
        identity = controller_identity(target.endpoint)
        self.kubeconfig = str(identity.kubeconfig(target.workdir / "controller.kubeconfig"))
        self.extra = ["--workers", str(args.workers)] if args.workers else []
        self.tracker: ReadyTracker | None = None
        self.edit_round = 0

    def controller(self, name: str, *extra: str, tree: Path | None = None) -> ControllerProcess:
        """A controller process, from this checkout or from `tree` (a baseline)."""
        log_path = self.t.workdir / "logs" / f"edit-bench-{name}.log"
        process = ControllerProcess(
            self.kubeconfig, self.namespace, log_path, [*self.extra, *extra]
        )
        if tree is not None:
            start = process.start

            def start_in_tree() -> ControllerProcess:
                # keycloak_bench starts `python -m keycloak_controller.cli` in REPO.
                with _repo(tree):
                    return start()

            process.start = start_in_tree  # type: ignore[method-assign]
        return process

    def setup(self) -> list[str]:
        kc, ns = self.t.kc, self.namespace
        self.kube.namespace(ns)
        self.kube.secret(
            ns, "keycloak-admin", {"username": kc.admin_username, "password": kc.admin_password}
        )
        self.kube.create(ns, "keycloaks", keycloak_object("kc", kc, "keycloak-admin"))
        realms = [f"r{i}" for i in range(REALMS)]
        for realm in realms:
            # Keycloak realm names are global: a unique suffix keeps a shared Keycloak apart.
            self.kube.create(
                ns, "keycloakrealms", realm_object(realm, "kc", f"eb{self.suffix}{realm}")
            )
        return realms

    def apply_clients(self, realms: list[str], n: int) -> None:
        def create(i: int) -> None:
            spec = client_spec(i, realms[i % len(realms)], suffix=f"-{self.suffix}")
            realm, client_id = spec.pop("realmRef")["name"], spec.pop("clientId")
            self.kube.create(
                self.namespace,
                "keycloakclients",
                client_object(f"app-{i}", realm, client_id, **spec),
            )

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(n)))

    def edits(self, controller: ControllerProcess, n: int) -> dict[str, Any]:
        """E edits at a fixed pace to clients spread over the list order; -> Ready each."""
        assert self.tracker is not None
        self.edit_round += 1
        edits = self.args.edits
        names = [f"app-{(n - 1 - k * 7919) % n}" for k in range(edits)]
        applied: dict[tuple[str, int], float] = {}
        depths: list[float] = []
        for k, name in enumerate(names):
            started = time.monotonic()
            body = {"spec": {"description": f"edit {self.edit_round}.{k} at {time.time():.3f}"}}
            updated = self.kube.patch(self.namespace, "keycloakclients", name, body)
            applied[(name, int(updated["metadata"]["generation"]))] = started
            depths.append(sum(controller.scrape().depth.values()))
            time.sleep(self.args.edit_interval)
        ready = self.tracker.wait_ready(applied, timeout=600)
        latencies = [ready[key] - applied[key] for key in applied]
        return {
            "edits": len(latencies),
            "p50_s": round(percentile(latencies, 0.5), 3),
            "p99_s": round(percentile(latencies, 0.99), 3),
            "max_s": round(max(latencies), 3),
            "mean_s": round(statistics.fmean(latencies), 3),
            "queue_depth_during_edits_mean": round(statistics.fmean(depths), 1),
            "queue_depth_during_edits_min": min(depths),
            "_ready_at": max(ready.values()),
        }

    def cold_start(self, n: int, tree: Path | None) -> tuple[dict[str, Any], ControllerProcess]:
        controller = self.controller("cold", tree=tree).start()
        started = controller.started
        # /readyz means synced caches: the initial list is queued. Edit at once.
        wait_for(lambda: controller.scrape().reconciles.get("keycloakclient", 0) >= 1, 120, "wave")
        result = self.edits(controller, n)
        last_edit_ready = result.pop("_ready_at")
        # Idle (nothing queued, nothing running) twice 0.3 s apart: the wave is over.
        controller.wait_reconciled("keycloakclient", n, 1800)
        wave_end = time.monotonic()
        result.update(
            objects=n,
            wave_s=round(wave_end - started, 2),
            last_edit_ready_s_into_wave=round(last_edit_ready - started, 2),
            all_edits_ready_before_wave_end=last_edit_ready < wave_end - 0.6,
        )
        return result, controller

    def resync_wave(self, n: int, tree: Path | None) -> dict[str, Any]:
        # Resyncs due at 2,000/s: more than the controller works, so they always wait.
        period = max(0.05, round(n / 2000, 3))
        controller = self.controller("resync", "--resync-period", str(period), tree=tree).start()
        try:
            # After two passes the cold start is over and only resyncs are left.
            wait_for(
                lambda: controller.scrape().reconciles.get("keycloakclient", 0) >= 2 * n,
                1800,
                "two passes",
                every=0.5,
            )
            result = self.edits(controller, n)
            result.pop("_ready_at")
            result.update(objects=n, resync_period_s=period)
            return result
        finally:
            controller.stop()

    def phases(self, n: int, tree: Path | None) -> dict[str, Any]:
        label = "baseline" if tree is not None else "current"
        cold, controller = self.cold_start(n, tree)
        controller.stop()
        log(f"{label} cold start: {cold}")
        resync = self.resync_wave(n, tree)
        log(f"{label} resync wave: {resync}")
        return {"cold_start": cold, "resync_wave": resync}

    def run(self) -> dict[str, Any]:
        n = self.args.objects
        realms = self.setup()
        self.tracker = ReadyTracker(self.kube, self.namespace).start()
        try:
            first = self.controller("converge").start()
            try:
                wait_for(
                    lambda: is_ready(self.kube.get(self.namespace, "keycloaks", "kc")), 120, "kc"
                )
                for realm in realms:
                    wait_for(
                        lambda r=realm: is_ready(
                            self.kube.get(self.namespace, "keycloakrealms", r)
                        ),  # type: ignore[misc]
                        180,
                        f"realm {realm}",
                    )
                started = time.monotonic()
                self.apply_clients(realms, n)
                self.tracker.wait_ready([(f"app-{i}", 1) for i in range(n)], timeout=max(600, n))
                converge_s = time.monotonic() - started
                first.wait_reconciled("keycloakclient", n, 600)
            finally:
                first.stop()
            log(f"converged {n} clients in {converge_s:.1f}s")
            results: dict[str, Any] = {"converge_s": round(converge_s, 2)}
            if self.args.baseline:
                tree = export_tree(self.args.baseline, self.t.workdir, self.args.baseline_paths)
                results["baseline"] = {"rev": self.args.baseline, **self.phases(n, tree)}
            results.update(self.phases(n, None))
            return results
        finally:
            self.tracker.stop()

    def cleanup(self) -> None:
        """On a shared environment, delete what was made, through a controller (the
        finalizers remove the clients and realms from the shared Keycloak)."""
        if not self.args.shared_env:
            return
        controller = self.controller("cleanup").start()
        try:
            plurals = ("keycloakclients", "keycloakrealms", "keycloaks")
            for plural in plurals:
                self.kube.request("DELETE", Kube.custom(self.namespace, plural))

            def gone() -> bool:
                try:
                    return all(
                        not self.kube.request("GET", Kube.custom(self.namespace, p))["items"]
                        for p in plurals
                    )
                except RuntimeError as error:  # a shared apiserver may be busy: ask again
                    log(f"cleanup: {str(error)[:120]}")
                    return False

            wait_for(gone, 900, "the bench's objects to be deleted", every=1.0)
        finally:
            controller.stop()
        self.kube.request("DELETE", f"/api/v1/namespaces/{self.namespace}")


@contextlib.contextmanager
def _repo(tree: Path) -> Iterator[None]:
    saved = keycloak_bench.REPO
    keycloak_bench.REPO = tree
    try:
        yield
    finally:
        keycloak_bench.REPO = saved


def export_tree(rev: str, workdir: Path, paths: list[str]) -> Path:
    """The controller package as of `rev`, in a directory of its own; with `paths`,
    this checkout's package with only those files as of `rev`."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    tree = workdir / f"baseline-{sha[:12]}{'-files' if paths else ''}"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    if not paths:
        archive = subprocess.run(
            ["git", "archive", sha, "keycloak_controller"],
            cwd=REPO,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        return tree
    shutil.copytree(
        REPO / "keycloak_controller",
        tree / "keycloak_controller",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for path in paths:
        old = subprocess.run(
            ["git", "show", f"{sha}:{path}"], cwd=REPO, check=True, capture_output=True
        ).stdout
        (tree / path).write_bytes(old)
    return tree


def table(results: dict[str, Any]) -> str:
    rows = [
        ("controller", "phase", "objects", "edits", "p50 s", "p99 s", "max s", "wave s", "depth")
    ]
    runs = [("current", results)]
    if "baseline" in results:
        runs.insert(0, (f"baseline {results['baseline']['rev']}", results["baseline"]))
    for label, run in runs:
        for phase in ("cold_start", "resync_wave"):
            r = run[phase]
            rows.append(
                (
                    label,
                    phase,
                    str(r["objects"]),
                    str(r["edits"]),
                    str(r["p50_s"]),
                    str(r["p99_s"]),
                    str(r["max_s"]),
                    str(r.get("wave_s", "")),
                    str(r["queue_depth_during_edits_mean"]),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def write_results(
    results: dict[str, Any], args: argparse.Namespace, target: Target, started: float
) -> None:
    results["meta"] = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "keycloak_version": target.kc.version,
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "shared_env": args.shared_env,
        "bench_seconds": round(time.monotonic() - started, 1),
        "args": {k: v for k, v in vars(args).items() if k not in ("workdir", "out")},
    }
    print(table(results))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out / f"{stamp}-edit-latency{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--edit-interval", type=float, default=0.05, help="seconds between edits")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 objects, 10 edits")
    parser.add_argument("--workers", type=int, default=0, help="--workers for the controller")
    parser.add_argument("--shared-env", action="store_true", help=f"use {RUN_DIR_ENV}")
    parser.add_argument(
        "--baseline", metavar="REV", help="also measure the controller of this commit, first"
    )
    parser.add_argument(
        "--baseline-paths",
        nargs="*",
        default=[],
        metavar="PATH",
        help="with --baseline: only these files as of REV, the rest from this checkout",
    )
    parser.add_argument("--workdir", help="keep logs and the environment here")
    parser.add_argument(
        "--cleanup",
        metavar="NAMESPACE",
        help="with --shared-env: delete a left-over bench namespace",
    )
    parser.add_argument("--out", default=str(BENCH_DIR / "results"))
    args = parser.parse_args(argv)
    if args.quick:
        args.objects, args.edits = 200, 10
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    with environment(args) as target:
        bench = EditBench(target, args)
        if args.cleanup:  # what an interrupted --shared-env run left behind
            bench.namespace = args.cleanup
            bench.cleanup()
            return 0
        try:
            results = bench.run()
            write_results(results, args, target, started)
        finally:
            bench.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
