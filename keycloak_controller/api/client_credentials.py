"""The credentials Secret's rotation and metadata, and the status of the last rotation.

Rotation regenerates the client secret in Keycloak and writes it to the Secret in
the same reconcile, on a schedule (`rotation.period`) or on request (a new value
of the `keycloak-controller.dev/rotate-secret` annotation on the KeycloakClient).
A bring-your-own secret (`existingSecret`) is the owner's to rotate: refused here.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field

from .base import MAX_TEXT, SpecModel, StatusModel, cel
from .base import Rule as CelRule

# The annotation a user changes (to any new value) to ask for a rotation.
ROTATE_ANNOTATION = "keycloak-controller.dev/rotate-secret"
# Annotations on the Secret are the controller's under this prefix.
RESERVED_PREFIX = "keycloak-controller.dev/"
MAX_METADATA = 64

# A Go-style duration restricted to hours, minutes and seconds (what CEL's
# duration() parses); at least one minute, below which a workload could not even
# pick up the new Secret before the next rotation.
DURATION_PATTERN = r"^([0-9]+h)?([0-9]+m)?([0-9]+s)?$"
MIN_PERIOD = "1m"
_DURATION_PART = re.compile(r"([0-9]+)([hms])")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def period_seconds(period: str) -> int:
    """Seconds of a duration admission accepted (e.g. 720h, 1h30m, 90s)."""
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(period))


class SecretRotation(SpecModel):
    """When the controller regenerates the client secret."""

    period: str | None = Field(
        default=None,
        min_length=2,
        max_length=32,
        pattern=DURATION_PATTERN,
        description=(
            "Rotate when the secret is this old (a duration in h, m and s, e.g. 720h; at "
            f"least {MIN_PERIOD}). Unset: only on request, through the "
            f"{ROTATE_ANNOTATION} annotation of the KeycloakClient (set it to a new value)."
        ),
        json_schema_extra=cel(
            CelRule(
                f"duration(self) >= duration('{MIN_PERIOD}')",
                f"rotation.period must be at least {MIN_PERIOD}",
            )
        ),
    )


Value = Annotated[str, Field(max_length=MAX_TEXT)]


# Kubernetes' own syntax for label and annotation keys (an optional DNS-subdomain
# prefix and a name of at most 63 characters) and for label values: the apiserver
# refuses anything else when the controller writes the Secret, so admission must.
_QUALIFIED_NAME = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
_LABEL_VALUE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"


def _metadata_field(what: str, *, label_values: bool = False) -> Any:
    values = (
        [
            CelRule(
                f"self.all(k, self[k].matches('{_LABEL_VALUE}'))",
                "label values must be at most 63 letters, digits, '-', '_' or '.', "
                "beginning and ending with a letter or digit",
            )
        ]
        if label_values
        else []
    )
    return Field(
        default=None,
        max_length=MAX_METADATA,
        description=(
            f"{what} added to the Secret (e.g. for Reloader), merged with the controller's "
            f"own, which win. Keys under {RESERVED_PREFIX} are the controller's and refused. "
            "Unset: only the controller's."
        ),
        json_schema_extra={
            "maxProperties": MAX_METADATA,
            **cel(
                CelRule(
                    f"self.all(k, !k.startsWith('{RESERVED_PREFIX}'))",
                    f"keys under {RESERVED_PREFIX} are set by the controller",
                ),
                CelRule(
                    f"self.all(k, k.matches('{_QUALIFIED_NAME}'))",
                    "keys must be Kubernetes qualified names: an optional DNS-subdomain "
                    "prefix and '/', then at most 63 letters, digits, '-', '_' or '.'",
                ),
                *values,
            ),
        },
    )


class SecretMetadata(SpecModel):
    """Mixin fields of `credentialsSecret`: the Secret's labels and annotations."""

    labels: dict[str, Value] | None = _metadata_field("Labels", label_values=True)
    annotations: dict[str, Value] | None = _metadata_field("Annotations")


# On KeycloakClientSpec: rotation needs a secret Keycloak generates.
ROTATION_RULES = (
    CelRule(
        "!has(self.credentialsSecret) || !has(self.credentialsSecret.rotation) "
        "|| !has(self.credentialsSecret.existingSecret)",
        "credentialsSecret.rotation rotates a secret Keycloak generates; a bring-your-own "
        "existingSecret is rotated by changing that Secret",
        field_path=".credentialsSecret.rotation",
    ),
    CelRule(
        "!has(self.credentialsSecret) || !has(self.credentialsSecret.rotation) "
        "|| (self.accessType == 'Confidential' && self.protocol == 'openid-connect' "
        "&& (!has(self.clientAuthentication) "
        "|| self.clientAuthentication.method in ['ClientSecret', 'ClientSecretJwt']))",
        "credentialsSecret.rotation is for Confidential openid-connect clients that "
        "authenticate with a client secret",
        field_path=".credentialsSecret.rotation",
    ),
)


class CredentialsStatus(StatusModel):
    """The client secret's rotation (times only, never a value)."""

    last_rotation_time: str | None = Field(
        default=None,
        description="When the current client secret was generated in Keycloak (RFC 3339).",
    )
    next_rotation_time: str | None = Field(
        default=None, description="When rotation.period rotates it next (RFC 3339)."
    )
    previous_secret_expiry_time: str | None = Field(
        default=None,
        description=(
            "Until when Keycloak still accepts the previous secret (RFC 3339): only with a "
            "realm client policy whose profile has the secret-rotation executor. Absent: the "
            "previous secret stopped working at the rotation."
        ),
    )


__all__ = [
    "MIN_PERIOD",
    "ROTATE_ANNOTATION",
    "ROTATION_RULES",
    "CredentialsStatus",
    "SecretMetadata",
    "SecretRotation",
    "period_seconds",
]
