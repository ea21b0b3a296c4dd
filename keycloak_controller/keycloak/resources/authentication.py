"""Authentication flows, executions, authenticator configs and required actions."""

from __future__ import annotations

from typing import Literal

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.errors import NotFound, UnsupportedByVersion

# Not re-exported by keycloak.models (a file other work edits too); from the generated module.
from keycloak_controller.keycloak.models import (
    AuthenticationExecutionInfoRepresentation,
    AuthenticationFlowRepresentation,
    AuthenticatorConfigRepresentation,
    RequiredActionConfigRepresentation,
    RequiredActionProviderRepresentation,
)
from keycloak_controller.keycloak.resources.base import Resource

# The /required-actions/{alias}/config endpoints (configurable required actions).
REQUIRED_ACTION_CONFIG_SINCE = "25.0"


class Authentication(Resource):
    def _base(self, realm: str, *rest: str) -> str:
        return self.path(realm, "authentication", *rest)

    # -- flows ---------------------------------------------------------------

    def flows(self, realm: str) -> list[AuthenticationFlowRepresentation]:
        return self._list(
            Kind.AUTHENTICATION_FLOW, AuthenticationFlowRepresentation, self._base(realm, "flows")
        )

    def get_flow(self, realm: str, flow_id: str) -> AuthenticationFlowRepresentation:
        return self._get(
            Kind.AUTHENTICATION_FLOW,
            AuthenticationFlowRepresentation,
            self._base(realm, "flows", flow_id),
        )

    def find_flow(self, realm: str, alias: str) -> AuthenticationFlowRepresentation | None:
        return next((f for f in self.flows(realm) if f.alias == alias), None)

    def create_flow(self, realm: str, flow: AuthenticationFlowRepresentation) -> str:
        """Create a top-level flow; returns its id."""
        return self._create(Kind.AUTHENTICATION_FLOW, self._base(realm, "flows"), flow)

    def update_flow(self, realm: str, flow_id: str, flow: AuthenticationFlowRepresentation) -> None:
        self._update(Kind.AUTHENTICATION_FLOW, self._base(realm, "flows", flow_id), flow)

    def delete_flow(self, realm: str, flow_id: str) -> None:
        self._delete(self._base(realm, "flows", flow_id))

    def copy_flow(self, realm: str, alias: str, new_name: str) -> str:
        """Copy a flow (e.g. a built-in one) under a new alias; returns the new id.

        Only 26.7 of the supported versions answers with a Location header; the
        others are looked up by the new alias.
        """
        response = self._t.request(
            "POST", self._base(realm, "flows", alias, "copy"), json={"newName": new_name}
        )
        location = response.headers.get("Location")
        if location:
            return location.rstrip("/").rsplit("/", 1)[-1]
        flow = self.find_flow(realm, new_name)
        if flow is None or flow.id is None:
            raise NotFound(f"copied flow {new_name!r} not found")
        return flow.id

    # -- executions ----------------------------------------------------------

    def executions(
        self, realm: str, flow_alias: str
    ) -> list[AuthenticationExecutionInfoRepresentation]:
        """Every execution of the flow, nested subflows flattened with a `level`."""
        return self._list(
            Kind.AUTHENTICATION_EXECUTION,
            AuthenticationExecutionInfoRepresentation,
            self._base(realm, "flows", flow_alias, "executions"),
        )

    def add_execution(self, realm: str, flow_alias: str, provider: str) -> str:
        """Append an authenticator execution to a flow; returns its id."""
        response = self._t.request(
            "POST",
            self._base(realm, "flows", flow_alias, "executions", "execution"),
            json={"provider": provider},
        )
        return _location_id(response.headers.get("Location"))

    def add_subflow(
        self,
        realm: str,
        flow_alias: str,
        alias: str,
        *,
        flow_type: Literal["basic-flow", "form-flow"] = "basic-flow",
        provider: str = "registration-page-form",
        description: str = "",
    ) -> str:
        """Append a subflow; returns the new flow's id."""
        response = self._t.request(
            "POST",
            self._base(realm, "flows", flow_alias, "executions", "flow"),
            json={
                "alias": alias,
                "type": flow_type,
                "provider": provider,
                "description": description,
            },
        )
        return _location_id(response.headers.get("Location"))

    def update_execution(
        self, realm: str, flow_alias: str, execution: AuthenticationExecutionInfoRepresentation
    ) -> None:
        """Change an execution's requirement (or a subflow's description).

        Send the execution as read, changed: from 25 Keycloak also writes the
        `priority` it carries, so a partial body would move it to priority 0.
        """
        self._update(
            Kind.AUTHENTICATION_EXECUTION,
            self._base(realm, "flows", flow_alias, "executions"),
            execution,
        )

    def delete_execution(self, realm: str, execution_id: str) -> None:
        self._delete(self._base(realm, "executions", execution_id))

    def move_execution(self, realm: str, execution_id: str, *, up: bool) -> None:
        step = "raise-priority" if up else "lower-priority"
        self._t.request("POST", self._base(realm, "executions", execution_id, step))

    # -- authenticator configs -----------------------------------------------

    def create_config(
        self, realm: str, execution_id: str, config: AuthenticatorConfigRepresentation
    ) -> str:
        return self._create(
            Kind.AUTHENTICATOR_CONFIG,
            self._base(realm, "executions", execution_id, "config"),
            config,
        )

    def get_config(self, realm: str, config_id: str) -> AuthenticatorConfigRepresentation:
        return self._get(
            Kind.AUTHENTICATOR_CONFIG,
            AuthenticatorConfigRepresentation,
            self._base(realm, "config", config_id),
        )

    def update_config(
        self, realm: str, config_id: str, config: AuthenticatorConfigRepresentation
    ) -> None:
        self._update(Kind.AUTHENTICATOR_CONFIG, self._base(realm, "config", config_id), config)

    def delete_config(self, realm: str, config_id: str) -> None:
        self._delete(self._base(realm, "config", config_id))

    # -- required actions ----------------------------------------------------

    def required_actions(self, realm: str) -> list[RequiredActionProviderRepresentation]:
        return self._list(
            Kind.REQUIRED_ACTION,
            RequiredActionProviderRepresentation,
            self._base(realm, "required-actions"),
        )

    def get_required_action(self, realm: str, alias: str) -> RequiredActionProviderRepresentation:
        return self._get(
            Kind.REQUIRED_ACTION,
            RequiredActionProviderRepresentation,
            self._base(realm, "required-actions", alias),
        )

    def register_required_action(self, realm: str, provider_id: str, name: str) -> None:
        self._t.request(
            "POST",
            self._base(realm, "register-required-action"),
            json={"providerId": provider_id, "name": name},
        )

    def update_required_action(
        self, realm: str, alias: str, action: RequiredActionProviderRepresentation
    ) -> None:
        self._update(Kind.REQUIRED_ACTION, self._base(realm, "required-actions", alias), action)

    def delete_required_action(self, realm: str, alias: str) -> None:
        self._delete(self._base(realm, "required-actions", alias))

    def move_required_action(self, realm: str, alias: str, *, up: bool) -> None:
        step = "raise-priority" if up else "lower-priority"
        self._t.request("POST", self._base(realm, "required-actions", alias, step))

    def unregistered_required_actions(self, realm: str) -> list[dict[str, str]]:
        """Installed required-action providers not registered in the realm
        (`providerId` and `name` of each)."""
        data = self._t.request_json("GET", self._base(realm, "unregistered-required-actions"))
        return [
            {str(k): str(v) for k, v in item.items()}
            for item in data or []
            if isinstance(item, dict)
        ]

    def _config_path(self, realm: str, alias: str) -> str:
        if self.adapter.older_than(REQUIRED_ACTION_CONFIG_SINCE):
            raise UnsupportedByVersion(
                f"required-action configuration is not available in Keycloak "
                f"{self.adapter.version} (added in {REQUIRED_ACTION_CONFIG_SINCE})"
            )
        return self._base(realm, "required-actions", alias, "config")

    def required_action_config(self, realm: str, alias: str) -> RequiredActionConfigRepresentation:
        """A required action's configuration (25+; UnsupportedByVersion before)."""
        path = self._config_path(realm, alias)
        data = self._t.request_json("GET", path) or {}
        return self._parse(Kind.REQUIRED_ACTION, RequiredActionConfigRepresentation, data)

    def update_required_action_config(
        self, realm: str, alias: str, config: RequiredActionConfigRepresentation
    ) -> None:
        self._update(Kind.REQUIRED_ACTION, self._config_path(realm, alias), config)


def _location_id(location: str | None) -> str:
    if not location:
        raise NotFound("Keycloak sent no Location header for the new execution")
    return location.rstrip("/").rsplit("/", 1)[-1]
