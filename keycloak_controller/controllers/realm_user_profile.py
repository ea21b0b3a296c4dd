"""`spec.userProfile` as a realm section: the declarative user profile, one document.

The document is read once, the spec applied to it (pure: `desired_profile`), and
written back with one PUT only when something differs:
- listed attributes and groups are created, or their given fields kept equal
  (`validations` and `annotations` as a whole; `permissions`, `required` and
  `selector` by their given keys); fields not given are left as they are;
- unlisted ones are kept, unless `authoritative: true` removes them; the
  built-in attributes (username, email, firstName, lastName) are never
  removed, nor a group an attribute left still uses;
- `unmanagedAttributePolicy`, when set (DISABLED: the key absent).
Everything Keycloak has that the spec does not name is sent back unchanged.
"""

from __future__ import annotations

from typing import Any

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_user_profile import (
    BUILT_IN_ATTRIBUTES,
    ProfileAttribute,
    ProfileGroup,
    UnmanagedAttributePolicy,
    UserProfile,
)
from keycloak_controller.keycloak.models import UPConfig
from keycloak_controller.keycloak.resources.base import to_json

from .plan import Change, Verb
from .realm_section import RealmSection

Json = dict[str, Any]
# Fields compared and merged by their given keys; the others are compared whole.
BY_KEY = frozenset({"permissions", "required", "selector"})
POLICY = "unmanagedAttributePolicy"


def _norm(value: Any) -> Any:
    """Scalars compared as text: Keycloak may answer 10 where "10" was sent."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _merge_item(have: Json, want: Json) -> Json:
    merged = dict(have)
    for key, value in want.items():
        if key in BY_KEY and isinstance(value, dict) and isinstance(have.get(key), dict):
            merged[key] = {**have[key], **value}
        else:
            merged[key] = value
    return merged


def _satisfied(have: Json, want: Json) -> bool:
    for key, value in want.items():
        current = have.get(key)
        if key in BY_KEY and isinstance(value, dict):
            current = current if isinstance(current, dict) else {}
            if any(_norm(current.get(k)) != _norm(v) for k, v in value.items()):
                return False
        elif _norm(current) != _norm(value):
            return False
    return True


def _apply_list(
    kind: str,
    have: list[Json],
    wanted: list[ProfileAttribute] | list[ProfileGroup] | None,
    remove: bool,
    keep: set[str],
    paths: list[str],
) -> list[Json]:
    """`have` with the listed items created or merged, unlisted ones removed when
    `remove` (except `keep`); the paths that differ are appended to `paths`."""
    if wanted is None:
        return have
    listed = {w.name: w.model_dump(by_alias=True, exclude_none=True, mode="json") for w in wanted}
    out: list[Json] = []
    for item in have:
        name = str(item.get("name", ""))
        want = listed.get(name)
        if want is not None:
            if not _satisfied(item, want):
                paths.append(f"userProfile.{kind}[{name}]")
                item = _merge_item(item, want)
            out.append(item)
        elif remove and name not in keep:
            paths.append(f"userProfile.{kind}[{name}] (delete)")
        else:
            out.append(item)
    present = {str(item.get("name", "")) for item in have}
    for name, want in listed.items():
        if name not in present:
            paths.append(f"userProfile.{kind}[{name}] (create)")
            out.append(want)
    return out


def desired_profile(spec: UserProfile, actual: Json) -> tuple[Json, list[str]]:
    """The document to PUT and the paths that differ (none: in sync). Pure."""
    paths: list[str] = []
    doc = dict(actual)
    remove = spec.authoritative
    attributes = _apply_list(
        "attributes",
        list(actual.get("attributes") or []),
        spec.attributes,
        remove and spec.attributes is not None,
        set(BUILT_IN_ATTRIBUTES),
        paths,
    )
    doc["attributes"] = attributes
    used = {str(a["group"]) for a in attributes if a.get("group")}
    if spec.groups is not None or "groups" in actual:
        doc["groups"] = _apply_list(
            "groups",
            list(actual.get("groups") or []),
            spec.groups,
            remove and spec.groups is not None,
            used,
            paths,
        )
    policy = spec.unmanaged_attribute_policy
    if policy is UnmanagedAttributePolicy.DISABLED:
        if doc.pop(POLICY, None) is not None:
            paths.append(f"userProfile.{POLICY}")
    elif policy is not None and actual.get(POLICY) != policy.value:
        doc[POLICY] = policy.value
        paths.append(f"userProfile.{POLICY}")
    return doc, paths


class UserProfileSection(RealmSection):
    name = "userProfile"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.user_profile is not None

    def observe(self) -> None:
        self.actual = to_json(self.scope.admin.user_profile.get(self.scope.realm))

    def plan(self) -> list[Change]:
        spec = self.spec.user_profile
        assert spec is not None
        doc, paths = desired_profile(spec, self.actual)
        if not paths:
            return []
        admin, realm = self.scope.admin, self.scope.realm
        body = UPConfig.model_validate(doc)
        return [
            Change(", ".join(paths), Verb.UPDATE, lambda: admin.user_profile.update(realm, body))
        ]
