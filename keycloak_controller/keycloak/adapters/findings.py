"""Structured results of checking a desired spec against a Keycloak version.

Each finding has a CamelCase `reason` and a human `message`, the shape of a
Kubernetes status condition, so reconcilers can surface them unchanged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    WARNING = "Warning"  # applied with a degradation (e.g. a field is dropped)
    ERROR = "Error"  # cannot be applied to this version at all


@dataclass(frozen=True)
class Finding:
    severity: Severity
    reason: str
    message: str
    field: str | None = None  # JSON path inside the payload, e.g. "clients[0].type"


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]
