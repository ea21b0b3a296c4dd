"""The arena cap applies on glibc and yields to an explicit MALLOC_ARENA_MAX."""

from __future__ import annotations

import platform
import subprocess
import sys
import threading

import pytest

from keycloak_controller.runtime.malloc import limit_malloc_arenas, start_heap_trimmer, trim_heap


def test_an_explicit_environment_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


def test_glibc_accepts_the_cap_in_a_fresh_process() -> None:
    # A child process, so this test run's allocator is left alone.
    code = (
        "import os; os.environ.pop('MALLOC_ARENA_MAX', None); "
        "from keycloak_controller.runtime.malloc import limit_malloc_arenas; "
        "print(limit_malloc_arenas())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    expected = "True" if platform.libc_ver()[0] == "glibc" else "False"
    assert out == expected


def test_the_trimmer_runs_on_a_daemon_thread_until_stopped() -> None:
    if platform.libc_ver()[0] != "glibc":
        assert start_heap_trimmer(0.01) is None
        return
    stop = threading.Event()
    thread = start_heap_trimmer(0.01, stop)
    assert thread is not None and thread.daemon and thread.is_alive()
    stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()
    assert trim_heap() is True
