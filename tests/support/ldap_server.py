"""A real OpenLDAP slapd, from the Debian packages that hack/fetch-slapd.sh extracted.

One slapd per test run (see shared.py): an mdb database under `dc=example,dc=test`
with `ou=people` and `ou=groups`, seeded with slapadd before the start. Tests add
their own uniquely named entries through `LdapEndpoint.add` (the extracted
`ldapadd`, bound as the directory's admin), so they never share users or groups.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .config import ProvisioningError, cache_root, pinned_versions
from .process import ServerProcess, free_port

_START_TIMEOUT = 30.0
BASE_DN = "dc=example,dc=test"
PEOPLE_DN = f"ou=people,{BASE_DN}"
GROUPS_DN = f"ou=groups,{BASE_DN}"
ADMIN_DN = f"cn=admin,{BASE_DN}"
_SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


def slapd_root() -> Path:
    version = pinned_versions()["SLAPD_VERSION"]
    root = cache_root() / "slapd" / version / "root"
    if not (root / "usr" / "sbin" / "slapd").is_file():
        raise ProvisioningError(
            f"slapd {version} is missing at {root}; run `make provision` (hack/fetch-slapd.sh)"
        )
    return root


def _library_path(root: Path) -> str:
    return ":".join(str(p) for p in sorted((root / "usr" / "lib").glob("*-linux-gnu")))


def _tool_env(root: Path) -> dict[str, str]:
    # LDAPNOINIT: the clients read no ldap.conf/ldaprc of this host or user.
    return {**os.environ, "LD_LIBRARY_PATH": _library_path(root), "LDAPNOINIT": "1"}


@dataclass(frozen=True)
class LdapEndpoint:
    """How to reach the running slapd; JSON-serialisable for other processes."""

    url: str
    base_dn: str
    admin_dn: str
    admin_password: str = field(repr=False)
    log_file: str

    @property
    def people_dn(self) -> str:
        return f"ou=people,{self.base_dn}"

    @property
    def groups_dn(self) -> str:
        return f"ou=groups,{self.base_dn}"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LdapEndpoint:
        return cls(**json.loads(text))

    def _tool(self, name: str, *args: str, ldif: str | None = None) -> str:
        root = slapd_root()
        command = [str(root / "usr" / "bin" / name), "-x", "-H", self.url]
        command += ["-D", self.admin_dn, "-w", self.admin_password, *args]
        done = subprocess.run(
            command, input=ldif, capture_output=True, text=True, env=_tool_env(root), timeout=30
        )
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def add(self, ldif: str) -> None:
        """Add entries (LDIF) as the directory's admin."""
        self._tool("ldapadd", ldif=ldif)

    def modify(self, ldif: str) -> None:
        self._tool("ldapmodify", ldif=ldif)

    def delete(self, *dns: str) -> None:
        self._tool("ldapdelete", *dns)

    def add_user(self, uid: str, password: str, *, mail: str | None = None) -> str:
        """An inetOrgPerson under ou=people; returns its DN."""
        dn = f"uid={uid},{self.people_dn}"
        lines = [
            f"dn: {dn}",
            "objectClass: inetOrgPerson",
            "objectClass: organizationalPerson",
            "objectClass: person",
            f"uid: {uid}",
            f"cn: {uid}",
            f"sn: {uid}",
            f"givenName: {uid}",
            f"mail: {mail or uid + '@example.test'}",
            f"userPassword: {password}",
        ]
        self.add("\n".join(lines) + "\n")
        return dn

    def add_group(self, name: str, members: list[str]) -> str:
        """A groupOfNames under ou=groups (member DNs); returns its DN."""
        dn = f"cn={name},{self.groups_dn}"
        lines = [f"dn: {dn}", "objectClass: groupOfNames", f"cn: {name}"]
        lines += [f"member: {m}" for m in members]
        self.add("\n".join(lines) + "\n")
        return dn

    def search(self, base: str, filter_: str = "(objectClass=*)") -> str:
        return self._tool("ldapsearch", "-LLL", "-b", base, filter_)


def _seed_ldif() -> str:
    # groupOfNames needs a member: the base group carries the admin DN, as is usual.
    return f"""dn: {BASE_DN}
objectClass: dcObject
objectClass: organization
o: example
dc: example

dn: {PEOPLE_DN}
objectClass: organizationalUnit
ou: people

dn: {GROUPS_DN}
objectClass: organizationalUnit
ou: groups

dn: uid=seed-user,{PEOPLE_DN}
objectClass: inetOrgPerson
uid: seed-user
cn: Seed User
sn: User
mail: seed-user@example.test
userPassword: seed-password

dn: cn=seed-group,{GROUPS_DN}
objectClass: groupOfNames
cn: seed-group
member: uid=seed-user,{PEOPLE_DN}
"""


class LdapServer:
    """slapd on a free loopback port, with its config, database and log in `workdir`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.root = slapd_root()
        self.port = free_port()
        self.admin_password = secrets.token_urlsafe(16)
        self.process: ServerProcess | None = None
        self.startup_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def endpoint(self) -> LdapEndpoint:
        assert self.process is not None, "start() first"
        return LdapEndpoint(
            url=self.url,
            base_dn=BASE_DN,
            admin_dn=ADMIN_DN,
            admin_password=self.admin_password,
            log_file=str(self.process.log_path),
        )

    def _config(self) -> str:
        schema = self.root / "etc" / "ldap" / "schema"
        includes = "\n".join(f"include {schema / s}.schema" for s in _SCHEMAS)
        return f"""{includes}
pidfile {self.workdir / "slapd.pid"}
modulepath {self.root / "usr" / "lib" / "ldap"}
moduleload back_mdb
# Anyone may bind; only the admin and each user (its own password) may write.
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to * by * read
database mdb
maxsize 268435456
suffix "{BASE_DN}"
rootdn "{ADMIN_DN}"
rootpw {self.admin_password}
directory {self.data_dir}
index objectClass eq
index uid,cn,member eq
"""

    def start(self) -> LdapEndpoint:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        config = self.workdir / "slapd.conf"
        config.write_text(self._config())
        sbin = self.root / "usr" / "sbin"
        env = _tool_env(self.root)
        seeded = subprocess.run(
            [str(sbin / "slapadd"), "-f", str(config), "-b", BASE_DN],
            input=_seed_ldif(),
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"slapadd failed: {seeded.stderr.strip()}")
        # -d 0: stay in the foreground (in our process group) and log only errors.
        command = [str(sbin / "slapd"), "-d", "0", "-f", str(config), "-h", f"{self.url}/"]
        self.process = ServerProcess("slapd", command, self.workdir / "slapd.log", env=env)
        self.process.start()
        self.startup_seconds = self.process.wait_ready(self._ready, timeout=_START_TIMEOUT)
        return self.endpoint

    def _ready(self) -> bool:
        self.endpoint.search(BASE_DN, "(ou=people)")
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
