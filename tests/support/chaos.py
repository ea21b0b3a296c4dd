"""Failure injection for the chaos tests: SIGKILL a Keycloak, bump and compact etcd
behind the apiserver's back, keep a timeline, and read a controller's log for
exceptions nobody handled.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests

from .controller_process import ControllerProcess
from .controlplane import ControlPlane
from .keycloak_server import KeycloakServer

_GONE_TIMEOUT = 30.0


class DurableKeycloak(KeycloakServer):
    """A `KeycloakServer` whose H2 database keeps every commit it acknowledged.

    H2 writes committed transactions to its file after a delay (WRITE_DELAY, 500 ms
    by default), so a SIGKILL loses the last half second of writes Keycloak had
    already answered 201 to: measured here, 2 of 20 clients created right before
    the kill were gone after the restart. A production database does not forget
    a commit, and a Keycloak that forgets is a restore from backup, not a crash.
    WRITE_DELAY=0 writes each commit to the file before Keycloak answers (into the
    page cache, which a killed process cannot lose).
    """

    def command(self) -> list[str]:
        return [
            f"{arg};WRITE_DELAY=0" if arg.startswith("--db-url=") else arg
            for arg in super().command()
        ]

    def environment(self) -> dict[str, str]:
        # The client JIT only: a restart on a busy 2-core machine took 14-15 s instead
        # of 40-49 s (measured back to back); a test's few hundred requests do not need
        # the optimising compiler, whose threads compete with everything else at boot.
        env = super().environment()
        env["JAVA_OPTS_APPEND"] = " ".join(
            filter(None, [env.get("JAVA_OPTS_APPEND"), "-XX:TieredStopAtLevel=1"])
        )
        return env


def sigkill(server: KeycloakServer) -> None:
    """SIGKILL Keycloak's whole process group (kc.sh and its JVM) and wait until it is gone.

    No shutdown hook runs: whatever the database had not written is lost, as on a
    node crash. `server.start()` afterwards starts it again on the same ports and
    the same database directory.
    """
    process = server.process
    assert process is not None and process.pid is not None, "start() first"
    pid = process.pid
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + _GONE_TIMEOUT
    while process.running() or _group_alive(pid):  # running() reaps kc.sh
        if time.monotonic() > deadline:
            raise AssertionError(f"Keycloak's process group {pid} outlived SIGKILL")
        time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def restart_apiserver_with_compaction(plane: ControlPlane) -> int:
    """Stop the apiserver, move etcd's revision on and compact it, start the apiserver.

    Every watch dies with the apiserver, and every resourceVersion a client held
    is older than the compacted revision when it comes back: the one key written
    straight into etcd (outside the apiserver's /registry prefix, so no resource
    sees it) makes sure of that even for a watch whose last event was the last
    write before the stop. A client that re-watches from where it was gets 410
    Gone and must relist. Returns the compacted revision.
    """
    plane.stop_apiserver()
    key = base64.b64encode(b"/chaos/revision-bump").decode()
    value = base64.b64encode(str(time.time()).encode()).decode()
    put = requests.post(
        f"{plane.etcd_url}/v3/kv/put", json={"key": key, "value": value}, timeout=10
    )
    put.raise_for_status()
    revision = plane.compact_etcd()
    plane.start_apiserver()
    return revision


@dataclass
class Timeline:
    """What the test did to the system, and when (seconds since the start)."""

    started: float = field(default_factory=time.monotonic)
    entries: list[tuple[float, str]] = field(default_factory=list)

    def mark(self, what: str) -> float:
        at = time.monotonic() - self.started
        self.entries.append((at, what))
        return at

    def render(self) -> str:
        return "\n".join(f"  {at:7.1f}s  {what}" for at, what in self.entries)


def unhandled_exceptions(
    process: ControllerProcess, expected: Callable[[dict[str, Any]], bool] | None = None
) -> list[str]:
    """Log lines of `process` that show an exception nobody handled.

    That is: a JSON record carrying a traceback (`exception`, from exc_info, which
    the controller logs only for a reconcile that raised past the skeleton, or an
    event handler that failed), unless `expected(record)` says the test caused it,
    and any line outside the JSON stream that starts a Python traceback (a thread
    that died, an error before logging was set up).
    """
    found: list[str] = []
    for line in process.log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if "Traceback (most recent call last)" in line or line.startswith("Exception in"):
                found.append(line)
            continue
        if not isinstance(record, dict) or not record.get("exception"):
            continue
        if expected is None or not expected(record):
            found.append(f"{record.get('event')}: {record.get('error') or ''}")
    return found


def garbled_lines(process: ControllerProcess) -> list[str]:
    """Non-empty log lines that are not one JSON record (the last line is exempt: a
    SIGKILL may cut it off)."""
    lines = process.log_path.read_text(errors="replace").splitlines()
    garbled = []
    for line in lines[:-1]:
        try:
            if not isinstance(json.loads(line), dict):
                garbled.append(line)
        except ValueError:
            garbled.append(line)
    return [line[:300] for line in garbled]


def duplicates(client_ids: Iterable[str | None]) -> dict[str, int]:
    """The clientIds that occur more than once, with their counts."""
    return {c: n for c, n in Counter(c or "" for c in client_ids).items() if n > 1}
