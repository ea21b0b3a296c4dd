"""Shared plumbing of the typed resource APIs: serialise, adapt, send, parse.

Every resource method takes and returns canonical models. On the way out a
model becomes JSON, the version adapter converts it (and refuses what the
server version cannot do); on the way back the adapter converts the JSON to
the canonical shape before it is validated into a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel

from keycloak_controller.keycloak.adapters import Kind, VersionAdapter
from keycloak_controller.keycloak.errors import KeycloakError
from keycloak_controller.keycloak.transport import KeycloakTransport, api_path

M = TypeVar("M", bound=BaseModel)


def to_json(model: BaseModel) -> dict[str, Any]:
    """A model as Keycloak JSON: camelCase keys, unset fields left out."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


def created_id(location: str | None) -> str:
    """The id at the end of a 201 response's Location header."""
    if not location:
        raise KeycloakError("Keycloak created the resource but sent no Location header")
    return unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])


class Resource:
    def __init__(self, transport: KeycloakTransport, adapter: Callable[[], VersionAdapter]) -> None:
        self._t = transport
        self._adapter = adapter  # resolved lazily: the version may need a request

    @property
    def adapter(self) -> VersionAdapter:
        return self._adapter()

    @staticmethod
    def path(*segments: str) -> str:
        return api_path("admin", "realms", *segments)

    def _outbound(self, kind: Kind, model: BaseModel) -> dict[str, Any]:
        payload = to_json(model)
        self.adapter.require_valid(kind, payload)
        return self.adapter.outbound(kind, payload)

    def _parse(self, kind: Kind, cls: type[M], data: Any) -> M:
        if not isinstance(data, Mapping):
            raise KeycloakError(f"expected a {cls.__name__} object, got {type(data).__name__}")
        return cls.model_validate(self.adapter.inbound(kind, data))

    def _get(
        self, kind: Kind, cls: type[M], path: str, params: Mapping[str, Any] | None = None
    ) -> M:
        return self._parse(kind, cls, self._t.request_json("GET", path, params=_clean(params)))

    def _list(
        self, kind: Kind, cls: type[M], path: str, params: Mapping[str, Any] | None = None
    ) -> list[M]:
        data = self._t.request_json("GET", path, params=_clean(params))
        if not isinstance(data, list):
            raise KeycloakError(f"expected a list of {cls.__name__}, got {type(data).__name__}")
        return [self._parse(kind, cls, item) for item in data]

    def _create(self, kind: Kind, path: str, model: BaseModel) -> str:
        response = self._t.request("POST", path, json=self._outbound(kind, model))
        return created_id(response.headers.get("Location"))

    def _update(self, kind: Kind, path: str, model: BaseModel) -> None:
        self._t.request("PUT", path, json=self._outbound(kind, model))

    def _delete(self, path: str, json: Any = None) -> None:
        self._t.request("DELETE", path, json=json)

    def _send_roles(self, method: str, path: str, roles: list[Any]) -> None:
        self._t.request(method, path, json=[self._outbound(Kind.ROLE, r) for r in roles])


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Drop unset query parameters; booleans as Keycloak expects them."""
    if params is None:
        return None
    return {
        k: (str(v).lower() if isinstance(v, bool) else v)
        for k, v in params.items()
        if v is not None
    }
