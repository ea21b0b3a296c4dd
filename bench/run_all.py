"""`make bench`: the controller benchmark (bench/keycloak_bench.py), then the runtime one.

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
    return code


if __name__ == "__main__":
    sys.exit(main())
