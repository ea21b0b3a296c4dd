"""`spec.keyProviders` and `spec.components` as one realm section: both are
Keycloak components, read with one list.

- Removal: OWNED_ONLY for both. Keycloak drops config keys its provider does
  not declare (checked on 24.0.5, 25.0.6, 26.0.7 and 26.7.3), so no owner tag
  fits in a component's config. Instead a component this resource creates gets
  an id derived from the owner tag, the realm, the field and the name
  (`owned_id`; Keycloak keeps an id given on create, on every version): owned
  means "has that id". The realm's default key providers and anything made
  elsewhere never have it, so they are never deleted; listing one by name
  manages only the fields given.
- Equality is one-sided: the config keys the spec sets, compared as Keycloak's
  lists of strings.
- Secret config values (an imported key's PEM, `configSecrets`) come back
  masked, and an undeclared config key would be dropped, so their salted
  digest is kept in a realm attribute (`keycloak-controller.dev/component-
  digest.<id>`, the same idea as the SMTP password digest): a rotated Secret is
  a changed digest, and the values are sent again. A component whose type
  changed is deleted and created again.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_components import (
    FOREIGN_PROVIDER_TYPES,
    KEY_PROVIDER_TYPE,
    Component,
    KeyProvider,
)
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ComponentRepresentation, RealmRepresentation
from keycloak_controller.keycloak.secrets import Secret

from .childset import ChildSet, Removal, SetOps
from .ownership import PREFIX, Adoption, current_adoption
from .plan import Change
from .realm_section import RealmScope, RealmSection
from .reasons import INVALID_SPEC, Problem, problem_from_keycloak

KEY_PROVIDERS_REMOVAL = Removal.OWNED_ONLY
COMPONENTS_REMOVAL = Removal.OWNED_ONLY
DIGEST_ATTRIBUTE = PREFIX + "component-digest."
# A fixed namespace for the ids this controller gives the components it creates.
_ID_NAMESPACE = uuid.UUID("6f1c2b8e-5d4a-4f0e-9a57-3c1d2e7b9a10")
# Keycloak makes a certificate for an imported key when none is sent.
CERTIFICATE = "certificate"


def owned_id(owner_tag: str, realm: str, field_name: str, name: str) -> str:
    """The id of a component this resource creates: stable, and unique per owner."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{owner_tag}\0{realm}\0{field_name}\0{name}"))


def digest_attribute(component_id: str) -> str:
    return DIGEST_ATTRIBUTE + component_id


@dataclass(frozen=True)
class WantedComponent:
    """A listed key provider or component, in Keycloak's terms."""

    field_name: str  # keyProviders or components
    name: str
    provider_type: str
    provider_id: str
    config: dict[str, list[str]]
    # Config key -> Secret key, values sent but never compared (Keycloak masks them).
    secrets: dict[str, SecretKeySelector] = field(default_factory=dict)
    sub_type: str | None = None
    parent_id: str | None = None  # None: the realm
    # Config keys Keycloak fills itself when they are not sent.
    regenerated: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"{self.field_name}[{self.name}]"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def wanted_key_provider(provider: KeyProvider) -> WantedComponent:
    config: dict[str, list[str]] = {}
    if provider.priority is not None:
        config["priority"] = [str(provider.priority)]
    if provider.enabled is not None:
        config["enabled"] = [_flag(provider.enabled)]
    if provider.active is not None:
        config["active"] = [_flag(provider.active)]
    secrets: dict[str, SecretKeySelector] = {}
    regenerated: tuple[str, ...] = ()

    def put(key: str, value: object | None) -> None:
        if value is not None:
            config[key] = [str(value)]

    if provider.rsa_generated is not None:
        provider_id = "rsa-generated"
        put("keySize", provider.rsa_generated.key_size)
        put("algorithm", provider.rsa_generated.algorithm)
    elif provider.rsa_enc_generated is not None:
        provider_id = "rsa-enc-generated"
        put("keySize", provider.rsa_enc_generated.key_size)
        put("algorithm", provider.rsa_enc_generated.algorithm)
    elif provider.hmac_generated is not None:
        provider_id = "hmac-generated"
        put("secretSize", provider.hmac_generated.secret_size)
        put("algorithm", provider.hmac_generated.algorithm)
    elif provider.aes_generated is not None:
        provider_id = "aes-generated"
        put("secretSize", provider.aes_generated.secret_size)
    elif provider.ecdsa_generated is not None:
        provider_id = "ecdsa-generated"
        put("ecdsaEllipticCurveKey", provider.ecdsa_generated.curve)
    elif provider.rsa is not None:
        provider_id = "rsa"
        put("algorithm", provider.rsa.algorithm)
        secrets["privateKey"] = provider.rsa.private_key_secret_ref
        if provider.rsa.certificate_secret_ref is not None:
            secrets[CERTIFICATE] = provider.rsa.certificate_secret_ref
        else:
            regenerated = (CERTIFICATE,)
    else:  # admission requires exactly one kind
        raise Problem(INVALID_SPEC, f"spec.keyProviders[{provider.name}]: set exactly one kind")
    return WantedComponent(
        "keyProviders",
        provider.name,
        KEY_PROVIDER_TYPE,
        provider_id,
        config,
        secrets,
        regenerated=regenerated,
    )


def wanted_component(component: Component) -> WantedComponent:
    owner = FOREIGN_PROVIDER_TYPES.get(component.provider_type)
    if owner is not None:  # admission refuses it too
        raise Problem(
            INVALID_SPEC,
            f"spec.components[{component.name}]: providerType {component.provider_type} is "
            f"managed through {owner}",
        )
    return WantedComponent(
        "components",
        component.name,
        component.provider_type,
        component.provider_id,
        {k: list(v) for k, v in (component.config or {}).items()},
        dict(component.config_secrets or {}),
        sub_type=component.sub_type,
        parent_id=component.parent_id,
    )


def check_unique(field_name: str, names: Sequence[str]) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise Problem(INVALID_SPEC, f"spec.{field_name}: duplicate names {repeated}")


def config_equal(want: dict[str, list[str]], have: dict[str, list[str]] | None) -> bool:
    """One-sided: the keys the spec sets (an empty list matches an absent key)."""
    have = have or {}
    return all(have.get(k, []) == v for k, v in want.items())


@dataclass(frozen=True)
class Candidates:
    """Which actual components a field may match or remove."""

    realm_id: str
    is_owned: Callable[[ComponentRepresentation], bool]

    def pick(
        self, actual: Iterable[ComponentRepresentation], wanted: Sequence[WantedComponent]
    ) -> list[ComponentRepresentation]:
        """Components owned by this field, or of a listed name and type; one per name,
        an owned one first (Keycloak allows repeated names)."""
        listed = {(w.name, w.provider_type, w.parent_id or self.realm_id) for w in wanted}
        chosen: dict[str, ComponentRepresentation] = {}
        for item in actual:
            name = item.name or ""
            owned = self.is_owned(item)
            if not owned and (name, item.provider_type, item.parent_id) not in listed:
                continue
            if name not in chosen or (owned and not self.is_owned(chosen[name])):
                chosen[name] = item
        return list(chosen.values())


def component_set(
    field_name: str,
    removal: Removal,
    is_owned: Callable[[ComponentRepresentation], bool],
    realm_id: str,
    digests: Callable[[WantedComponent], str | None],
    stored: Callable[[ComponentRepresentation], str | None],
) -> ChildSet[WantedComponent, ComponentRepresentation]:
    def equal(want: WantedComponent, have: ComponentRepresentation) -> bool:
        return (
            have.provider_type == want.provider_type
            and have.provider_id == want.provider_id
            and (have.parent_id or "") == (want.parent_id or realm_id)
            and (want.sub_type is None or have.sub_type == want.sub_type)
            and config_equal(want.config, have.config)
            and digests(want) == stored(have)
        )

    return ChildSet(
        name=field_name,
        removal=removal,
        desired_key=lambda w: w.name,
        actual_key=lambda a: a.name or "",
        equal=equal,
        owned=is_owned,
    )


def creation_body(
    want: WantedComponent, component_id: str, realm_id: str, secrets: dict[str, Secret]
) -> ComponentRepresentation:
    config = {**want.config, **{k: [v.reveal()] for k, v in secrets.items()}}
    return ComponentRepresentation(
        id=component_id,
        name=want.name,
        provider_type=want.provider_type,
        provider_id=want.provider_id,
        parent_id=want.parent_id or realm_id,
        sub_type=want.sub_type,
        config=config,
    )


def update_body(
    want: WantedComponent, have: ComponentRepresentation, secrets: dict[str, Secret] | None
) -> ComponentRepresentation:
    """What Keycloak has with the listed keys set; the secrets when they changed (a
    masked value sent back is kept by Keycloak)."""
    body = have.model_copy(deep=True)
    config = {**(have.config or {}), **want.config}
    if want.sub_type is not None:
        body.sub_type = want.sub_type
    if secrets is not None:
        for key in want.regenerated:
            # Made again for the new values: an empty value, as an absent key would
            # keep the old one (and Keycloak refuses a certificate of another key).
            config[key] = []
        config.update({k: [v.reveal()] for k, v in secrets.items()})
    body.config = config
    return body


def combined_digest(scope: RealmScope, secrets: dict[str, Secret]) -> str:
    """One digest over a component's secret values (key order fixed)."""
    joined = "\0".join(f"{k}\0{secrets[k].reveal()}" for k in sorted(secrets))
    return scope.digest(Secret(joined))


def store_digest(admin: KeycloakAdmin, realm: str, component_id: str, digest: str | None) -> None:
    """Set (or with None remove) a component's digest attribute on the realm.

    The realm PUT replaces the attribute map, so the current one is read first
    and sent back whole.
    """
    actual = dict(admin.realms.get(realm).attributes or {})
    key = digest_attribute(component_id)
    if actual.get(key) == digest:
        return
    if digest is None:
        actual.pop(key, None)
    else:
        actual[key] = digest
    admin.realms.update(realm, RealmRepresentation(realm=realm, attributes=actual))


@dataclass
class ObservedComponents:
    realm_id: str
    attributes: dict[str, str]
    actual: list[ComponentRepresentation]


class ComponentsSection(RealmSection):
    name = "components"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.key_providers is not None or spec.components is not None

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        found = admin.realms.get(realm)
        self.observed = ObservedComponents(
            found.id or "", dict(found.attributes or {}), admin.components.list(realm)
        )

    def fields(self) -> list[tuple[str, Removal, list[WantedComponent]]]:
        out: list[tuple[str, Removal, list[WantedComponent]]] = []
        if self.spec.key_providers is not None:
            wanted = [wanted_key_provider(p) for p in self.spec.key_providers]
            out.append(("keyProviders", KEY_PROVIDERS_REMOVAL, wanted))
        if self.spec.components is not None:
            wanted = [wanted_component(c) for c in self.spec.components]
            out.append(("components", COMPONENTS_REMOVAL, wanted))
        return out

    def plan(self) -> list[Change]:
        changes: list[Change] = []
        for field_name, removal, wanted in self.fields():
            check_unique(field_name, [w.name for w in wanted])
            changes += self._plan_field(field_name, removal, wanted)
        return changes

    def _plan_field(
        self, field_name: str, removal: Removal, wanted: list[WantedComponent]
    ) -> list[Change]:
        scope, observed = self.scope, self.observed
        admin, realm, realm_id = scope.admin, scope.realm, observed.realm_id

        def my_id(name: str) -> str:
            return owned_id(scope.owner_tag, realm, field_name, name)

        def is_owned(item: ComponentRepresentation) -> bool:
            return bool(item.id) and item.id == my_id(item.name or "")

        values: dict[str, dict[str, Secret]] = {
            w.name: {k: scope.secret(ref) for k, ref in w.secrets.items()} for w in wanted
        }
        digests = {
            w.name: combined_digest(scope, values[w.name]) if w.secrets else None for w in wanted
        }

        def stored(have: ComponentRepresentation) -> str | None:
            if not any(w.name == have.name and w.secrets for w in wanted):
                return None  # no secrets asked for: nothing to compare
            return observed.attributes.get(digest_attribute(have.id or ""))

        def compared(have: ComponentRepresentation) -> str | None:
            found = stored(have)
            wanted_digest = digests.get(have.name or "")
            if found is None and wanted_digest and scope.adopt and not is_owned(have):
                # Adoption takes a component made elsewhere to hold the Secrets' values
                # (Keycloak masks them) while they keep the value they had at adoption;
                # the first write it needs sends them.
                adoption = current_adoption() or Adoption()
                if adoption.taken(f"{field_name}[{have.name}]", wanted_digest):
                    return wanted_digest
            return found

        candidates = Candidates(realm_id, is_owned).pick(observed.actual, wanted)
        children = component_set(
            field_name, removal, is_owned, realm_id, lambda w: digests[w.name], compared
        )
        plan = children.plan(wanted, candidates)

        def create(want: WantedComponent) -> None:
            component_id = my_id(want.name)
            body = creation_body(want, component_id, realm_id, values[want.name])
            admin.components.create(realm, body)
            if want.secrets:
                store_digest(admin, realm, component_id, digests[want.name])

        def delete(have: ComponentRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                admin.components.delete(realm, have.id or "")
            if digest_attribute(have.id or "") in observed.attributes:
                store_digest(admin, realm, have.id or "", None)

        def update(want: WantedComponent, have: ComponentRepresentation) -> None:
            if have.provider_type != want.provider_type or have.provider_id != want.provider_id:
                delete(have)  # a provider cannot change in place
                create(want)
                return
            rotated = want.secrets and digests[want.name] != stored(have)
            body = update_body(want, have, values[want.name] if rotated else None)
            admin.components.update(realm, have.id or "", body)
            if rotated:
                store_digest(admin, realm, have.id or "", digests[want.name])

        return children.changes(plan, SetOps(named(create), delete, named2(update)))


def named(run: Callable[[WantedComponent], None]) -> Callable[[WantedComponent], None]:
    """Keycloak's refusal of a component (a PEM it cannot read, a config it rejects)
    named by the field, so the condition says which entry to fix."""

    def wrapped(want: WantedComponent) -> None:
        try:
            run(want)
        except kc_errors.KeycloakError as error:
            raise problem_from_keycloak(error, f"spec.{want.path}") from error

    return wrapped


def named2(
    run: Callable[[WantedComponent, ComponentRepresentation], None],
) -> Callable[[WantedComponent, ComponentRepresentation], None]:
    def wrapped(want: WantedComponent, have: ComponentRepresentation) -> None:
        named(lambda w: run(w, have))(want)

    return wrapped
