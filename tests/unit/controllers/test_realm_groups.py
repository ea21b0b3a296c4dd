"""Pure planning of spec.groups and spec.defaultGroups: paths, ownership, what may be
deleted, equality and the conditions for bad input."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_groups import Group
from keycloak_controller.controllers.realm_defaults import unknown_default_groups
from keycloak_controller.controllers.realm_groups import (
    GROUP_OWNER,
    check_parents,
    desired_group,
    group_equal,
    group_name,
    group_set,
    parent_path,
    removable_roots,
)
from keycloak_controller.controllers.reasons import INVALID_SPEC, Problem
from keycloak_controller.keycloak.models import GroupRepresentation

OWNER = "KeycloakRealm/ns/realm"


def group(path: str, *, owned: bool = True, **attributes: list[str]) -> GroupRepresentation:
    attrs = {**attributes, **({GROUP_OWNER: [OWNER]} if owned else {})}
    return GroupRepresentation(id=path, name=group_name(path), path=path, attributes=attrs)


def test_paths_split_into_parent_and_name() -> None:
    assert parent_path("/a") is None
    assert parent_path("/a/b/c") == "/a/b"
    assert group_name("/a/b/c") == "c"


def test_new_groups_carry_the_owner_tag_and_the_listed_attributes() -> None:
    body = desired_group(Group(path="/a/b", attributes={"k": ["v"]}), OWNER)
    assert body.name == "b"
    assert body.attributes == {"k": ["v"], GROUP_OWNER: [OWNER]}


def test_only_owned_unlisted_whole_subtrees_are_removed_by_their_top() -> None:
    actual = [
        group("/gone"),
        group("/gone/child"),
        group("/kept"),
        group("/kept/manual", owned=False),
        group("/listed"),
        group("/listed/old"),
        group("/elsewhere", owned=False),
        group("/other", owned=False),
        group("/other/mine"),
    ]
    roots = removable_roots(actual, {"/listed"}, OWNER)
    assert roots == {"/gone", "/listed/old", "/other/mine"}


def test_a_listed_subgroup_keeps_its_owned_unlisted_parent() -> None:
    actual = [group("/p"), group("/p/c")]
    assert removable_roots(actual, {"/p/c"}, OWNER) == set()


def test_another_owner_tag_is_not_ours() -> None:
    assert removable_roots([group("/x")], set(), "KeycloakRealm/ns/other") == set()


def test_group_set_plans_creates_updates_and_root_deletes() -> None:
    actual = [group("/a", team=["x"]), group("/a/b"), group("/c"), group("/c/d")]
    desired = [Group(path="/a", attributes={"team": ["eng"]}), Group(path="/new")]
    roots = removable_roots(actual, {g.path for g in desired}, OWNER)
    plan = group_set(OWNER, True, roots).plan(desired, actual)
    assert [g.path for g in plan.create] == ["/new"]
    assert [w.path for w, _ in plan.update] == ["/a"]
    assert sorted(g.path or "" for g in plan.delete) == ["/a/b", "/c"]


def test_attributes_are_additive_and_description_compared_only_when_supported() -> None:
    have = GroupRepresentation(path="/a", attributes={"team": ["eng"], "other": ["1"]})
    assert group_equal(True)(Group(path="/a", attributes={"team": ["eng"]}), have)
    assert not group_equal(True)(Group(path="/a", attributes={"team": ["x"]}), have)
    described = Group(path="/a", description="Engineering")
    assert not group_equal(True)(described, have)
    # A server that lacks group descriptions never shows one: not drift.
    assert group_equal(False)(described, have)


def test_a_parent_that_is_neither_listed_nor_in_keycloak_is_named() -> None:
    check_parents([Group(path="/a"), Group(path="/a/b")], set())
    check_parents([Group(path="/a/b")], {"/a"})
    with pytest.raises(Problem) as raised:
        check_parents([Group(path="/x/y/z")], {"/x"})
    assert raised.value.reason == INVALID_SPEC
    assert "spec.groups[/x/y/z]" in raised.value.message and "'/x/y'" in raised.value.message


def test_default_groups_must_be_groups() -> None:
    assert unknown_default_groups(["/a", "/b", "/c"], {"/a"}, {"/b"}) == ["/c"]


def test_group_paths_are_canonical() -> None:
    base = {"keycloakRef": {"name": "kc"}, "realmName": "r"}
    KeycloakRealmSpec.model_validate({**base, "groups": [{"path": "/a/b"}]})
    for bad in ("a/b", "/a/", "/a//b", "/"):
        with pytest.raises(ValidationError):
            KeycloakRealmSpec.model_validate({**base, "groups": [{"path": bad}]})
