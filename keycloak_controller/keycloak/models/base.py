"""Base class of every generated Keycloak model: masks secrets in repr().

Representations carry passwords (CredentialRepresentation.value), client
secrets (ClientRepresentation.secret, identity provider config clientSecret)
and SMTP passwords (RealmRepresentation.smtpServer). A model can end up in a
log line or an assertion message, so its repr must never show them. The
values themselves are untouched: model_dump() still returns them for the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

MASK = "***"

# Matched against field names and against keys of free-form dict fields
# (config maps), case-insensitively.
_SECRET_KEY = re.compile(r"secret|password|token|credential_?data|^value$|^hashed", re.IGNORECASE)


def is_secret_key(name: str) -> bool:
    return bool(_SECRET_KEY.search(name))


def mask_secrets(value: Any) -> Any:
    """A copy of a JSON-like value with secret-looking keys' values masked."""
    if isinstance(value, dict):
        return {k: _mask_entry(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def _mask_entry(key: Any, value: Any) -> Any:
    if isinstance(key, str) and is_secret_key(key) and value is not None:
        return MASK
    return mask_secrets(value)


class KeycloakModel(BaseModel):
    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if value is None:
                continue  # most fields are unset; hiding them keeps reprs readable
            if name is not None and is_secret_key(name):
                yield name, MASK
            else:
                yield name, mask_secrets(value)
