"""Memory with many unrelated Secrets: controller RSS with N CRs plus M 50 KB Secrets.

Run: .venv/bin/python bench/secret_memory_bench.py [--objects 5000] [--secrets 10000]
     [--secret-kb 50] [--quick] [--shared-env] [--baseline REV]

A real cluster's namespaces hold many Secrets the controller never reads (Helm
release Secrets of 50-500 KB among them). This measures the controller's RSS
(/proc VmRSS, as keycloak_bench.py does) with N KeycloakClients in sync (5 realms,
one namespace, each with its credentials Secret) plus M unrelated Secrets of
`--secret-kb` KB each, shaped like Helm release Secrets (owner=helm labels, one
large opaque key), in the same watched namespace. RSS is read once every client
is Ready and the queues are idle, then again after a short settle.

`--baseline REV` first measures the controller of another commit (its
`keycloak_controller/` exported from git, as edit_latency_bench.py does), so the
before/after comparison is made inside one run on the same objects;
`--baseline-paths` takes only the named files from REV, e.g. the Secret wiring
from before the cache by need (in keycloak_controller/controllers/):
  --baseline <rev> --baseline-paths <controllers>/{setup,context,secrets}.py

By default a private control plane and Keycloak are started; `--shared-env`
uses the test environment named by KEYCLOAK_CONTROLLER_TESTENV_RUN instead, in
a namespace of its own, deleted at the end. Writes JSON to
bench/results/<timestamp>-secret-memory[-quick].json.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from edit_latency_bench import EditBench, _repo, environment, export_tree
from keycloak_bench import ControllerProcess, ReadyTracker, is_ready, log, wait_for

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SETTLE_S = 5.0


class SecretMemoryBench(EditBench):
    """The edit-latency bench's namespace, Keycloak, realms and clients, plus filler Secrets."""

    def __init__(self, target: Any, args: argparse.Namespace) -> None:
        super().__init__(target, args)
        self.namespace = f"secret-mem-bench-{self.suffix}"

    def filler_secrets(self, m: int, kb: int) -> None:
        # Incompressible bytes, as a Helm release (gzip'd, base64'd) is.
        def create(i: int) -> None:
            body = {
                "metadata": {
                    "name": f"sh.helm.release.v1.filler-{i}.v1",
                    "labels": {"owner": "helm", "name": f"filler-{i}", "status": "deployed"},
                },
                "type": "helm.sh/release.v1",
                "data": {"release": base64.b64encode(os.urandom(kb * 1024)).decode()},
            }
            self.kube.request("POST", f"/api/v1/namespaces/{self.namespace}/secrets", body)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(m)))

    def measure(self, label: str, n: int, tree: Path | None) -> dict[str, Any]:
        process = self.controller(label)
        if tree is not None:
            with _repo(tree):
                controller = process.start()
        else:
            controller = process.start()
        try:
            started = controller.started
            # Every client reconciled once since the start, and nothing left queued.
            controller.wait_reconciled("keycloakclient", n, max(600, 2 * n))
            ready_s = time.monotonic() - started
            rss_idle = controller.rss_mb()
            time.sleep(SETTLE_S)
            rss = controller.rss_mb()
        finally:
            controller.stop()
        result = {
            "rss_mb": round(rss, 1),
            "rss_mb_at_idle": round(rss_idle, 1),
            "reconciled_s": round(ready_s, 1),
        }
        log(f"{label}: {result}")
        return result

    def run(self) -> dict[str, Any]:  # type: ignore[override]
        n, m, kb = self.args.objects, self.args.secrets, self.args.secret_kb
        realms = self.setup()
        self.tracker = ReadyTracker(self.kube, self.namespace).start()
        try:
            first: ControllerProcess = self.controller("converge").start()
            try:
                wait_for(
                    lambda: is_ready(self.kube.get(self.namespace, "keycloaks", "kc")), 120, "kc"
                )
                self.apply_clients(realms, n)
                self.tracker.wait_ready([(f"app-{i}", 1) for i in range(n)], timeout=max(600, n))
                first.wait_reconciled("keycloakclient", n, 600)
            finally:
                first.stop()
            log(f"{n} clients in sync; adding {m} Secrets of {kb} KB")
            started = time.monotonic()
            self.filler_secrets(m, kb)
            log(f"filler Secrets made in {time.monotonic() - started:.1f}s")
            results: dict[str, Any] = {"objects": n, "secrets": m, "secret_kb": kb}
            if self.args.baseline:
                paths = self.args.baseline_paths
                tree = export_tree(self.args.baseline, self.t.workdir, paths)
                results["baseline"] = {
                    "rev": self.args.baseline,
                    "paths": paths,
                    **self.measure("baseline", n, tree),
                }
            results["current"] = self.measure("current", n, None)
            return results
        finally:
            self.tracker.stop()


def table(results: dict[str, Any]) -> str:
    setup = f"{results['objects']} CRs + {results['secrets']} x {results['secret_kb']} KB Secrets"
    rows = [("controller", "setup", "RSS MB", "RSS MB at idle", "reconciled s")]
    runs = [("current", results["current"])]
    if "baseline" in results:
        runs.insert(0, (f"baseline {results['baseline']['rev']}", results["baseline"]))
    for label, run in runs:
        rows.append(
            (label, setup, str(run["rss_mb"]), str(run["rss_mb_at_idle"]), str(run["reconciled_s"]))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, help="KeycloakClients (5000; quick: 100)")
    parser.add_argument("--secrets", type=int, help="unrelated Secrets (10000; quick: 300)")
    parser.add_argument("--secret-kb", type=int, default=50, help="size of each unrelated Secret")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 CRs, 300 Secrets")
    parser.add_argument("--workers", type=int, default=0, help="--workers for the controller")
    parser.add_argument("--shared-env", action="store_true", help="use the shared test env")
    parser.add_argument("--baseline", metavar="REV", help="also measure this commit, first")
    parser.add_argument(
        "--baseline-paths",
        nargs="*",
        default=[],
        metavar="PATH",
        help="with --baseline: only these files as of REV, the rest from this checkout",
    )
    parser.add_argument("--workdir", help="keep logs and the environment here")
    parser.add_argument("--out", default=str(BENCH_DIR / "results"))
    args = parser.parse_args(argv)
    # --quick changes the sizes not given explicitly (`--quick --secrets 0`: no filler).
    if args.objects is None:
        args.objects = 100 if args.quick else 5000
    if args.secrets is None:
        args.secrets = 300 if args.quick else 10000
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    with environment(args) as target:
        bench = SecretMemoryBench(target, args)
        try:
            results = bench.run()
        finally:
            bench.cleanup()
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
    path = out / f"{stamp}-secret-memory{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
