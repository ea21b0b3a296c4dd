"""Group membership of one Keycloak user (a KeycloakUser's, or a client's service
account), by group path, as a child set.

AUTHORITATIVE when set: the user joins the listed groups and leaves the others.
An unknown path is an InvalidSpec condition naming the field; it is found when the
join runs, so a group another reconcile creates first is there by then.
"""

from __future__ import annotations

import contextlib

from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import GroupRepresentation

from . import reasons
from .childset import ChildSet, Removal, SetOps, identity
from .plan import Change

GROUPS_REMOVAL = Removal.AUTHORITATIVE


def group_set(path: str = "groups") -> ChildSet[str, GroupRepresentation]:
    return ChildSet(
        name=path, removal=GROUPS_REMOVAL, desired_key=identity, actual_key=lambda g: g.path or ""
    )


GROUPS = group_set()


def group_changes(
    admin: KeycloakAdmin,
    realm: str,
    user_id: str,
    paths: list[str],
    have: list[GroupRepresentation],
    field: str = "spec.groups",
) -> list[Change]:
    """Changes that make `user_id` a member of exactly the groups at `paths`."""

    def join(path: str) -> None:
        group = admin.groups.find_by_path(realm, path)
        if group is None or not group.id:
            raise reasons.unresolved(
                f"unknown group {path!r} in realm {realm!r}; create it or fix {field}"
            )
        admin.users.join_group(realm, user_id, group.id)

    def leave(group: GroupRepresentation) -> None:
        with contextlib.suppress(kc_errors.NotFound):
            admin.users.leave_group(realm, user_id, group.id or "")

    groups = group_set(field.removeprefix("spec."))
    return groups.changes(groups.plan(sorted(set(paths)), have), SetOps(join, leave))
