"""A realm's authentication flows (`spec.authenticationFlows`) and the realm's
flow bindings (`spec.flowBindings`).

A flow is a top-level flow by alias, made by copying another flow (`copyOf`),
from its listed executions, or both (copied, then the listed executions
reconciled). Executions nest: an execution is an authenticator or a subflow
with executions of its own, down to `MAX_SUBFLOW_DEPTH` subflow levels (a CRD
schema cannot be recursive, so each level is its own type). Admission rules
(CEL) cover the flow and its first levels; deeper levels are checked by the
same rules when the spec is parsed (a `Stalled`, `InvalidSpec` condition).
CEL's cost estimate multiplies the bounds of nested lists, which is why the
deep levels carry no CEL and the lists are kept short.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from .base import MAX_NAME, MAX_TEXT, Rule, SpecModel, cel, exactly_one, list_map
from .common import SecretKeySelector

# Subflows within subflows: Keycloak's deepest built-in flow ("first broker login")
# nests five levels, so a copy of it can be listed in full.
MAX_SUBFLOW_DEPTH = 5
MAX_FLOWS = 64
MAX_EXECUTIONS = 32  # per flow or subflow
MAX_CONFIG_KEYS = 64
# The description Keycloak stores has room for 255 characters, the ownership
# marker included (see controllers/realm_flows.py).
MAX_FLOW_DESCRIPTION = 200

Requirement = Literal["REQUIRED", "ALTERNATIVE", "DISABLED", "CONDITIONAL"]
FlowAlias = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]

AUTHENTICATION_FLOWS_DESCRIPTION = (
    "The realm's top-level authentication flows, by alias. Unset: not managed. Owned-only: "
    "items this resource created are removed when no longer listed; items created elsewhere "
    "are left alone. Ownership is a marker at the end of the flow's description "
    "([keycloak-controller.dev/owner=...]). Keycloak's built-in flows (browser, direct grant, "
    "registration, ...) are never modified or deleted: listing one is refused, copy it "
    "instead (copyOf). A listed flow made elsewhere is managed but not adopted. A flow still "
    "bound to the realm, a client or an identity provider is not deleted (a condition names "
    "the binding)."
)
FLOW_BINDINGS_DESCRIPTION = (
    "Which flow the realm uses for each purpose, by flow alias (built-in or from "
    "authenticationFlows). Unset: not managed; each binding left unset keeps Keycloak's "
    "value. Per-client overrides are set on the KeycloakClient."
)
EXECUTIONS_DESCRIPTION = (
    "The flow's executions, in order (the order is the priority). Authoritative: when set, "
    "executions not listed are removed and the rest are moved into the listed order. Unset: "
    "the executions are not managed (e.g. a copy kept as copied)."
)


class AuthenticatorConfig(SpecModel):
    """An authenticator's configuration (Keycloak's authenticator config)."""

    alias: str = Field(
        min_length=1, max_length=MAX_NAME, description="The config's alias (a display name)."
    )
    config: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] = Field(
        default_factory=dict,
        max_length=MAX_CONFIG_KEYS,
        description="The settings, e.g. {condUserRole: admin, negate: 'true'} for "
        "conditional-user-role. Additive: listed keys are kept equal, others are left alone. "
        "Plain values only: do not put secrets here.",
        json_schema_extra={"maxProperties": MAX_CONFIG_KEYS},
    )


class _Step(SpecModel):
    """One execution: an authenticator, or a subflow (levels that allow one)."""

    authenticator: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_NAME,
        description="The authenticator's provider id, e.g. auth-cookie, "
        "auth-username-password-form, direct-grant-validate-password, conditional-user-role, "
        "deny-access-authenticator. It must be installed on the server.",
    )
    requirement: Requirement | None = Field(
        default=None,
        description="REQUIRED, ALTERNATIVE, DISABLED or CONDITIONAL (only those the "
        "authenticator offers). Required with an authenticator; a subflow sets its own.",
    )
    config: AuthenticatorConfig | None = Field(
        default=None,
        description="The authenticator's configuration. Unset: not managed (an existing "
        "config is kept).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> _Step:
        problems = step_problems(self.authenticator, getattr(self, "subflow", None), self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def step_problems(authenticator: str | None, subflow: object, step: _Step) -> list[str]:
    """The rules one execution must follow (also checked by CEL where cost allows)."""
    out = []
    if (authenticator is None) == (subflow is None):
        out.append("set exactly one of authenticator or subflow")
    if authenticator is not None and step.requirement is None:
        out.append(f"authenticator {authenticator}: set a requirement")
    if subflow is not None and (step.requirement is not None or step.config is not None):
        out.append("a subflow sets its requirement inside subflow, and has no config")
    return out


_STEP_RULES = (
    Rule(exactly_one("authenticator", "subflow"), "set exactly one of authenticator or subflow"),
    Rule(
        "!has(self.authenticator) || has(self.requirement)", "an authenticator needs a requirement"
    ),
    Rule(
        "!has(self.subflow) || (!has(self.requirement) && !has(self.config))",
        "a subflow sets its requirement inside subflow, and has no config",
    ),
)
_STEP_EXTRA = cel(*_STEP_RULES)


class _Subflow(SpecModel):
    """A subflow: a flow run as one execution of its parent."""

    alias: FlowAlias = Field(
        description="The subflow's alias, unique among all flows of the realm (Keycloak "
        "keeps subflows beside top-level flows)."
    )
    description: str | None = Field(
        default=None, max_length=MAX_NAME, description="Shown in the admin console."
    )
    provider_id: Literal["basic-flow", "form-flow"] = Field(
        default="basic-flow",
        description="basic-flow (authenticators run in turn) or form-flow (form actions on "
        "one registration-style page, provider registration-page-form). Changing it replaces "
        "the subflow.",
    )
    requirement: Requirement = Field(
        description="REQUIRED, ALTERNATIVE, DISABLED or CONDITIONAL (run only when its "
        "condition-* authenticators are all met)."
    )


def _executions_field() -> Any:
    return Field(default=None, max_length=MAX_EXECUTIONS, description=EXECUTIONS_DESCRIPTION)


# The levels, deepest first. Level n's executions may hold subflows of level n
# (whose executions are level n+1); the deepest level holds authenticators only.
# The deeper levels have no CEL (cost, see the module docstring); the validator
# on _Step checks them when parsing.
class Execution5(_Step):
    """An authenticator at the deepest level (no further subflows)."""


class Subflow4(_Subflow):
    executions: list[Execution5] | None = _executions_field()


class Execution4(_Step):
    subflow: Subflow4 | None = Field(default=None, description="A subflow.")


class Subflow3(_Subflow):
    executions: list[Execution4] | None = _executions_field()


class Execution3(_Step):
    subflow: Subflow3 | None = Field(default=None, description="A subflow.")


class Subflow2(_Subflow):
    executions: list[Execution3] | None = _executions_field()


class Execution2(_Step):
    subflow: Subflow2 | None = Field(default=None, description="A subflow.")


class Subflow1(_Subflow):
    executions: list[Execution2] | None = _executions_field()


class Execution1(_Step):
    model_config = ConfigDict(json_schema_extra=_STEP_EXTRA)

    subflow: Subflow1 | None = Field(default=None, description="A subflow.")


class Subflow0(_Subflow):
    executions: list[Execution1] | None = _executions_field()


class Execution(_Step):
    """One execution of a top-level flow: an authenticator or a subflow."""

    model_config = ConfigDict(json_schema_extra=_STEP_EXTRA)

    subflow: Subflow0 | None = Field(
        default=None, description="A subflow, with its own executions."
    )


class AuthenticationFlow(SpecModel):
    """A top-level authentication flow. `copyOf` only matters when the flow is created."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            Rule(
                "has(self.copyOf) || has(self.executions)",
                "set copyOf (start from a copy), executions (build it), or both (copy, then "
                "reconcile the listed executions)",
            ),
            Rule("!has(self.copyOf) || self.copyOf != self.alias", "a flow cannot copy itself"),
        )
    )

    alias: FlowAlias = Field(
        description="The flow's alias, its identity: a new alias is a new flow. Not the alias "
        "of a built-in flow (copy it instead)."
    )
    description: str | None = Field(
        default=None,
        max_length=MAX_FLOW_DESCRIPTION,
        description="Shown in the admin console. Unset: a copy keeps its source's.",
    )
    provider_id: Literal["basic-flow", "client-flow"] | None = Field(
        default=None,
        description="basic-flow (users log in) or client-flow (clients authenticate; for "
        "the clientAuthentication binding). Unset: basic-flow, or the copied flow's.",
    )
    copy_of: FlowAlias | None = Field(
        default=None,
        description="Create the flow as a copy of this flow (built-in, e.g. browser or "
        "'direct grant', or another listed flow); its subflows are copied as '<alias> "
        "<subflow alias>'. Used only when the flow does not exist yet.",
    )
    executions: list[Execution] | None = _executions_field()


class FlowBindings(SpecModel):
    """The realm's flow for each purpose, by alias."""

    browser: FlowAlias | None = Field(
        default=None, description="Logging in through the browser (browserFlow)."
    )
    registration: FlowAlias | None = Field(
        default=None, description="Self-registration (registrationFlow)."
    )
    direct_grant: FlowAlias | None = Field(
        default=None,
        description="The resource owner password grant (directGrantFlow).",
    )
    reset_credentials: FlowAlias | None = Field(
        default=None, description="Forgotten password (resetCredentialsFlow)."
    )
    client_authentication: FlowAlias | None = Field(
        default=None,
        description="How clients authenticate (clientAuthenticationFlow; a client-flow).",
    )
    docker_authentication: FlowAlias | None = Field(
        default=None, description="The Docker registry protocol (dockerAuthenticationFlow)."
    )
    first_broker_login: FlowAlias | None = Field(
        default=None,
        description="A user's first login through an identity provider (firstBrokerLoginFlow).",
    )


# FlowBindings field -> RealmRepresentation field (Python names on both sides).
BINDING_FIELDS: dict[str, str] = {
    "browser": "browser_flow",
    "registration": "registration_flow",
    "direct_grant": "direct_grant_flow",
    "reset_credentials": "reset_credentials_flow",
    "client_authentication": "client_authentication_flow",
    "docker_authentication": "docker_authentication_flow",
    "first_broker_login": "first_broker_login_flow",
}


def flow_bindings_field() -> Any:
    return Field(default=None, description=FLOW_BINDINGS_DESCRIPTION)


def authentication_flows_field() -> Any:
    return Field(
        default=None,
        max_length=MAX_FLOWS,
        description=AUTHENTICATION_FLOWS_DESCRIPTION,
        json_schema_extra=list_map("alias"),
    )


def authentication_flows_secret_refs(spec: Any) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads: none (authenticator configs are plain)."""
    return iter(())
