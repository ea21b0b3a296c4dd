"""Which Keycloak version a server runs.

Read from GET /admin/serverinfo (`systemInfo.version`). Since 26.4 only
master-realm admins see systemInfo, and some deployments block serverinfo,
so an explicit override always wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from keycloak_controller.keycloak.errors import KeycloakError

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


class VersionUnknown(KeycloakError):
    reason = "KeycloakVersionUnknown"


@total_ordering
@dataclass(frozen=True)
class ServerVersion:
    major: int
    minor: int
    patch: int = 0
    raw: str = ""

    @classmethod
    def parse(cls, text: str) -> ServerVersion:
        """Parse "26.7.3", "24.0.5", "26.0.8.redhat-00001" or "26.7.3-SNAPSHOT"."""
        match = _VERSION.match(text.strip())
        if not match:
            raise VersionUnknown(f"not a Keycloak version: {text!r}")
        major, minor, patch = match.groups()
        return cls(int(major), int(minor), int(patch or 0), raw=text.strip())

    def _key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ServerVersion):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerVersion):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def version_from_serverinfo(body: object) -> ServerVersion:
    """Extract the version from a decoded /admin/serverinfo body."""
    if isinstance(body, dict):
        info = body.get("systemInfo")
        if isinstance(info, dict) and isinstance(info.get("version"), str):
            return ServerVersion.parse(info["version"])
    raise VersionUnknown(
        "serverinfo has no systemInfo.version (since 26.4 only master-realm admins see it); "
        "set the version explicitly"
    )
