"""Start a real server process, wait until it is ready, stop it cleanly.

Each process gets its own session (process group) so that a stop also ends
whatever it forked (kc.sh starts a JVM), and its output goes to a log file that
stays behind when a start fails, so the error can name it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class StartError(RuntimeError):
    """A component did not become ready; the message names its log file."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text[-lines:])


class ServerProcess:
    """One long-running component: etcd, kube-apiserver or Keycloak."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def wait_ready(
        self, probe: Callable[[], bool], *, timeout: float, interval: float = 0.2
    ) -> float:
        """Poll `probe` until it returns True; return the seconds it took."""
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if not self.running():
                code = self._popen.returncode if self._popen else None
                raise StartError(
                    f"{self.name} exited with code {code} before it was ready; "
                    f"log: {self.log_path}\n{log_tail(self.log_path)}"
                )
            with contextlib.suppress(Exception):
                if probe():
                    return time.monotonic() - started
            time.sleep(interval)
        raise StartError(
            f"{self.name} was not ready after {timeout:.0f}s; log: {self.log_path}\n"
            f"{log_tail(self.log_path)}"
        )

    def stop(self, timeout: float = 20.0) -> None:
        if self._popen is None:
            return
        terminate_group(self._popen.pid, timeout=timeout)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout=1)
        self._popen = None


def terminate_group(pid: int, *, timeout: float = 20.0) -> None:
    """SIGTERM the process group led by `pid`, then SIGKILL what is left."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        # Reap our own child if it is one, so the group can disappear.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
