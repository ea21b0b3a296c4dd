"""A realm's user federation (`spec.userFederation`): LDAP and Kerberos providers.

Placeholder: the user-federation work fills this module in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from .base import SpecModel
from .common import SecretKeySelector


class UserFederation(SpecModel):
    """Placeholder."""


def user_federation_field() -> Any:
    return Field(default=None, description="Not managed yet (placeholder).")


def user_federation_secret_refs(spec: Any) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads (for the Secret index and watch)."""
    return iter(())
