"""What the controller remembers about a user storage provider, kept as a realm attribute.

Keycloak drops config keys a provider does not declare (verified on 24, 25, 26.0
and 26.7: a `keycloak-controller.dev/...` key on an LDAP, Kerberos or mapper
component is gone on the next read), so the owner tag, the bind credential's
digest and the last handled sync request cannot live on the component. They
live in one realm attribute per provider, keyed by the component's id:

    keycloak-controller.dev/user-storage.<component id> = {"owner": ..., ...}

Keyed by id, not name: a provider deleted and re-made by hand has a new id and
no record, so its credential is sent again and it is not taken for ours. The
realm's own PUT merges attributes, so the realm settings never drop these.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RealmRepresentation

from .ownership import PREFIX

RECORD_PREFIX = PREFIX + "user-storage."


@dataclass(frozen=True)
class ProviderRecord:
    owner: str | None = None  # owner tag: this resource created the provider
    bind_credential: str | None = None  # salted digest of the credential last sent
    sync_request: str | None = None  # digest of the last syncRequest handled

    def to_text(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True)

    @classmethod
    def from_text(cls, text: str | None) -> ProviderRecord:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()  # edited by hand: as if there were none
        if not isinstance(data, dict):
            return cls()
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{k: v if isinstance(v, str) else None for k, v in fields.items()})

    def with_(self, **changes: str | None) -> ProviderRecord:
        return replace(self, **changes)


def record_key(component_id: str) -> str:
    return RECORD_PREFIX + component_id


def read_records(attributes: Mapping[str, str] | None) -> dict[str, ProviderRecord]:
    """Component id -> record, from the realm's attributes."""
    return {
        key[len(RECORD_PREFIX) :]: ProviderRecord.from_text(value)
        for key, value in (attributes or {}).items()
        if key.startswith(RECORD_PREFIX)
    }


def write_record(
    admin: KeycloakAdmin, realm: str, component_id: str, record: ProviderRecord | None
) -> None:
    """Set (or with None, remove) one record."""
    if record is None:
        drop_records(admin, realm, [component_id])
        return
    _write(admin, realm, {record_key(component_id): record.to_text()}, ())


def drop_records(admin: KeycloakAdmin, realm: str, component_ids: Iterable[str]) -> None:
    _write(admin, realm, {}, [record_key(i) for i in component_ids])


def _write(admin: KeycloakAdmin, realm: str, put: Mapping[str, str], remove: Iterable[str]) -> None:
    """Read-modify-write of the realm's attributes at run time (another section may
    have changed them meanwhile); Keycloak replaces the whole map on update."""
    attributes = dict(admin.realms.get(realm).attributes or {})
    before = dict(attributes)
    attributes.update(put)
    for key in remove:
        attributes.pop(key, None)
    if attributes != before:
        admin.realms.update(realm, RealmRepresentation(attributes=attributes))
