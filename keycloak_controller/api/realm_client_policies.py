"""A realm's client policies and profiles (`spec.clientPolicies`).

A profile is a list of executors (what is enforced: PKCE, secure redirect
URIs, ...); a policy applies profiles to the clients its conditions match.
Keycloak keeps each realm's own profiles and policies as one document each
(global, built-in ones are separate and read-only); the controller merges the
listed entries into them by name.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from .base import MAX_LIST, MAX_NAME, MAX_TEXT, SpecModel, list_map, list_set
from .common import SecretKeySelector

CLIENT_POLICIES_DESCRIPTION = (
    "The realm's own client profiles and policies (Keycloak's global, built-in profiles "
    "and policies are never changed; policies may name them). Unset: not managed. Listed "
    "entries are kept equal to the spec, by name; entries not listed are kept unless "
    "authoritative is true (then they are removed)."
)

# Any JSON value per key, as Keycloak's executors and conditions take them
# (strings, booleans, lists); the version adapter converts the shape per server.
Configuration = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {"type": "object", "maxProperties": 64, "x-kubernetes-preserve-unknown-fields": True}
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class Executor(SpecModel):
    """One executor of a profile: what it enforces on the matched clients."""

    executor: Name = Field(
        description="The executor provider, e.g. pkce-enforcer, secure-redirect-uris-enforcer, "
        "confidential-client, holder-of-key-enforcer."
    )
    configuration: Configuration | None = Field(
        default=None,
        description="The executor's settings, e.g. {auto-configure: false}. Unset: none.",
    )


class ClientProfile(SpecModel):
    name: Name = Field(description="The profile's name (its key here).")
    description: Annotated[str, Field(max_length=MAX_TEXT)] | None = Field(
        default=None, description="Unset: none."
    )
    executors: list[Executor] = Field(
        default_factory=list,
        max_length=64,
        description="The executors, in order (the list is kept exactly as given).",
    )


class Condition(SpecModel):
    """One condition of a policy: which clients or requests the policy applies to."""

    condition: Name = Field(
        description="The condition provider, e.g. any-client, client-access-type, "
        "client-roles, client-scopes, client-updater-source-host."
    )
    configuration: Configuration | None = Field(
        default=None,
        description="The condition's settings, e.g. {type: [confidential]} for "
        "client-access-type. Unset: none.",
    )


class PolicyMode(enum.StrEnum):
    DEFAULT = "DEFAULT"
    STRICT = "STRICT"


class ClientPolicy(SpecModel):
    name: Name = Field(description="The policy's name (its key here).")
    description: Annotated[str, Field(max_length=MAX_TEXT)] | None = Field(
        default=None, description="Unset: none."
    )
    enabled: bool = Field(default=True, description="The policy is evaluated.")
    mode: PolicyMode | None = Field(
        default=None,
        description="Keycloak 26.7+: STRICT applies the profiles only when every condition "
        "matches. Refused (IncompatibleVersion) on older servers, which always use DEFAULT.",
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        max_length=64,
        description="The conditions, in order (the list is kept exactly as given).",
    )
    profiles: list[Name] = Field(
        default_factory=list,
        max_length=64,
        description="The profiles the policy applies: listed in spec.clientPolicies.profiles, "
        "already in the realm, or global (e.g. fapi-2-security-profile).",
        json_schema_extra=list_set(),
    )


class ClientPolicies(SpecModel):
    """The realm's own client profiles and policies, merged by name."""

    profiles: list[ClientProfile] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Client profiles, by name. Unset: not managed.",
        json_schema_extra=list_map("name"),
    )
    policies: list[ClientPolicy] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Client policies, by name. Unset: not managed.",
        json_schema_extra=list_map("name"),
    )
    authoritative: bool = Field(
        default=False,
        description="Remove the realm's own profiles and policies that are not listed "
        "(in the lists that are set). Default: additive, unlisted entries are kept.",
    )


def client_policies_field() -> Any:
    return Field(default=None, description=CLIENT_POLICIES_DESCRIPTION)


def client_policies_secret_refs(spec: Any) -> Iterator[SecretKeySelector]:
    """Client policies read no Secrets."""
    return iter(())
