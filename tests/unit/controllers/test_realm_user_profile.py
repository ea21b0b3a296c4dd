"""Pure planning of spec.userProfile: one document, only the named parts changed."""

from __future__ import annotations

from typing import Any

from keycloak_controller.api.realm_user_profile import UserProfile
from keycloak_controller.controllers.realm_user_profile import desired_profile

KEYCLOAK_DEFAULT: dict[str, Any] = {
    "attributes": [
        {"name": "username", "permissions": {"view": ["admin", "user"], "edit": ["admin"]}},
        {"name": "email", "validations": {"email": {}}},
        {"name": "firstName"},
        {"name": "lastName"},
    ],
    "groups": [{"name": "user-metadata", "displayHeader": "User metadata"}],
}


def profile(**spec: Any) -> UserProfile:
    return UserProfile.model_validate(spec)


def test_an_in_sync_profile_needs_no_write() -> None:
    spec = profile(attributes=[{"name": "email", "validations": {"email": {}}}])
    doc, paths = desired_profile(spec, KEYCLOAK_DEFAULT)
    assert paths == []
    assert doc["attributes"] == KEYCLOAK_DEFAULT["attributes"]


def test_a_new_attribute_is_appended_and_others_are_kept() -> None:
    spec = profile(attributes=[{"name": "dept", "validations": {"length": {"max": 5}}}])
    doc, paths = desired_profile(spec, KEYCLOAK_DEFAULT)
    assert paths == ["userProfile.attributes[dept] (create)"]
    assert [a["name"] for a in doc["attributes"]] == [
        "username",
        "email",
        "firstName",
        "lastName",
        "dept",
    ]
    assert doc["groups"] == KEYCLOAK_DEFAULT["groups"]


def test_given_fields_are_kept_equal_and_permissions_compared_by_key() -> None:
    spec = profile(attributes=[{"name": "username", "permissions": {"edit": ["admin"]}}])
    assert desired_profile(spec, KEYCLOAK_DEFAULT)[1] == []
    spec = profile(attributes=[{"name": "username", "permissions": {"edit": ["admin", "user"]}}])
    doc, paths = desired_profile(spec, KEYCLOAK_DEFAULT)
    assert paths == ["userProfile.attributes[username]"]
    assert doc["attributes"][0]["permissions"] == {
        "view": ["admin", "user"],
        "edit": ["admin", "user"],
    }


def test_numbers_compare_as_text() -> None:
    actual = {"attributes": [{"name": "a", "validations": {"length": {"max": "6"}}}]}
    spec = profile(attributes=[{"name": "a", "validations": {"length": {"max": 6}}}])
    assert desired_profile(spec, actual)[1] == []


def test_authoritative_removes_the_unlisted_but_never_the_built_ins_or_used_groups() -> None:
    actual = {
        "attributes": [*KEYCLOAK_DEFAULT["attributes"], {"name": "legacy"}],
        "groups": [{"name": "user-metadata"}, {"name": "old"}],
    }
    spec = profile(
        authoritative=True,
        attributes=[{"name": "dept", "group": "user-metadata"}],
        groups=[],
    )
    doc, paths = desired_profile(spec, actual)
    names = [a["name"] for a in doc["attributes"]]
    assert names == ["username", "email", "firstName", "lastName", "dept"]
    assert [g["name"] for g in doc["groups"]] == ["user-metadata"]
    assert "userProfile.attributes[legacy] (delete)" in paths
    assert "userProfile.groups[old] (delete)" in paths


def test_unmanaged_attribute_policy() -> None:
    doc, paths = desired_profile(profile(unmanagedAttributePolicy="ENABLED"), KEYCLOAK_DEFAULT)
    assert doc["unmanagedAttributePolicy"] == "ENABLED"
    assert paths == ["userProfile.unmanagedAttributePolicy"]
    enabled = {**KEYCLOAK_DEFAULT, "unmanagedAttributePolicy": "ENABLED"}
    doc, paths = desired_profile(profile(unmanagedAttributePolicy="DISABLED"), enabled)
    assert "unmanagedAttributePolicy" not in doc and paths
    assert desired_profile(profile(unmanagedAttributePolicy="DISABLED"), KEYCLOAK_DEFAULT)[1] == []
