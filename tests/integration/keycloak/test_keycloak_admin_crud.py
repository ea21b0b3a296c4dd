"""Create-read-update-delete of every representation, on every pinned Keycloak.

All calls go through the client and its version adapter against a real
server; what a version lacks must come back as an adapter finding or a typed
error, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keycloak_controller.keycloak.adapters import Kind, Severity, errors
from keycloak_controller.keycloak.auth import PasswordCredentials, TokenProvider
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.diff import diff
from keycloak_controller.keycloak.errors import (
    BadRequest,
    Conflict,
    NotFound,
    UnsupportedByVersion,
)
from keycloak_controller.keycloak.models import (
    AuthenticatorConfigRepresentation,
    ClientRepresentation,
    ClientScopeRepresentation,
    ComponentRepresentation,
    CredentialRepresentation,
    GroupRepresentation,
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
    OrganizationDomainRepresentation,
    OrganizationRepresentation,
    ProtocolMapperRepresentation,
    RealmRepresentation,
    RoleRepresentation,
    UserRepresentation,
)
from keycloak_controller.keycloak.models.generated import BruteForceStrategy
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.transport import TransportSettings
from keycloak_controller.keycloak.version import ServerVersion

pytestmark = pytest.mark.keycloak_versions


def test_realm_crud(admin_any: KeycloakAdmin, unique_name: Callable[[str], str]) -> None:
    name = unique_name("realm")
    admin_any.realms.create(
        RealmRepresentation(
            realm=name, enabled=True, display_name="Before", access_token_lifespan=120
        )
    )
    try:
        got = admin_any.realms.get(name)
        assert (got.realm, got.display_name, got.access_token_lifespan) == (name, "Before", 120)
        assert name in {r.realm for r in admin_any.realms.list()}
        got.display_name = "After"
        admin_any.realms.update(name, got)
        assert admin_any.realms.get(name).display_name == "After"
        with pytest.raises(Conflict):
            admin_any.realms.create(RealmRepresentation(realm=name, enabled=True))
    finally:
        admin_any.realms.delete(name)
    with pytest.raises(NotFound):
        admin_any.realms.get(name)


def test_client_and_secret_crud(admin_any: KeycloakAdmin, realm_any: str) -> None:
    uuid = admin_any.clients.create(
        realm_any,
        ClientRepresentation(
            client_id="app",
            public_client=False,
            service_accounts_enabled=True,
            secret="initial-secret",
        ),
    )
    client = admin_any.clients.get(realm_any, uuid)
    assert client.client_id == "app" and client.id == uuid
    found = admin_any.clients.find(realm_any, "app")
    assert found is not None and found.id == uuid
    assert admin_any.clients.get_secret(realm_any, uuid).value == "initial-secret"
    rotated = admin_any.clients.regenerate_secret(realm_any, uuid)
    assert rotated.value and rotated.value != "initial-secret"
    assert admin_any.clients.get_secret(realm_any, uuid).value == rotated.value
    assert admin_any.clients.service_account_user_id(realm_any, uuid)

    client.redirect_uris = ["https://app.example/*"]
    admin_any.clients.update(realm_any, uuid, client)
    assert admin_any.clients.get(realm_any, uuid).redirect_uris == ["https://app.example/*"]
    with pytest.raises(Conflict):
        admin_any.clients.create(realm_any, ClientRepresentation(client_id="app"))
    admin_any.clients.delete(realm_any, uuid)
    assert admin_any.clients.find(realm_any, "app") is None


def test_roles_with_composites(admin_any: KeycloakAdmin, realm_any: str) -> None:
    roles = admin_any.roles
    roles.create(realm_any, RoleRepresentation(name="reader", description="reads"))
    roles.create(realm_any, RoleRepresentation(name="writer"))
    roles.create(realm_any, RoleRepresentation(name="editor"))
    client_uuid = admin_any.clients.create(realm_any, ClientRepresentation(client_id="api"))
    roles.create(realm_any, RoleRepresentation(name="api-admin"), client_uuid)

    reader, writer = roles.get(realm_any, "reader"), roles.get(realm_any, "writer")
    api_admin = roles.get(realm_any, "api-admin", client_uuid)
    assert reader.description == "reads" and api_admin.client_role is True
    roles.add_composites(realm_any, "editor", [reader, writer, api_admin])
    assert {r.name for r in roles.composites(realm_any, "editor")} == {
        "reader",
        "writer",
        "api-admin",
    }
    assert roles.get(realm_any, "editor").composite is True

    roles.remove_composites(realm_any, "editor", [writer])
    assert {r.name for r in roles.composites(realm_any, "editor")} == {"reader", "api-admin"}

    # Client role composites too.
    roles.create(realm_any, RoleRepresentation(name="api-viewer"), client_uuid)
    roles.add_composites(realm_any, "api-admin", [reader], client_uuid)
    assert [r.name for r in roles.composites(realm_any, "api-admin", client_uuid)] == ["reader"]

    reader.description = "reads everything"
    roles.update(realm_any, "reader", reader)
    assert roles.get(realm_any, "reader").description == "reads everything"
    assert {"reader", "writer", "editor"} <= {
        r.name for r in roles.iter_all(realm_any, page_size=2)
    }
    roles.delete(realm_any, "writer")
    with pytest.raises(NotFound):
        roles.get(realm_any, "writer")


def test_client_scope_with_protocol_mapper(admin_any: KeycloakAdmin, realm_any: str) -> None:
    scope_id = admin_any.client_scopes.create(
        realm_any,
        ClientScopeRepresentation(
            name="department",
            protocol="openid-connect",
            attributes={"include.in.token.scope": "true"},
        ),
    )
    mappers = admin_any.client_scope_protocol_mappers
    mapper_id = mappers.create(
        realm_any,
        scope_id,
        ProtocolMapperRepresentation(
            name="department",
            protocol="openid-connect",
            protocol_mapper="oidc-usermodel-attribute-mapper",
            config={
                "user.attribute": "department",
                "claim.name": "department",
                "access.token.claim": "true",
            },
        ),
    )
    mapper = mappers.get(realm_any, scope_id, mapper_id)
    assert mapper.config is not None and mapper.config["claim.name"] == "department"
    mapper.config["claim.name"] = "dept"
    mappers.update(realm_any, scope_id, mapper_id, mapper)
    assert [m.config["claim.name"] for m in mappers.list(realm_any, scope_id) if m.config] == [
        "dept"
    ]

    scope = admin_any.client_scopes.find(realm_any, "department")
    assert scope is not None and scope.id == scope_id
    scope.description = "department claim"
    admin_any.client_scopes.update(realm_any, scope_id, scope)
    assert admin_any.client_scopes.get(realm_any, scope_id).description == "department claim"

    # Attach it to a client as an optional scope, then detach.
    client_uuid = admin_any.clients.create(realm_any, ClientRepresentation(client_id="web"))
    admin_any.clients.add_scope(realm_any, client_uuid, scope_id, optional=True)
    optional = admin_any.clients.scopes(realm_any, client_uuid, optional=True)
    assert "department" in {s.name for s in optional}
    admin_any.clients.remove_scope(realm_any, client_uuid, scope_id, optional=True)

    mappers.delete(realm_any, scope_id, mapper_id)
    assert mappers.list(realm_any, scope_id) == []
    admin_any.client_scopes.delete(realm_any, scope_id)
    assert admin_any.client_scopes.find(realm_any, "department") is None


def test_groups_and_paging(admin_any: KeycloakAdmin, realm_any: str) -> None:
    groups = admin_any.groups
    ids = [groups.create(realm_any, GroupRepresentation(name=f"team-{i}")) for i in range(5)]
    child = groups.create(
        realm_any, GroupRepresentation(name="sub", attributes={"k": ["v"]}), parent_id=ids[0]
    )
    assert groups.get_by_path(realm_any, "/team-0/sub").id == child
    assert [g.name for g in groups.children(realm_any, ids[0])] == ["sub"]
    assert sorted(g.name or "" for g in groups.iter_all(realm_any, page_size=2)) == [
        f"team-{i}" for i in range(5)
    ]
    assert len(groups.list(realm_any, first=1, max=2)) == 2

    group = groups.get(realm_any, child)
    assert group.attributes == {"k": ["v"]}
    group.attributes = {"k": ["w"]}
    groups.update(realm_any, child, group)
    assert groups.get(realm_any, child).attributes == {"k": ["w"]}
    groups.delete(realm_any, ids[0])
    with pytest.raises(NotFound):
        groups.get(realm_any, child)


def test_user_with_credential(admin_any: KeycloakAdmin, realm_any: str) -> None:
    users = admin_any.users
    user_id = users.create(
        realm_any,
        UserRepresentation(
            username="alice",
            enabled=True,
            email="alice@example.com",
            first_name="Alice",
            last_name="Liddell",
            email_verified=True,
            credentials=[
                CredentialRepresentation(type="password", value="first-Pa55", temporary=False)
            ],
        ),
    )
    found = users.find(realm_any, "alice")
    assert found is not None and found.id == user_id

    def can_log_in(password: str) -> bool:
        provider = TokenProvider(
            admin_any.transport.session,
            admin_any.transport.base_url,
            PasswordCredentials("alice", Secret(password), realm=realm_any),
        )
        try:
            provider.access_token()
        except Exception:
            return False
        return True

    assert can_log_in("first-Pa55")
    users.set_password(
        realm_any,
        user_id,
        CredentialRepresentation(type="password", value="second-Pa55", temporary=False),
    )
    assert can_log_in("second-Pa55") and not can_log_in("first-Pa55")
    creds = users.credentials(realm_any, user_id)
    assert [c.type for c in creds] == ["password"]

    user = users.get(realm_any, user_id)
    user.first_name = "Alicia"
    user.attributes = {"department": ["wonderland"]}
    users.update(realm_any, user_id, user)
    got = users.get(realm_any, user_id)
    assert got.first_name == "Alicia"

    users.delete_credential(realm_any, user_id, creds[0].id or "")
    assert users.credentials(realm_any, user_id) == []
    users.delete(realm_any, user_id)
    assert users.find(realm_any, "alice") is None


def test_role_mappings(admin_any: KeycloakAdmin, realm_any: str) -> None:
    admin_any.roles.create(realm_any, RoleRepresentation(name="viewer"))
    client_uuid = admin_any.clients.create(realm_any, ClientRepresentation(client_id="svc"))
    admin_any.roles.create(realm_any, RoleRepresentation(name="svc-user"), client_uuid)
    viewer = admin_any.roles.get(realm_any, "viewer")
    svc_user = admin_any.roles.get(realm_any, "svc-user", client_uuid)
    user_id = admin_any.users.create(realm_any, UserRepresentation(username="bob", enabled=True))
    group_id = admin_any.groups.create(realm_any, GroupRepresentation(name="staff"))

    for mappings, subject in (
        (admin_any.user_role_mappings, user_id),
        (admin_any.group_role_mappings, group_id),
    ):
        mappings.add(realm_any, subject, [viewer])
        mappings.add(realm_any, subject, [svc_user], client_uuid)
        assert "viewer" in {r.name for r in mappings.list(realm_any, subject)}
        assert [r.name for r in mappings.list(realm_any, subject, client_uuid)] == ["svc-user"]
        everything = mappings.all(realm_any, subject)
        assert everything.client_mappings is not None and "svc" in everything.client_mappings
        mappings.remove(realm_any, subject, [viewer])
        mappings.remove(realm_any, subject, [svc_user], client_uuid)
        assert "viewer" not in {r.name for r in mappings.list(realm_any, subject)}
        assert mappings.list(realm_any, subject, client_uuid) == []

    admin_any.users.join_group(realm_any, user_id, group_id)
    assert [g.name for g in admin_any.users.groups(realm_any, user_id)] == ["staff"]
    admin_any.users.leave_group(realm_any, user_id, group_id)
    assert admin_any.users.groups(realm_any, user_id) == []


def test_identity_provider_and_mapper(admin_any: KeycloakAdmin, realm_any: str) -> None:
    idps = admin_any.identity_providers
    alias = idps.create(
        realm_any,
        IdentityProviderRepresentation(
            alias="corp",
            provider_id="oidc",
            enabled=True,
            hide_on_login=True,  # a field in 26, a config attribute before
            config={
                "clientId": "kc",
                "clientSecret": "idp-secret",
                "authorizationUrl": "https://idp.example/auth",
                "tokenUrl": "https://idp.example/token",
                "clientAuthMethod": "client_secret_post",
            },
        ),
    )
    assert alias == "corp"
    got = idps.get(realm_any, "corp")
    assert got.hide_on_login is True, "the adapter maps hideOnLoginPage back to hideOnLogin"
    assert got.config is not None and "hideOnLoginPage" not in got.config
    got.display_name = "Corporate"
    got.hide_on_login = False
    idps.update(realm_any, "corp", got)
    again = idps.get(realm_any, "corp")
    assert again.display_name == "Corporate" and again.hide_on_login is False
    assert [i.alias for i in idps.list(realm_any)] == ["corp"]

    mapper_id = idps.create_mapper(
        realm_any,
        "corp",
        IdentityProviderMapperRepresentation(
            name="dept",
            identity_provider_alias="corp",
            identity_provider_mapper="oidc-user-attribute-idp-mapper",
            config={"claim": "dept", "user.attribute": "department", "syncMode": "INHERIT"},
        ),
    )
    mapper = idps.get_mapper(realm_any, "corp", mapper_id)
    assert mapper.config is not None and mapper.config["claim"] == "dept"
    mapper.config["claim"] = "department"
    idps.update_mapper(realm_any, "corp", mapper_id, mapper)
    assert [m.config["claim"] for m in idps.mappers(realm_any, "corp") if m.config] == [
        "department"
    ]
    idps.delete_mapper(realm_any, "corp", mapper_id)
    assert idps.mappers(realm_any, "corp") == []

    # A realm read never carries identity providers, whatever the version.
    assert not admin_any.realms.get(realm_any).identity_providers
    idps.delete(realm_any, "corp")
    with pytest.raises(NotFound):
        idps.get(realm_any, "corp")


def test_authentication_flows_executions_configs(admin_any: KeycloakAdmin, realm_any: str) -> None:
    auth = admin_any.authentication
    flow_id = auth.copy_flow(realm_any, "browser", "my browser")
    flow = auth.get_flow(realm_any, flow_id)
    assert flow.alias == "my browser" and flow.top_level is True
    flow.description = "copied"
    auth.update_flow(realm_any, flow_id, flow)
    assert auth.get_flow(realm_any, flow_id).description == "copied"

    execution_id = auth.add_execution(realm_any, "my browser", "auth-username-password-form")
    by_id = {e.id: e for e in auth.executions(realm_any, "my browser")}
    execution = by_id[execution_id]
    wanted = "ALTERNATIVE" if execution.requirement != "ALTERNATIVE" else "DISABLED"
    execution.requirement = wanted
    auth.update_execution(realm_any, "my browser", execution)
    updated = {e.id: e for e in auth.executions(realm_any, "my browser")}[execution_id]
    assert updated.requirement == wanted

    sub_id = auth.add_subflow(realm_any, "my browser", "my sub")
    assert any(e.flow_id == sub_id for e in auth.executions(realm_any, "my browser"))

    # A key the authenticator declares (defaultProvider): read back as written on
    # every version. Keys no authenticator declares as non-secret are masked on
    # read ("**********") since the CVE-2026-16104 fix (keycloak#51033, in 26.7.3),
    # though still stored.
    redirector = next(
        e
        for e in auth.executions(realm_any, "my browser")
        if e.provider_id == "identity-provider-redirector"
    )
    config_id = auth.create_config(
        realm_any,
        redirector.id or "",
        AuthenticatorConfigRepresentation(
            alias="redirector-cfg", config={"defaultProvider": "corp", "undeclared": "1"}
        ),
    )
    config = auth.get_config(realm_any, config_id)
    assert (config.config or {})["defaultProvider"] == "corp"
    masked = admin_any.version >= ServerVersion(26, 7)
    assert (config.config or {})["undeclared"] == ("**********" if masked else "1")
    config.config = {"defaultProvider": "partner"}
    auth.update_config(realm_any, config_id, config)
    assert auth.get_config(realm_any, config_id).config == {"defaultProvider": "partner"}
    auth.delete_config(realm_any, config_id)

    auth.move_execution(realm_any, execution_id, up=True)
    auth.delete_execution(realm_any, execution_id)
    assert execution_id not in {e.id for e in auth.executions(realm_any, "my browser")}
    auth.delete_flow(realm_any, flow_id)
    assert auth.find_flow(realm_any, "my browser") is None


def test_required_actions(admin_any: KeycloakAdmin, realm_any: str) -> None:
    auth = admin_any.authentication
    action = auth.get_required_action(realm_any, "CONFIGURE_TOTP")
    assert action.enabled is True
    action.default_action = True
    auth.update_required_action(realm_any, "CONFIGURE_TOTP", action)
    assert auth.get_required_action(realm_any, "CONFIGURE_TOTP").default_action is True
    aliases = [a.alias for a in auth.required_actions(realm_any)]
    assert "CONFIGURE_TOTP" in aliases and "UPDATE_PASSWORD" in aliases
    auth.move_required_action(realm_any, "CONFIGURE_TOTP", up=False)
    auth.delete_required_action(realm_any, "CONFIGURE_TOTP")
    assert "CONFIGURE_TOTP" not in [a.alias for a in auth.required_actions(realm_any)]


def test_components(admin_any: KeycloakAdmin, realm_any: str) -> None:
    realm_id = admin_any.realms.get(realm_any).id
    component_id = admin_any.components.create(
        realm_any,
        ComponentRepresentation(
            name="extra-hmac",
            provider_id="hmac-generated",
            provider_type="org.keycloak.keys.KeyProvider",
            parent_id=realm_id,
            config={"priority": ["10"], "algorithm": ["HS256"]},
        ),
    )
    got = admin_any.components.get(realm_any, component_id)
    assert got.name == "extra-hmac" and got.config is not None and got.config["priority"] == ["10"]
    got.config["priority"] = ["20"]
    admin_any.components.update(realm_any, component_id, got)
    listed = admin_any.components.list(
        realm_any, provider_type="org.keycloak.keys.KeyProvider", name="extra-hmac"
    )
    assert [c.config["priority"] for c in listed if c.config] == [["20"]]
    admin_any.components.delete(realm_any, component_id)
    with pytest.raises(NotFound):
        admin_any.components.get(realm_any, component_id)


def test_partial_import(admin_any: KeycloakAdmin, realm_any: str) -> None:
    content = RealmRepresentation(
        clients=[ClientRepresentation(client_id="imported")],
        groups=[GroupRepresentation(name="imported-group", path="/imported-group")],
        users=[UserRepresentation(username="imported-user", enabled=True)],
    )
    result = admin_any.realms.partial_import(realm_any, content, "FAIL")
    assert result.added == 3
    again = admin_any.realms.partial_import(realm_any, content, "SKIP")
    assert (again.added, again.skipped) == (0, 3)
    assert admin_any.clients.find(realm_any, "imported") is not None


def test_errors_are_typed_and_carry_keycloak_messages(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    with pytest.raises(NotFound):
        admin_any.users.get(realm_any, "00000000-0000-0000-0000-000000000000")
    admin_any.users.create(realm_any, UserRepresentation(username="dup", enabled=True))
    with pytest.raises(Conflict) as conflict:
        admin_any.users.create(realm_any, UserRepresentation(username="dup", enabled=True))
    assert "exists" in str(conflict.value).lower()
    with pytest.raises(BadRequest) as bad:
        admin_any.users.set_password(
            realm_any,
            admin_any.users.find(realm_any, "dup").id or "",  # type: ignore[union-attr]
            CredentialRepresentation(type="password", value="", temporary=False),
        )
    assert bad.value.status == 400 and bad.value.message


def test_realm_round_trip_through_adapter(admin_any: KeycloakAdmin, realm_any: str) -> None:
    """Read a realm, write it back: nothing is lost, and a second trip is a fixed point.

    The first write makes Keycloak materialise some default attributes (e.g.
    clientSessionIdleTimeout "0"), so only the second trip must be exact.
    """
    before = admin_any.realms.get(realm_any)
    payload = before.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert errors(admin_any.adapter.validate(Kind.REALM, payload)) == []
    admin_any.realms.update(realm_any, before)
    after = admin_any.realms.get(realm_any)
    assert not diff(before, after), "every field read was written back unchanged"
    admin_any.realms.update(realm_any, after)
    again = admin_any.realms.get(realm_any)
    assert again.model_dump(by_alias=True, exclude_none=True) == after.model_dump(
        by_alias=True, exclude_none=True
    )


def test_canonical_only_fields_are_reported_not_crashed_on(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    realm = admin_any.realms.get(realm_any)
    realm.brute_force_strategy = BruteForceStrategy.multiple
    realm.display_name = "with 26-only field"
    findings = admin_any.adapter.validate(
        Kind.REALM, realm.model_dump(by_alias=True, exclude_none=True, mode="json")
    )
    dropped = {f.field for f in findings if f.reason == "FieldNotSupported"}
    if admin_any.version.major >= 26:
        assert "bruteForceStrategy" not in dropped
    else:
        assert "bruteForceStrategy" in dropped
    admin_any.realms.update(realm_any, realm)
    assert admin_any.realms.get(realm_any).display_name == "with 26-only field"


def test_organizations_follow_the_version(admin_any: KeycloakAdmin, realm_any: str) -> None:
    orgs = admin_any.organizations
    if admin_any.version.major == 24:
        sent = admin_any.transport.requests_sent
        with pytest.raises(UnsupportedByVersion, match="organizations are not available"):
            orgs.create(realm_any, OrganizationRepresentation(name="acme"))
        with pytest.raises(UnsupportedByVersion):
            orgs.list(realm_any)
        assert admin_any.transport.requests_sent == sent, "refused without contacting Keycloak"
        findings = admin_any.adapter.validate(Kind.REALM, {"organizationsEnabled": True})
        assert [f.reason for f in findings if f.severity is Severity.ERROR] == [
            "OrganizationsNotSupported"
        ]
        return
    if admin_any.version.major == 25:
        findings = admin_any.adapter.validate(Kind.ORGANIZATION, {"name": "acme"})
        assert [f.reason for f in findings] == ["OrganizationsPreview"]
        # The 25 test server is built with --features=organization (hack/fetch-keycloak.sh).

    realm = admin_any.realms.get(realm_any)
    realm.organizations_enabled = True
    admin_any.realms.update(realm_any, realm)
    org_id = orgs.create(
        realm_any,
        OrganizationRepresentation(
            name="acme",
            alias="acme",
            domains=[OrganizationDomainRepresentation(name="acme.example")],
        ),
    )
    org = orgs.get(realm_any, org_id)
    assert org.name == "acme" and [d.name for d in org.domains or []] == ["acme.example"]
    org.description = "Acme Corp"
    orgs.update(realm_any, org_id, org)
    found = orgs.find(realm_any, "acme")
    assert found is not None and found.description == "Acme Corp"

    user_id = admin_any.users.create(
        realm_any, UserRepresentation(username="carol", enabled=True, email="carol@acme.example")
    )
    orgs.add_member(realm_any, org_id, user_id)
    assert [m.username for m in orgs.members(realm_any, org_id)] == ["carol"]
    orgs.remove_member(realm_any, org_id, user_id)

    admin_any.identity_providers.create(
        realm_any,
        IdentityProviderRepresentation(
            alias="acme-idp",
            provider_id="oidc",
            config={
                "clientId": "x",
                "clientSecret": "y",
                "authorizationUrl": "https://a",
                "tokenUrl": "https://t",
            },
        ),
    )
    orgs.link_identity_provider(realm_any, org_id, "acme-idp")
    assert [i.alias for i in orgs.identity_providers(realm_any, org_id)] == ["acme-idp"]
    assert admin_any.identity_providers.get(realm_any, "acme-idp").organization_id == org_id
    orgs.unlink_identity_provider(realm_any, org_id, "acme-idp")
    assert [o.name for o in orgs.iter_all(realm_any, page_size=1)] == ["acme"]
    orgs.delete(realm_any, org_id)
    with pytest.raises(NotFound):
        orgs.get(realm_any, org_id)


def test_long_run_with_short_token_lifespan(
    admin_any: KeycloakAdmin, realm_any: str, keycloak_any_version: object
) -> None:
    """Tokens that live 2 s are refreshed as needed over a longer run."""
    import time

    admin_any.realms.update(
        realm_any, RealmRepresentation(realm=realm_any, enabled=True, access_token_lifespan=2)
    )
    user_id = admin_any.users.create(
        realm_any,
        UserRepresentation(
            username="operator",
            enabled=True,
            email="operator@example.com",
            first_name="Op",
            last_name="Erator",
            credentials=[
                CredentialRepresentation(type="password", value="Op-Pa55word", temporary=False)
            ],
        ),
    )
    rm_uuid = admin_any.clients.find(realm_any, "realm-management").id  # type: ignore[union-attr]
    realm_admin = admin_any.roles.get(realm_any, "realm-admin", rm_uuid)
    admin_any.user_role_mappings.add(realm_any, user_id, [realm_admin], rm_uuid)

    realm_client = KeycloakAdmin(
        admin_any.transport.base_url,
        PasswordCredentials("operator", Secret("Op-Pa55word"), realm=realm_any),
        version=admin_any.version,
        settings=TransportSettings(),
    )
    with realm_client:
        # At least 21 calls spread over at least 7 s (three and a half token lifetimes):
        # a loaded machine makes each call slower, not the run shorter.
        deadline = time.monotonic() + 7
        calls = 0
        while calls <= 20 or time.monotonic() < deadline:
            assert realm_client.groups.list(realm_any) == []
            calls += 1
            time.sleep(0.2)
        tokens = realm_client.transport.tokens
        assert tokens.grants + tokens.refreshes >= 3, (tokens.grants, tokens.refreshes)
