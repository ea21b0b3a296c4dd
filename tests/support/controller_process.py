"""`keycloak-controller run` as a real process, and what its JSON logs say it did.

For tests that need more than one controller process (leader election, fencing):
each process runs the CLI as the deploy/default ServiceAccount, with leader
election on a Lease of the test's choosing, and logs JSON to a file the test
reads back: the audit trail of its Keycloak writes (runtime/audit.py) and its
election messages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keycloak_controller.runtime import audit

from .config import REPO_ROOT
from .process import free_port, log_tail
from .rbac import SYSTEM_NAMESPACE, ControllerIdentity


@dataclass(frozen=True)
class LogRecord:
    at: dt.datetime
    event: str
    fields: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.fields.get(key)


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class ControllerProcess:
    """One `python -m keycloak_controller.cli run` with leader election on `lease`."""

    def __init__(
        self,
        identity: ControllerIdentity,
        namespaces: list[str],
        lease: str,
        workdir: Path,
        name: str,
        *,
        workers: int = 2,
        lease_namespace: str = SYSTEM_NAMESPACE,
        leader_elect: bool = True,
    ) -> None:
        self.name = name
        workdir.mkdir(parents=True, exist_ok=True)
        kubeconfig = identity.kubeconfig(workdir / f"{name}.kubeconfig")
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEYCLOAK_CONTROLLER_")}
        env.pop("KUBECONFIG", None)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "keycloak_controller.cli", "run",
                    "--kubeconfig", str(kubeconfig),
                    "--namespaces", ",".join(namespaces),
                    *(
                        ["--leader-elect", "--leader-election-namespace", lease_namespace,
                         "--leader-election-id", lease]
                        if leader_elect
                        else ["--no-leader-elect"]  # one replica: no Lease, no renew deadline
                    ),
                    "--metrics-bind-address", f"127.0.0.1:{self.port}",
                    "--workers", str(workers),
                    "--log-format", "json",
                ],
                stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=REPO_ROOT,
            )  # fmt: skip

    def records(self) -> list[LogRecord]:
        """Every JSON log line so far (a line cut off by SIGKILL is skipped)."""
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                raw = json.loads(line)
            except ValueError:
                continue
            if isinstance(raw, dict) and "timestamp" in raw and "event" in raw:
                found.append(LogRecord(parse_time(raw["timestamp"]), str(raw["event"]), raw))
        return found

    def events(self, event: str) -> list[LogRecord]:
        return [r for r in self.records() if r.event == event]

    def writes(self) -> list[LogRecord]:
        """The audit records of writes put on the wire (one per request, at its start)."""
        return self.events(audit.WRITE)

    @property
    def identity(self) -> str | None:
        """The Lease holder identity it campaigns as (logged once it leads)."""
        led = self.events("became leader")
        return str(led[0]["identity"]) if led else None

    def leading(self) -> bool:
        return bool(self.events("became leader"))

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(30)

    def tail(self) -> str:
        return log_tail(self.log_path, 40)
