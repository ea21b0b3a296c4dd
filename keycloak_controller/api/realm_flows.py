"""A realm's authentication flows (`spec.authenticationFlows`) and the realm's
flow bindings (`spec.flowBindings`).

Placeholder: the authentication-flows work fills this module in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from .base import SpecModel
from .common import SecretKeySelector


class AuthenticationFlow(SpecModel):
    """Placeholder."""


class FlowBindings(SpecModel):
    """Placeholder."""


def flow_bindings_field() -> Any:
    return Field(default=None, description="Not managed yet (placeholder).")


def authentication_flows_field() -> Any:
    return Field(default=None, description="Not managed yet (placeholder).")


def authentication_flows_secret_refs(spec: Any) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads (for the Secret index and watch)."""
    return iter(())
