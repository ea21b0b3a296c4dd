"""A realm's key providers (`spec.keyProviders`) and other components
(`spec.components`).

Placeholder: the components work fills this module in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from .base import SpecModel
from .common import SecretKeySelector


class Component(SpecModel):
    """Placeholder."""


class KeyProvider(SpecModel):
    """Placeholder."""


def key_providers_field() -> Any:
    return Field(default=None, description="Not managed yet (placeholder).")


def components_field() -> Any:
    return Field(default=None, description="Not managed yet (placeholder).")


def components_secret_refs(spec: Any) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads (for the Secret index and watch)."""
    return iter(())
