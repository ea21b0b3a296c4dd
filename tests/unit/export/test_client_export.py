"""One client's export with the reads it makes answered in memory: flow overrides by
alias, Keycloak's own authorization role left out, the service account's groups, and
which reads a client without those features costs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from keycloak_controller.export.clients import export_client, export_clients
from keycloak_controller.export.realm_children import ClientNames
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import NotFound
from keycloak_controller.keycloak.models import (
    AuthenticationFlowRepresentation,
    ClientRepresentation,
    GroupRepresentation,
    MappingsRepresentation,
    ResourceServerRepresentation,
    RoleRepresentation,
    UserRepresentation,
)

SCOPES: tuple[set[str], set[str]] = (set(), set())


class Answers:
    """The Admin API reads export_client makes, answered from memory and counted."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.roles = self
        self.authentication = self
        self.clients = self
        self.user_role_mappings = self
        self.users = self
        self.authorization = self

    def iter_all(self, realm: str, client_uuid: str | None = None) -> Iterator[RoleRepresentation]:
        self.reads.append("roles")
        names = ["uma_protection", "reader"] if client_uuid == "orders-id" else []
        return iter([RoleRepresentation(name=n) for n in names])

    def get_flow(self, realm: str, flow_id: str) -> AuthenticationFlowRepresentation:
        self.reads.append("flow")
        if flow_id == "gone":
            raise NotFound("no such flow")
        return AuthenticationFlowRepresentation(id=flow_id, alias=f"alias of {flow_id}")

    def service_account_user(self, realm: str, client_uuid: str) -> UserRepresentation:
        self.reads.append("service account")
        return UserRepresentation(id="sa")

    def all(self, realm: str, user_id: str) -> MappingsRepresentation:
        self.reads.append("role mappings")
        return MappingsRepresentation.model_validate(
            {
                "realmMappings": [{"name": "default-roles-r"}, {"name": "viewer"}],
                "clientMappings": {"orders": {"mappings": [{"name": "uma_protection"}]}},
            }
        )

    def iter_groups(self, realm: str, user_id: str) -> Iterator[GroupRepresentation]:
        self.reads.append("groups")
        return iter([GroupRepresentation(name="eng", path="/eng")])

    def export(self, realm: str, client_uuid: str) -> ResourceServerRepresentation:
        self.reads.append("authorization")
        return ResourceServerRepresentation.model_validate({"policyEnforcementMode": "PERMISSIVE"})


def client(**fields: Any) -> ClientRepresentation:
    return ClientRepresentation.model_validate({"protocol": "openid-connect", **fields})


def run(rep: ClientRepresentation, answers: Answers) -> Any:
    admin = cast(KeycloakAdmin, answers)
    return export_client(admin, "r", rep, "r", ClientNames({}), SCOPES)


def test_flow_overrides_come_out_by_alias_and_a_gone_flow_is_a_note() -> None:
    answers = Answers()
    done = run(
        client(
            id="cli-id",
            clientId="cli",
            publicClient=True,
            authenticationFlowBindingOverrides={"browser": "f1", "direct_grant": "gone"},
        ),
        answers,
    )
    overrides = done.spec.authentication_flow_overrides
    assert overrides is not None
    assert (overrides.browser, overrides.direct_grant) == ("alias of f1", None)
    assert any("direct_grant" in note for note in done.notes)


def test_keycloaks_own_authorization_role_is_left_out_and_the_account_keeps_its_groups() -> None:
    answers = Answers()
    done = run(
        client(
            id="orders-id",
            clientId="orders",
            publicClient=False,
            serviceAccountsEnabled=True,
            authorizationServicesEnabled=True,
        ),
        answers,
    )
    spec = done.spec
    assert [r.name for r in spec.roles or []] == ["reader"]
    account = spec.service_account
    assert account is not None
    assert (account.realm_roles, account.client_roles, account.groups) == (
        ["viewer"],
        None,
        ["/eng"],
    )
    assert spec.authorization is not None
    assert spec.authorization.policy_enforcement_mode == "PERMISSIVE"
    assert sorted(answers.reads) == [
        "authorization",
        "groups",
        "role mappings",
        "roles",
        "service account",
    ]


def test_a_plain_client_costs_one_read_and_clients_keep_their_order() -> None:
    answers = Answers()
    plain = [client(id=f"id-{i}", clientId=f"app-{i}", publicClient=True) for i in range(12)]
    admin = cast(KeycloakAdmin, answers)
    out = list(export_clients(admin, "r", plain, "r", ClientNames({}), lambda _: SCOPES))
    assert [c.client_id for c, _ in out] == [f"app-{i}" for i in range(12)]
    assert [d.spec.client_id for _, d in out] == [f"app-{i}" for i in range(12)]
    assert answers.reads == ["roles"] * 12
