"""Realms, partial import, default client scopes, client policies and profiles."""

from __future__ import annotations

import builtins
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.models import (
    ClientPoliciesRepresentation,
    ClientProfilesRepresentation,
    ClientScopeRepresentation,
    RealmRepresentation,
)
from keycloak_controller.keycloak.resources.base import Resource

IfResourceExists = Literal["FAIL", "SKIP", "OVERWRITE"]


class PartialImportResult(BaseModel):
    """The answer of POST /partialImport (not described in the spec)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    added: int = 0
    updated: int = 0
    skipped: int = 0
    overwritten: int = 0
    results: builtins.list[dict[str, Any]] = Field(default_factory=list)


class Realms(Resource):
    def list(self, *, brief: bool = True) -> builtins.list[RealmRepresentation]:
        return self._list(
            Kind.REALM,
            RealmRepresentation,
            "/admin/realms",
            {"briefRepresentation": brief},
        )

    def get(self, realm: str) -> RealmRepresentation:
        return self._get(Kind.REALM, RealmRepresentation, self.path(realm))

    def create(self, realm: RealmRepresentation) -> str:
        """Create a realm (optionally with its contents); returns its name."""
        self._t.request("POST", "/admin/realms", json=self._outbound(Kind.REALM, realm))
        return realm.realm or ""

    def update(self, name: str, realm: RealmRepresentation) -> None:
        self._update(Kind.REALM, self.path(name), realm)

    def delete(self, realm: str) -> None:
        self._delete(self.path(realm))

    def partial_import(
        self, realm: str, content: RealmRepresentation, if_exists: IfResourceExists = "FAIL"
    ) -> PartialImportResult:
        """Bulk-create clients, roles, groups, users and IdPs in one request."""
        payload = self._outbound(Kind.PARTIAL_IMPORT, content)
        payload["ifResourceExists"] = if_exists
        data = self._t.request_json("POST", self.path(realm, "partialImport"), json=payload)
        return PartialImportResult.model_validate(data or {})

    def default_client_scopes(self, realm: str, *, optional: bool = False) -> builtins.list[str]:
        """Names of the realm's default (or optional) client scopes."""
        kind = "default-optional-client-scopes" if optional else "default-default-client-scopes"
        path = self.path(realm, kind)
        scopes = self._list(Kind.CLIENT_SCOPE, ClientScopeRepresentation, path)
        return [str(scope.name) for scope in scopes]

    def add_default_client_scope(
        self, realm: str, scope_id: str, *, optional: bool = False
    ) -> None:
        kind = "default-optional-client-scopes" if optional else "default-default-client-scopes"
        self._t.request("PUT", self.path(realm, kind, scope_id))

    def remove_default_client_scope(
        self, realm: str, scope_id: str, *, optional: bool = False
    ) -> None:
        kind = "default-optional-client-scopes" if optional else "default-default-client-scopes"
        self._t.request("DELETE", self.path(realm, kind, scope_id))

    # -- client policies and profiles ----------------------------------------

    def client_policies(
        self, realm: str, *, include_global: bool = False
    ) -> ClientPoliciesRepresentation:
        path = self.path(realm, "client-policies", "policies")
        params = {"include-global-policies": include_global}
        return self._get(Kind.CLIENT_POLICIES, ClientPoliciesRepresentation, path, params)

    def update_client_policies(self, realm: str, policies: ClientPoliciesRepresentation) -> None:
        """Replace the realm's own client policies (global ones are read-only)."""
        path = self.path(realm, "client-policies", "policies")
        self._update(Kind.CLIENT_POLICIES, path, policies)

    def client_profiles(
        self, realm: str, *, include_global: bool = False
    ) -> ClientProfilesRepresentation:
        path = self.path(realm, "client-policies", "profiles")
        params = {"include-global-profiles": include_global}
        return self._get(Kind.CLIENT_PROFILES, ClientProfilesRepresentation, path, params)

    def update_client_profiles(self, realm: str, profiles: ClientProfilesRepresentation) -> None:
        """Replace the realm's own client profiles (global ones are read-only)."""
        path = self.path(realm, "client-policies", "profiles")
        self._update(Kind.CLIENT_PROFILES, path, profiles)

    # -- localization message bundles (the realm's own texts) ------------------

    def localization_locales(self, realm: str) -> builtins.list[str]:
        """Locales that have realm texts."""
        data = self._t.request_json("GET", self.path(realm, "localization"))
        return [str(locale) for locale in data or []]

    def localization_texts(self, realm: str, locale: str) -> dict[str, str]:
        """The realm's own texts for `locale` (not the theme's), key -> text."""
        data = self._t.request_json("GET", self.path(realm, "localization", locale))
        return {str(k): str(v) for k, v in (data or {}).items()}

    def set_localization_texts(self, realm: str, locale: str, texts: dict[str, str]) -> None:
        """Create or update texts of `locale`; other keys are kept."""
        self._t.request("POST", self.path(realm, "localization", locale), json=texts)

    def delete_localization_text(self, realm: str, locale: str, key: str) -> None:
        self._delete(self.path(realm, "localization", locale, key))
