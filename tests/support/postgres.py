"""A real PostgreSQL server (Debian's postgresql package), one per test run, a database per test.

The server listens on a free loopback port with password (SCRAM) authentication
only, like a real deployment's database. PostgreSQL refuses to run as root, so
when the tests run as root the server runs as the unprivileged `postgres` user
the Debian package creates (or `nobody`). Tests get their own database and
owner through `PostgresEndpoint.create_database`.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .config import ProvisioningError, cache_root
from .process import ServerProcess, free_port

_START_TIMEOUT = 60.0
SUPERUSER = "postgres"


def postgres_bin_dir() -> Path:
    """The server binaries: those hack/fetch-postgres.sh extracted, else the host's package."""
    candidates = sorted((cache_root() / "postgres").glob("*/unpacked/usr/lib/postgresql/*/bin"))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    for bin_dir in candidates:
        if (bin_dir / "postgres").is_file() and (bin_dir / "initdb").is_file():
            return bin_dir
    raise ProvisioningError(
        "PostgreSQL server binaries are missing; run `make provision` (hack/fetch-postgres.sh)"
    )


def _environment(bin_dir: Path) -> dict[str, str]:
    """Unpacked packages (hack/fetch-postgres.sh) find their libraries beside them."""
    env = dict(os.environ)
    root = bin_dir.parents[4]  # <root>/usr/lib/postgresql/<major>/bin
    if root != Path("/"):
        libraries = sorted((root / "usr" / "lib").glob("*-linux-gnu"))
        env["LD_LIBRARY_PATH"] = ":".join(str(p) for p in libraries)
    return env


DATA_ROOT_FILE = "data-root"


def remove_data_root(workdir: Path) -> None:
    """Remove the data directory a server kept outside `workdir` (see start())."""
    named = workdir / DATA_ROOT_FILE
    if named.exists():
        shutil.rmtree(named.read_text().strip(), ignore_errors=True)
        named.unlink()


def _run_as() -> list[str]:
    """A command prefix that drops root, which PostgreSQL refuses to run as."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
    raise ProvisioningError("running as root, and no 'postgres' or 'nobody' user to run as")


def _owner() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    for user in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    return None


@dataclass(frozen=True)
class PostgresEndpoint:
    """How to reach the run's PostgreSQL; JSON-serialisable for other processes."""

    host: str
    port: int
    superuser: str
    superuser_password: str = field(repr=False)
    bin_dir: str
    log_file: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> PostgresEndpoint:
        return cls(**json.loads(text))

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement as the superuser through the real psql client."""
        result = subprocess.run(
            [
                str(Path(self.bin_dir) / "psql"),
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.superuser,
                "-d",
                database,
                "-c",
                statement,
            ],
            env={
                **_environment(Path(self.bin_dir)),
                "PGPASSWORD": self.superuser_password,
                "PGCONNECT_TIMEOUT": "5",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name: str) -> tuple[str, str]:
        """A new database owned by a new role of the same name; returns (user, password)."""
        password = secrets.token_urlsafe(18)
        self.sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
        self.sql(f'CREATE DATABASE "{name}" OWNER "{name}"')
        return name, password


class PostgresServer:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.bin_dir = postgres_bin_dir()
        self.port = free_port()
        self.password = secrets.token_urlsafe(18)
        self.process: ServerProcess | None = None
        self.startup_seconds: float | None = None

    @property
    def endpoint(self) -> PostgresEndpoint:
        assert self.process is not None, "start() first"
        return PostgresEndpoint(
            host="127.0.0.1",
            port=self.port,
            superuser=SUPERUSER,
            superuser_password=self.password,
            bin_dir=str(self.bin_dir),
            log_file=str(self.process.log_path),
        )

    def start(self) -> PostgresEndpoint:
        owner = _owner()
        self.workdir.mkdir(parents=True, exist_ok=True)
        root = self.workdir
        if owner is not None:
            # The unprivileged server must reach its files, and the checkout may sit
            # under a directory only root can enter (a CI clone in a mktemp -d): its
            # data goes to a directory of its own under the system temp dir, named in
            # DATA_ROOT_FILE so the run's teardown removes it.
            root = Path(tempfile.mkdtemp(prefix="keycloak-controller-postgres-"))
            (self.workdir / DATA_ROOT_FILE).write_text(str(root))
        data, sockets = root / "data", root / "sockets"
        sockets.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(data, ignore_errors=True)
        password_file = root / "pwfile"
        password_file.write_text(self.password + "\n")
        if owner is not None:
            for path in (root, sockets, password_file):
                os.chown(path, *owner)
        subprocess.run(
            [
                *_run_as(),
                str(self.bin_dir / "initdb"),
                f"--pgdata={data}",
                f"--username={SUPERUSER}",
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            env=_environment(self.bin_dir),
        )
        password_file.unlink()
        self.process = ServerProcess(
            "postgres",
            [
                *_run_as(),
                str(self.bin_dir / "postgres"),
                "-D",
                str(data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(sockets),
                # Test data is thrown away; durability is not worth the fsyncs.
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ],
            self.workdir / "postgres.log",
            env=_environment(self.bin_dir),
        )
        self.process.start()
        self.startup_seconds = self.process.wait_ready(self._ready, timeout=_START_TIMEOUT)
        return self.endpoint

    def _ready(self) -> bool:
        result = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            env=_environment(self.bin_dir),
            capture_output=True,
            timeout=5,
            check=False,
        )
        return result.returncode == 0

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
        remove_data_root(self.workdir)
