"""Read values out of referenced Secrets (and ConfigMaps) for a reconcile.

Values are returned wrapped in `Secret`, whose repr is masked, so they cannot
reach a log line, an Event, an exception or a status by accident. Messages name
the Secret and key, never the value.

Secrets come from `SecretCache` (secret_watch.py): the owned and referenced ones
are cached; a Secret read that no registry ref declares is read directly, so a
missing ref costs a GET, never a wrong "not found".
"""

from __future__ import annotations

import base64
import binascii

from keycloak_controller.api.common import ConfigMapKeySelector, SecretKeySelector
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.kubeapi import ApiException, KubeApi
from keycloak_controller.runtime.objects import CONFIG_MAPS

from .reasons import INVALID_SPEC, SECRET_NOT_FOUND, Problem
from .secret_watch import SecretCache


class SecretReader:
    """Secret values from the Secret cache; ConfigMaps by a direct read."""

    def __init__(self, secrets: SecretCache, api: KubeApi) -> None:
        self.secrets = secrets
        self.api = api

    def value(self, namespace: str, ref: SecretKeySelector) -> Secret:
        obj = self.secrets.get(namespace, ref.name)
        if obj is None and not self.secrets.is_cached(namespace, ref.name):
            obj = self.secrets.read(namespace, ref.name)
        if obj is None:
            raise Problem(
                SECRET_NOT_FOUND,
                f"Secret {namespace}/{ref.name} not found; create it with the key {ref.key!r}",
            )
        data = obj.get("data") or {}
        encoded = data.get(ref.key)
        if encoded is None:
            string_data = obj.get("stringData") or {}
            if ref.key in string_data:
                return Secret(str(string_data[ref.key]))
            raise Problem(
                SECRET_NOT_FOUND,
                f"Secret {namespace}/{ref.name} has no key {ref.key!r}; add it",
            )
        try:
            return Secret(base64.b64decode(str(encoded)).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError):
            raise Problem(
                INVALID_SPEC, f"Secret {namespace}/{ref.name} key {ref.key!r} is not UTF-8 text"
            ) from None

    def config_map_value(self, namespace: str, ref: ConfigMapKeySelector) -> str:
        try:
            obj = self.api.get(CONFIG_MAPS.object_path(namespace, ref.name))
        except ApiException as error:
            if error.status == 404:
                raise Problem(
                    SECRET_NOT_FOUND, f"ConfigMap {namespace}/{ref.name} not found; create it"
                ) from None
            raise
        value = (obj.get("data") or {}).get(ref.key)
        if value is None:
            raise Problem(
                SECRET_NOT_FOUND, f"ConfigMap {namespace}/{ref.name} has no key {ref.key!r}"
            )
        return str(value)
