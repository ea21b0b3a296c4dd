"""Groups and subgroups."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.errors import NotFound
from keycloak_controller.keycloak.models import GroupRepresentation
from keycloak_controller.keycloak.paging import DEFAULT_PAGE_SIZE, iter_pages
from keycloak_controller.keycloak.resources.base import Resource


class Groups(Resource):
    def list(
        self,
        realm: str,
        *,
        search: str | None = None,
        first: int | None = None,
        max: int | None = None,
    ) -> builtins.list[GroupRepresentation]:
        """Top-level groups (subgroups via `children`)."""
        params = {"search": search, "first": first, "max": max, "briefRepresentation": False}
        return self._list(Kind.GROUP, GroupRepresentation, self.path(realm, "groups"), params)

    def iter_all(
        self, realm: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[GroupRepresentation]:
        return iter_pages(lambda first, size: self.list(realm, first=first, max=size), page_size)

    def children(
        self, realm: str, group_id: str, *, first: int | None = None, max: int | None = None
    ) -> builtins.list[GroupRepresentation]:
        path = self.path(realm, "groups", group_id, "children")
        params = {"first": first, "max": max, "briefRepresentation": False}
        return self._list(Kind.GROUP, GroupRepresentation, path, params)

    def iter_children(
        self, realm: str, group_id: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[GroupRepresentation]:
        """Every direct subgroup, page by page (the children endpoint pages its answers)."""
        return iter_pages(
            lambda first, size: self.children(realm, group_id, first=first, max=size), page_size
        )

    def iter_tree(
        self, realm: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[GroupRepresentation]:
        """Every group at any depth, parents before their subgroups."""
        pending = list(self.iter_all(realm, page_size))
        while pending:
            group = pending.pop(0)
            yield group
            if group.id and group.sub_group_count != 0:
                pending.extend(self.iter_children(realm, group.id, page_size))

    def default_groups(self, realm: str) -> builtins.list[GroupRepresentation]:
        """The groups every new user joins."""
        return self._list(Kind.GROUP, GroupRepresentation, self.path(realm, "default-groups"))

    def add_default_group(self, realm: str, group_id: str) -> None:
        self._t.request("PUT", self.path(realm, "default-groups", group_id))

    def remove_default_group(self, realm: str, group_id: str) -> None:
        self._delete(self.path(realm, "default-groups", group_id))

    def get(self, realm: str, group_id: str) -> GroupRepresentation:
        return self._get(Kind.GROUP, GroupRepresentation, self.path(realm, "groups", group_id))

    def get_by_path(self, realm: str, path: str) -> GroupRepresentation:
        """A group by its path, e.g. "/parent/child" (NotFound if there is none)."""
        url = self.path(realm, "group-by-path", *path.strip("/").split("/"))
        return self._get(Kind.GROUP, GroupRepresentation, url)

    def find_by_path(self, realm: str, path: str) -> GroupRepresentation | None:
        """The group with this path, e.g. "/engineering/backend", or None."""
        try:
            return self.get_by_path(realm, path)
        except NotFound:
            return None

    def create(self, realm: str, group: GroupRepresentation, parent_id: str | None = None) -> str:
        """Create a top-level group, or a subgroup of `parent_id`; returns its id."""
        if parent_id is None:
            return self._create(Kind.GROUP, self.path(realm, "groups"), group)
        return self._create(Kind.GROUP, self.path(realm, "groups", parent_id, "children"), group)

    def update(self, realm: str, group_id: str, group: GroupRepresentation) -> None:
        self._update(Kind.GROUP, self.path(realm, "groups", group_id), group)

    def delete(self, realm: str, group_id: str) -> None:
        self._delete(self.path(realm, "groups", group_id))
