"""install_crds is safe to run from several processes at once (as xdist workers do)."""

from __future__ import annotations

import subprocess
import sys

from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.crds import crd_documents

_INSTALL = """
import sys
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.crds import install_crds
print(",".join(install_crds(ControlPlaneEndpoint.from_json(sys.argv[1]))))
"""


def test_concurrent_installs_all_succeed(control_plane: ControlPlaneEndpoint) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _INSTALL, control_plane.to_json()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    expected = ",".join(d["metadata"]["name"] for d in crd_documents())
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert out.strip() == expected
