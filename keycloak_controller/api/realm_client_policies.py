"""A realm's client policies and profiles (`spec.clientPolicies`).

Placeholder: the client-policies work fills this module in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from .base import SpecModel
from .common import SecretKeySelector


class ClientPolicies(SpecModel):
    """Placeholder."""


def client_policies_field() -> Any:
    return Field(default=None, description="Not managed yet (placeholder).")


def client_policies_secret_refs(spec: Any) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads (for the Secret index and watch)."""
    return iter(())
