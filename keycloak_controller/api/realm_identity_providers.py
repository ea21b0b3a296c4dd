"""A realm's identity providers (`spec.identityProviders`), by alias.

Placeholder: the identity-providers work fills this module in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from .base import SpecModel
from .common import SecretKeySelector


class IdentityProvider(SpecModel):
    """Placeholder."""


def identity_providers_field() -> Any:
    return Field(default=None, description="Not managed yet (placeholder).")


def identity_providers_secret_refs(spec: Any) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads (for the Secret index and watch)."""
    return iter(())
