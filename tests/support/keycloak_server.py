"""A real Keycloak, started from the distribution that hack/fetch-keycloak.sh unpacked."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

from .config import cache_root, keycloak_home
from .process import ServerProcess, free_port

# A first start creates the schema and the master realm; on a busy 2-core
# machine that can take well over a minute.
_START_TIMEOUT = 240.0


@dataclass(frozen=True)
class KeycloakEndpoint:
    """How to reach a running Keycloak; JSON-serialisable for other processes."""

    version: str
    base_url: str
    management_url: str
    admin_username: str
    admin_password: str = field(repr=False)
    log_file: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> KeycloakEndpoint:
        return cls(**json.loads(text))


class KeycloakServer:
    """One Keycloak of a pinned version, on free ports, with its own H2 database."""

    def __init__(self, version: str, workdir: Path) -> None:
        self.version = version
        self.workdir = workdir
        self.home = keycloak_home(version)
        self.major = int(version.split(".")[0])
        self.http_port = free_port()
        # Keycloak 25 moved health and metrics to a separate management port;
        # 24 serves them on the main HTTP port.
        self.management_port = free_port() if self.major >= 25 else self.http_port
        self.admin_username = "admin"
        self.admin_password = secrets.token_urlsafe(16)
        self.process: ServerProcess | None = None
        self.startup_seconds: float | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}"

    @property
    def endpoint(self) -> KeycloakEndpoint:
        assert self.process is not None, "start() first"
        return KeycloakEndpoint(
            version=self.version,
            base_url=self.base_url,
            management_url=self.management_url,
            admin_username=self.admin_username,
            admin_password=self.admin_password,
            log_file=str(self.process.log_path),
        )

    def _provisioned(self, name: str) -> str:
        return (cache_root() / "keycloak" / self.version / name).read_text().strip()

    def command(self) -> list[str]:
        database = self.workdir / "h2" / "keycloakdb"
        args = [
            str(self.home / "bin" / "kc.sh"),
            "start",
            "--optimized",
            "--http-enabled=true",
            "--hostname-strict=false",
            f"--http-port={self.http_port}",
            "--http-host=127.0.0.1",
            f"--db-url=jdbc:h2:file:{database};NON_KEYWORDS=VALUE",
            *self._provisioned("runtime-args").split(),
        ]
        if self.major >= 25:
            args.append(f"--http-management-port={self.management_port}")
        return args

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["JAVA_HOME"] = self._provisioned("java-home")
        # 26 renamed the bootstrap-admin variables; the old ones only warn there.
        if self.major >= 26:
            env["KC_BOOTSTRAP_ADMIN_USERNAME"] = self.admin_username
            env["KC_BOOTSTRAP_ADMIN_PASSWORD"] = self.admin_password
        else:
            env["KEYCLOAK_ADMIN"] = self.admin_username
            env["KEYCLOAK_ADMIN_PASSWORD"] = self.admin_password
        return env

    def start(self) -> KeycloakEndpoint:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = ServerProcess(
            f"keycloak-{self.version}",
            self.command(),
            self.workdir / "keycloak.log",
            env=self.environment(),
            cwd=self.workdir,
        )
        self.process.start()
        self.startup_seconds = self.process.wait_ready(
            self._ready, timeout=_START_TIMEOUT, interval=0.5
        )
        return self.endpoint

    def _ready(self) -> bool:
        return requests.get(f"{self.management_url}/health/ready", timeout=2).status_code == 200

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=30)


def password_grant_token(base_url: str, realm: str, username: str, password: str) -> str:
    """An access token from `realm`'s admin-cli client, by the password grant."""
    response = requests.post(
        f"{base_url}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": username,
            "password": password,
        },
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token
