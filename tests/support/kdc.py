"""A real MIT Kerberos KDC, from the Debian packages that hack/fetch-krb5.sh extracted.

Unprivileged: its database, stash, config and log live in `workdir`, it listens on
a free loopback port (TCP and UDP), and the tools find their config through
KRB5_CONFIG / KRB5_KDC_PROFILE. It starts in well under a second, so a test
starts its own. `spnego_get` drives SPNEGO with the host's curl (`--negotiate`,
GSS-API through the host's libkrb5) after `kinit` into a private ticket cache.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .config import ProvisioningError, cache_root, pinned_versions
from .process import ServerProcess, free_port

_START_TIMEOUT = 30.0


def krb5_root() -> Path:
    version = pinned_versions()["KRB5_VERSION"]
    root = cache_root() / "krb5" / version / "root"
    if not (root / "usr" / "sbin" / "krb5kdc").is_file():
        raise ProvisioningError(
            f"krb5 {version} is missing at {root}; run `make provision` (hack/fetch-krb5.sh)"
        )
    return root


def curl_with_spnego() -> str:
    curl = shutil.which("curl")
    if curl is None:
        raise ProvisioningError("curl is needed for the SPNEGO test (Debian package 'curl')")
    features = subprocess.run([curl, "-V"], capture_output=True, text=True, check=True).stdout
    if "SPNEGO" not in features:
        raise ProvisioningError(f"{curl} is built without SPNEGO (GSS-API) support")
    return curl


@dataclass(frozen=True)
class SpnegoResponse:
    status: int
    location: str


class Kdc:
    """One Kerberos realm with its KDC; `service` is the HTTP principal with a keytab."""

    def __init__(self, workdir: Path, realm: str = "EXAMPLE.TEST", host: str = "localhost") -> None:
        self.workdir = workdir
        self.realm = realm
        self.host = host
        self.root = krb5_root()
        self.port = free_port()
        self.process: ServerProcess | None = None
        self.startup_seconds: float | None = None

    @property
    def service_principal(self) -> str:
        return f"HTTP/{self.host}@{self.realm}"

    @property
    def keytab(self) -> Path:
        return self.workdir / "http.keytab"

    @property
    def krb5_conf(self) -> Path:
        return self.workdir / "krb5.conf"

    def _env(self) -> dict[str, str]:
        libs = ":".join(str(p) for p in sorted((self.root / "usr" / "lib").glob("*-linux-gnu")))
        return {
            **os.environ,
            "LD_LIBRARY_PATH": libs,
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5_KDC_PROFILE": str(self.workdir / "kdc.conf"),
        }

    def _run(self, tool: str, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(self.root / tool), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self._env(),
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def _write_config(self) -> None:
        plugins = next((self.root / "usr" / "lib").glob("*-linux-gnu")) / "krb5" / "plugins"
        (self.workdir / "kdc.conf").write_text(
            f"""[kdcdefaults]
 kdc_ports = {self.port}
 kdc_tcp_ports = {self.port}
[realms]
 {self.realm} = {{
  database_name = {self.workdir / "principal"}
  key_stash_file = {self.workdir / "stash"}
  acl_file = {self.workdir / "kadm5.acl"}
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
 }}
[dbmodules]
 db_module_dir = {plugins / "kdb"}
[logging]
 kdc = FILE:{self.workdir / "kdc.log"}
"""
        )
        # No DNS and no reverse lookups: the service name is exactly HTTP/<host>.
        self.krb5_conf.write_text(
            f"""[libdefaults]
 default_realm = {self.realm}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 dns_canonicalize_hostname = false
 rdns = false
 udp_preference_limit = 1
[realms]
 {self.realm} = {{
  kdc = 127.0.0.1:{self.port}
 }}
[domain_realm]
 {self.host} = {self.realm}
"""
        )

    def start(self) -> Kdc:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        master = secrets.token_urlsafe(16)
        self._run("usr/sbin/kdb5_util", "create", "-s", "-r", self.realm, "-P", master)
        self.add_principal(f"HTTP/{self.host}", None)
        self._kadmin(f"ktadd -k {self.keytab} HTTP/{self.host}")
        command = [str(self.root / "usr/sbin/krb5kdc"), "-n", "-r", self.realm]
        self.process = ServerProcess(
            "krb5kdc", command, self.workdir / "krb5kdc.out", env=self._env()
        )
        self.process.start()
        self.startup_seconds = self.process.wait_ready(self._ready, timeout=_START_TIMEOUT)
        return self

    def _ready(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def _kadmin(self, query: str) -> None:
        self._run("usr/sbin/kadmin.local", "-r", self.realm, "-q", query)

    def add_principal(self, name: str, password: str | None) -> None:
        """A user principal with a password, or (None) a service with a random key."""
        key = "-randkey" if password is None else f"-pw {password}"
        self._kadmin(f"addprinc {key} {name}")

    def spnego_get(self, principal: str, password: str, url: str) -> SpnegoResponse:
        """kinit as `principal` into a private cache, then GET `url` with curl --negotiate
        (no redirects followed): the status and Location."""
        cache = self.workdir / f"cc-{secrets.token_hex(4)}"
        env = {**self._env(), "KRB5CCNAME": f"FILE:{cache}"}
        kinit = str(self.root / "usr/bin/kinit")
        subprocess.run(
            [kinit, principal],
            input=password + "\n",
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        # curl is the host's and links the host's libkrb5: no extracted libraries.
        env.pop("LD_LIBRARY_PATH", None)
        done = subprocess.run(
            [
                curl_with_spnego(),
                "-s",
                "-o",
                os.devnull,
                "-w",
                "%{http_code} %{redirect_url}",
                "--negotiate",
                "-u",
                ":",
                url,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        status, _, location = done.stdout.partition(" ")
        return SpnegoResponse(int(status), location.strip())

    def stop(self) -> None:
        """Stop the KDC; keep its logs, drop its database, keys and ticket caches."""
        if self.process is not None:
            self.process.stop()
        for pattern in ("principal*", "stash", "*.keytab", "cc-*"):
            for path in self.workdir.glob(pattern):
                path.unlink(missing_ok=True)
