"""Model bases and schema annotations shared by every kind.

The Pydantic models are the single source of the CRDs: descriptions, defaults,
enums, bounds and CEL rules are declared here, next to the fields, and
`keycloak_controller.api.schema` turns them into structural OpenAPI.

Conventions:
- snake_case in Python, camelCase on the wire (alias generator);
- a spec field left unset means "not managed": the controller leaves
  Keycloak's value alone; a field that is set (even to an empty list) is
  authoritative and drift is corrected;
- spec models forbid unknown fields (the apiserver prunes them anyway, so an
  unknown field means the CRD is newer than this code, and silently ignoring a
  setting the user made is worse than reporting it); status models keep unknown
  fields so that an older controller does not drop what a newer one wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

# Bounds that keep CEL cost estimates finite (the apiserver rejects rules whose
# worst-case cost is unbounded) and match Keycloak's own column sizes.
MAX_NAME = 255
MAX_URL = 2048
MAX_TEXT = 4096
MAX_LIST = 256
INT32_MAX = 2**31 - 1


class SpecModel(BaseModel):
    """Base of spec types: strict, camelCase on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class StatusModel(BaseModel):
    """Base of status types: tolerant of fields written by other versions."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
    )


@dataclass(frozen=True)
class Rule:
    """One `x-kubernetes-validations` entry: a CEL rule and the message users see."""

    rule: str
    message: str
    field_path: str | None = None
    reason: str | None = None  # FieldValueInvalid (default), FieldValueForbidden, ...

    def to_schema(self) -> dict[str, str]:
        out = {"rule": self.rule, "message": self.message}
        if self.field_path:
            out["fieldPath"] = self.field_path
        if self.reason:
            out["reason"] = self.reason
        return out


def cel(*rules: Rule, **extra: Any) -> dict[str, Any]:
    """`json_schema_extra` carrying CEL rules (and any other schema keys)."""
    return {"x-kubernetes-validations": [r.to_schema() for r in rules], **extra}


def immutable(field: str) -> dict[str, Any]:
    """A transition rule: once set, the value cannot change."""
    return cel(
        Rule(
            "self == oldSelf",
            f"{field} is immutable; create a new object to change it",
            reason="FieldValueForbidden",
        )
    )


def list_set(**extra: Any) -> dict[str, Any]:
    """A list whose items are unique scalars (server-side apply merges by value)."""
    return {"x-kubernetes-list-type": "set", **extra}


def list_map(*keys: str, **extra: Any) -> dict[str, Any]:
    """A list of objects keyed by `keys` (server-side apply merges by key)."""
    return {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys), **extra}


def exactly_one(*fields: str) -> str:
    """CEL: exactly one of the optional `fields` is set."""
    present = ", ".join(f"has(self.{f})" for f in fields)
    return f"[{present}].filter(x, x).size() == 1"
