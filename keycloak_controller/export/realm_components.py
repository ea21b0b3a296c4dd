"""Key providers and other realm components as `spec.keyProviders` / `spec.components`.

The inverse of `controllers.realm_components.wanted_key_provider`. A new realm's
generated keys (`defaults.KEY_PROVIDERS`) are left out unless changed, and then
listed by name with only the changed fields (the controller manages just those
on the copy's own default provider, so the round trip does not duplicate
them); a new realm's client registration policies likewise. Generated key
material is never read (Keycloak keeps it); an imported RSA key's private key
and certificate become references to a Secret stub. A component's config value
that Keycloak masks becomes a `configSecrets` reference. Components other fields
own (user storage, LDAP mappers, user profile) are left to them; what cannot be
expressed is returned by name, for a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.realm_components import (
    FOREIGN_PROVIDER_TYPES,
    KEY_PROVIDER_TYPE,
    Component,
    KeyProvider,
)
from keycloak_controller.keycloak.models import ComponentRepresentation

from . import bundle, defaults
from .realm_settings import SecretStub

MASKED = "**********"
CLIENT_REGISTRATION_POLICY = (
    "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"
)
# providerId -> (KeyProvider kind field, {config key: kind field alias}).
KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "rsa-generated": ("rsaGenerated", {"keySize": "keySize", "algorithm": "algorithm"}),
    "rsa-enc-generated": ("rsaEncGenerated", {"keySize": "keySize", "algorithm": "algorithm"}),
    "hmac-generated": ("hmacGenerated", {"secretSize": "secretSize", "algorithm": "algorithm"}),
    "aes-generated": ("aesGenerated", {"secretSize": "secretSize"}),
    "ecdsa-generated": ("ecdsaGenerated", {"ecdsaEllipticCurveKey": "curve"}),
    "rsa": ("rsa", {"algorithm": "algorithm"}),
}
_INT_KEYS = frozenset({"keySize", "secretSize"})
# Config keys of key providers that hold key material or are derived from it.
KEY_MATERIAL = frozenset({"privateKey", "certificate", "secret", "kid", "keyUse"})
_COMMON = ("priority", "enabled", "active")


@dataclass
class ExportedComponents:
    key_providers: list[KeyProvider] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name (why)"


def _one(config: Mapping[str, list[str]], key: str) -> str | None:
    values = config.get(key) or []
    return values[0] if values else None


def _common_fields(
    config: Mapping[str, list[str]], fresh: Mapping[str, list[str]] | None
) -> dict[str, Any]:
    """priority/enabled/active; with `fresh` (a default provider) only those that differ
    (an absent enabled/active is true)."""
    out: dict[str, Any] = {}
    for key in _COMMON:
        value = _one(config, key)
        if value is None:
            continue
        if fresh is not None:
            was = _one(fresh, key) or ("true" if key != "priority" else None)
            if value == was:
                continue
        out[key] = int(value) if key == "priority" else value == "true"
    return out


def export_key_provider(
    have: ComponentRepresentation,
    secret_name: str,
    secrets: list[SecretStub],
    skipped: list[str],
) -> KeyProvider | None:
    """None when it is a new realm's default provider as it was made, or of a kind the
    CRD does not type (then named in `skipped`)."""
    name, provider = have.name or "", have.provider_id or ""
    if provider not in KINDS:
        skipped.append(f"{name} (key provider {provider})")
        return None
    config = {k: list(v) for k, v in (have.config or {}).items()}
    default = defaults.KEY_PROVIDERS.get(name)
    fresh = default[1] if default is not None and default[0] == provider else None
    kind, keys = KINDS[provider]
    block: dict[str, Any] = {}
    for key, alias in keys.items():
        value = _one(config, key)
        if value is None or (fresh is not None and _one(fresh, key) == value):
            continue
        block[alias] = int(value) if key in _INT_KEYS and value.isdigit() else value
    untyped = sorted(
        k for k in config if k not in keys and k not in _COMMON and k not in KEY_MATERIAL
    )
    if untyped:
        skipped.append(f"{name}'s config {', '.join(untyped)} (no typed field; left out)")
    if provider == "rsa":
        base = bundle.object_name("key", name)
        block["privateKeySecretRef"] = SecretKeySelector(
            name=secret_name, key=f"{base}-private-key"
        )
        secrets.append(
            SecretStub(secret_name, f"{base}-private-key", f"key provider {name}'s PEM private key")
        )
        if _one(config, "certificate"):
            block["certificateSecretRef"] = SecretKeySelector(
                name=secret_name, key=f"{base}-certificate"
            )
            secrets.append(
                SecretStub(
                    secret_name,
                    f"{base}-certificate",
                    f"key provider {name}'s PEM certificate (public: Keycloak's Keys tab shows it)",
                )
            )
    common = _common_fields(config, fresh)
    if fresh is not None and not block and not common:
        return None
    return KeyProvider.model_validate({"name": name, **common, kind: block})


def _config_equal(have: Mapping[str, list[str]], fresh: Mapping[str, list[str]]) -> bool:
    return {k: sorted(v) for k, v in have.items() if v} == {k: sorted(v) for k, v in fresh.items()}


def export_component(
    have: ComponentRepresentation, realm_id: str, secret_name: str, secrets: list[SecretStub]
) -> Component | None:
    """None for a new realm's client registration policy as it was made."""
    name = have.name or ""
    config = {k: list(v) for k, v in (have.config or {}).items()}
    key = (name, have.provider_id or "", have.sub_type or "")
    fresh = defaults.CLIENT_REGISTRATION_POLICIES.get(key)
    if (
        have.provider_type == CLIENT_REGISTRATION_POLICY
        and fresh is not None
        and _config_equal(config, fresh)
    ):
        return None
    masked = sorted(k for k, v in config.items() if MASKED in v)
    config_secrets = {}
    for config_key in masked:
        config.pop(config_key)
        secret_key = bundle.object_name("component", name, config_key)
        config_secrets[config_key] = SecretKeySelector(name=secret_name, key=secret_key)
        secrets.append(SecretStub(secret_name, secret_key, f"component {name}'s {config_key}"))
    return Component.model_validate(
        {
            "name": name,
            "providerType": have.provider_type,
            "providerId": have.provider_id,
            "subType": have.sub_type or None,
            "parentId": have.parent_id if have.parent_id not in (None, realm_id) else None,
            "config": config or None,
            "configSecrets": config_secrets or None,
        }
    )


def export_components(
    components: Iterable[ComponentRepresentation],
    realm_id: str,
    secret_name: str,
    secrets: list[SecretStub],
) -> ExportedComponents:
    """The realm's key providers and components (those other fields own left out). Names
    are the spec's keys: a changed component whose name is not unique is skipped."""
    out = ExportedComponents()
    components = list(components)
    # Keycloak allows one name twice (a new realm's anonymous and authenticated
    # registration policies share theirs); the spec keys components by name, so such a
    # name cannot say which one it means.
    named = [(c.provider_type, c.name) for c in components if c.parent_id in (None, realm_id)]
    for have in components:
        kind = have.provider_type or ""
        if kind in FOREIGN_PROVIDER_TYPES and kind != KEY_PROVIDER_TYPE:
            continue
        if have.parent_id not in (None, realm_id):
            continue  # a child of another component (its parent's field exports it)
        if kind == KEY_PROVIDER_TYPE:
            provider = export_key_provider(have, secret_name, secrets, out.skipped)
            if provider is not None:
                out.key_providers.append(provider)
            continue
        component = export_component(have, realm_id, secret_name, secrets)
        if component is None:
            continue
        if named.count((have.provider_type, have.name)) > 1:
            sub_type = f", {have.sub_type}" if have.sub_type else ""
            out.skipped.append(
                f"{component.name} ({have.provider_id}{sub_type}: its name is not unique)"
            )
            continue
        out.components.append(component)
    out.key_providers.sort(key=lambda p: p.name)
    out.components.sort(key=lambda c: c.name)
    return out
