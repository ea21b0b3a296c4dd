"""ServerProcess reports failed starts with their log, and stops whole process groups."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.process import ServerProcess, StartError


def test_a_process_that_exits_early_names_its_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "broken.log"
    proc = ServerProcess(
        "broken", [sys.executable, "-c", "print('bad flag --frobnicate'); raise SystemExit(3)"], log
    )
    proc.start()
    with pytest.raises(StartError) as failure:
        proc.wait_ready(lambda: False, timeout=30)
    assert str(log) in str(failure.value)
    assert "code 3" in str(failure.value)
    assert "bad flag --frobnicate" in str(failure.value)


def test_stop_ends_the_children_it_forked(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    # The parent forks a long-lived child (like kc.sh starting a JVM) and waits.
    script = (
        "import subprocess, sys, time;"
        f"c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
        f"open({str(pid_file)!r}, 'w').write(str(c.pid));"
        "c.wait()"
    )
    proc = ServerProcess("parent", [sys.executable, "-c", script], tmp_path / "parent.log")
    proc.start()
    proc.wait_ready(lambda: pid_file.exists() and pid_file.read_text() != "", timeout=30)
    child = int(pid_file.read_text())
    proc.stop(timeout=10)
    assert not proc.running()
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
