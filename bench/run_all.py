"""`make bench`: controller (bench/keycloak_bench.py), runtime, takeover, edits, Secret memory.

Run: .venv/bin/python bench/run_all.py [--quick] [--skip-runtime] [keycloak_bench options]

Options this script does not know are passed to keycloak_bench.py, e.g.
`--sizes 100,500` or `--workers 8`. Each benchmark starts its own private
control plane (and Keycloak), so nothing else on the machine is touched. The
controller benchmark prints the table and writes bench/results/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--skip-runtime", action="store_true", help="skip bench/runtime_bench.py")
    parser.add_argument(
        "--skip-takeover", action="store_true", help="skip bench/leader_takeover.py"
    )
    parser.add_argument(
        "--skip-edit-latency", action="store_true", help="skip bench/edit_latency_bench.py"
    )
    parser.add_argument(
        "--skip-secret-memory", action="store_true", help="skip bench/secret_memory_bench.py"
    )
    parser.add_argument("--skip-export", action="store_true", help="skip bench/export_scale.py")
    args, rest = parser.parse_known_args()
    controller = [sys.executable, str(BENCH / "keycloak_bench.py"), *rest]
    if args.quick:
        controller.append("--quick")
    code = subprocess.call(controller)
    if code != 0:
        return code
    if not args.skip_runtime:
        objects = "200" if args.quick else "1000"
        code = subprocess.call(
            [sys.executable, str(BENCH / "runtime_bench.py"), "--objects", objects]
        )
    if code == 0 and not args.skip_takeover:
        takeover = [sys.executable, str(BENCH / "leader_takeover.py")]
        code = subprocess.call([*takeover, "--quick"] if args.quick else takeover)
    if code == 0 and not args.skip_edit_latency:
        edits = [sys.executable, str(BENCH / "edit_latency_bench.py")]
        code = subprocess.call([*edits, "--quick"] if args.quick else edits)
    if code == 0 and not args.skip_secret_memory:
        memory = [sys.executable, str(BENCH / "secret_memory_bench.py")]
        code = subprocess.call([*memory, "--quick"] if args.quick else memory)
    if code == 0 and not args.skip_export:
        export = [sys.executable, str(BENCH / "export_scale.py")]
        code = subprocess.call([*export, "--quick"] if args.quick else export)
    return code


if __name__ == "__main__":
    sys.exit(main())
