"""KeycloakAdmin follows the server's version, and every read goes through the adapter."""

from __future__ import annotations

import json
from typing import Any

from keycloak_controller.keycloak.adapters import (
    Keycloak26Adapter,
    Keycloak260Adapter,
    Kind,
    VersionAdapter,
)
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RealmRepresentation
from keycloak_controller.keycloak.resources.clients import Clients
from keycloak_controller.keycloak.resources.realms import Realms
from keycloak_controller.keycloak.resources.role_mappings import RoleMappings
from keycloak_controller.keycloak.version import ServerVersion

from .conftest import FakeKeycloak


def serverinfo(version: str) -> dict[str, Any]:
    return {"systemInfo": {"version": version}}


def sent_json(fake: FakeKeycloak, index: int = -1) -> Any:
    return json.loads(fake.seen[index].body)


def test_detect_version_swaps_the_adapter_after_an_in_place_upgrade(fake: FakeKeycloak) -> None:
    admin = KeycloakAdmin.with_password(fake.url, "admin", "pw")
    realm = RealmRepresentation(realm="r", admin_permissions_enabled=True)
    fake.respond(200, serverinfo("26.0.7"))
    assert type(admin.adapter) is Keycloak260Adapter
    fake.respond(204)
    admin.realms.update("r", realm)
    assert "adminPermissionsEnabled" not in sent_json(fake), "26.0 does not know the field"

    # Keycloak is upgraded in place; the Keycloak reconciler re-reads serverinfo.
    fake.respond(200, serverinfo("26.7.3"))
    assert admin.detect_version() == ServerVersion.parse("26.7.3")
    assert admin.version == ServerVersion.parse("26.7.3")
    assert type(admin.adapter) is Keycloak26Adapter
    assert admin.adapter.version == ServerVersion.parse("26.7.3")
    fake.respond(204)
    admin.realms.update("r", realm)
    assert sent_json(fake)["adminPermissionsEnabled"] is True, "the realm call uses 26.7's adapter"

    # The same version again keeps the adapter (no rebuild per health check).
    kept = admin.adapter
    fake.respond(200, serverinfo("26.7.3"))
    admin.detect_version()
    assert admin.adapter is kept


def test_a_downgrade_swaps_back_and_an_explicit_version_stays_pinned(fake: FakeKeycloak) -> None:
    admin = KeycloakAdmin.with_password(fake.url, "admin", "pw")
    fake.respond(200, serverinfo("26.7.3"))
    assert type(admin.adapter) is Keycloak26Adapter
    fake.respond(200, serverinfo("25.0.6"))
    admin.detect_version()
    assert admin.adapter.version == ServerVersion.parse("25.0.6")

    pinned = KeycloakAdmin.with_password(fake.url, "admin", "pw", version="26.0.7")
    fake.respond(200, serverinfo("26.7.3"))
    assert pinned.detect_version() == ServerVersion.parse("26.7.3")
    assert type(pinned.adapter) is Keycloak260Adapter
    assert pinned.version == ServerVersion.parse("26.0.7")


class Recording(Keycloak26Adapter):
    """Records every representation converted inbound and marks it."""

    def __init__(self) -> None:
        super().__init__(ServerVersion.parse("26.7.3"))
        self.inbound_kinds: list[Kind] = []

    def _inbound_one(self, kind: Kind, payload: dict[str, Any]) -> None:
        self.inbound_kinds.append(kind)
        if kind is Kind.ROLE:
            payload["description"] = "converted"
        if kind is Kind.CLIENT_SCOPE:
            payload["name"] = f"{payload['name']}-converted"
        if kind is Kind.USER:
            payload["id"] = f"{payload['id']}-converted"


def adapted(admin: KeycloakAdmin, adapter: VersionAdapter) -> tuple[RoleMappings, Realms, Clients]:
    def get() -> VersionAdapter:
        return adapter

    t = admin.transport
    return RoleMappings(t, get, subject="users"), Realms(t, get), Clients(t, get)


def test_role_mapping_reads_go_through_the_adapter(fake: FakeKeycloak) -> None:
    admin = KeycloakAdmin.with_password(fake.url, "admin", "pw", version="26.7.3")
    recording = Recording()
    mappings, _, _ = adapted(admin, recording)
    fake.respond(
        200,
        {
            "realmMappings": [{"name": "viewer"}],
            "clientMappings": {
                "svc": {"id": "c1", "client": "svc", "mappings": [{"name": "svc-user"}]}
            },
        },
    )
    got = mappings.all("r", "u1")
    assert [r.description for r in got.realm_mappings or []] == ["converted"]
    svc = (got.client_mappings or {})["svc"]
    assert [r.description for r in svc.mappings or []] == ["converted"]
    assert recording.inbound_kinds.count(Kind.ROLE) == 2
    assert Kind.ROLE_MAPPINGS in recording.inbound_kinds
    assert Kind.CLIENT_ROLE_MAPPINGS in recording.inbound_kinds

    fake.respond(200, [{"name": "viewer"}])
    assert [r.description for r in mappings.list("r", "u1")] == ["converted"]


def test_default_client_scopes_go_through_the_adapter(fake: FakeKeycloak) -> None:
    admin = KeycloakAdmin.with_password(fake.url, "admin", "pw", version="26.7.3")
    recording = Recording()
    _, realms, _ = adapted(admin, recording)
    fake.respond(200, [{"id": "1", "name": "profile"}, {"id": "2", "name": "email"}])
    assert realms.default_client_scopes("r") == ["profile-converted", "email-converted"]
    fake.respond(200, [{"id": "3", "name": "address"}])
    assert realms.default_client_scopes("r", optional=True) == ["address-converted"]
    assert fake.seen[-1].path.endswith("/default-optional-client-scopes")
    assert recording.inbound_kinds == [Kind.CLIENT_SCOPE] * 3


def test_the_service_account_user_goes_through_the_adapter(fake: FakeKeycloak) -> None:
    admin = KeycloakAdmin.with_password(fake.url, "admin", "pw", version="26.7.3")
    recording = Recording()
    _, _, clients = adapted(admin, recording)
    user = {"id": "u-1", "username": "service-account-svc", "enabled": True}
    fake.respond(200, user)
    assert clients.service_account_user_id("r", "c1") == "u-1-converted"
    fake.respond(200, user)
    assert clients.service_account_user("r", "c1").username == "service-account-svc"
    assert recording.inbound_kinds == [Kind.USER, Kind.USER]
