"""The exported objects as YAML documents: names, comments, kustomization, files.

Specs are pydantic models of the CRDs, dumped by alias without unset fields, so
every manifest is valid by construction and says only what the export found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from keycloak_controller.api.client import KeycloakClientSpec
from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.user import KeycloakUserSpec

from .realm_settings import SecretStub

__all__ = ["Document", "Names", "SecretStub"]

API_VERSION = "keycloak-controller.dev/v1alpha1"
_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def object_name(*parts: str) -> str:
    """A DNS-1123 name made of `parts` (lower case, other characters as dashes)."""
    text = "-".join(_NOT_DNS.sub("-", p.lower()).strip("-") for p in parts if p)
    text = re.sub("-+", "-", text).strip("-")[:63].strip("-")
    return text or "unnamed"


class Names:
    """Unique object names per kind (two clientIds may sanitize to the same name)."""

    def __init__(self) -> None:
        self._taken: set[tuple[str, str]] = set()

    def take(self, kind: str, *parts: str) -> str:
        base = object_name(*parts)
        name, n = base, 1
        while (kind, name) in self._taken:
            n += 1
            suffix = f"-{n}"
            name = base[: 63 - len(suffix)] + suffix
        self._taken.add((kind, name))
        return name


@dataclass
class Document:
    kind: str
    name: str
    body: dict[str, Any]
    comments: list[str] = field(default_factory=list)
    folder: str = ""

    @property
    def file(self) -> str:
        return f"{self.folder}{self.kind.lower()}-{self.name}.yaml"

    def render(self) -> str:
        head = "".join(f"# {line}\n" for line in self.comments)
        return head + yaml.safe_dump(self.body, sort_keys=False, allow_unicode=True)


def _spec(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


def custom_object(
    kind: str, name: str, namespace: str, spec: BaseModel, adopt: bool
) -> dict[str, Any]:
    body = _spec(spec)
    for default_key in ("deletionPolicy", "managementPolicy"):
        body.pop(default_key, None)
    body.pop("adoptExisting", None)
    if adopt:
        body = {"adoptExisting": True, **body}
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


def realm_document(
    name: str, namespace: str, spec: KeycloakRealmSpec, adopt: bool, notes: list[str]
) -> Document:
    return Document(
        "KeycloakRealm", name, custom_object("KeycloakRealm", name, namespace, spec, adopt), notes
    )


def client_document(name: str, namespace: str, spec: KeycloakClientSpec, adopt: bool) -> Document:
    notes = []
    if spec.access_type.value == "Confidential" and spec.protocol == "openid-connect":
        notes.append(
            f"Its client secret is not exported: the controller keeps the one Keycloak has and "
            f"writes it to the Secret {spec.credentials_secret_name(name)}."
        )
    return Document(
        "KeycloakClient",
        name,
        custom_object("KeycloakClient", name, namespace, spec, adopt),
        notes,
        "clients/",
    )


def user_document(name: str, namespace: str, spec: KeycloakUserSpec, adopt: bool) -> Document:
    return Document(
        "KeycloakUser",
        name,
        custom_object("KeycloakUser", name, namespace, spec, adopt),
        ["No password is exported; set spec.password with a Secret for the controller to own it."],
        "users/",
    )


def keycloak_document(name: str, namespace: str, url: str, secret: str) -> Document:
    body = {
        "apiVersion": API_VERSION,
        "kind": "Keycloak",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "external": {"url": url},
            "auth": {
                "passwordGrant": {
                    "usernameSecretRef": {"name": secret, "key": "username"},
                    "passwordSecretRef": {"name": secret, "key": "password"},
                }
            },
        },
    }
    return Document(
        "Keycloak",
        name,
        body,
        [
            "The server the realms live on (keycloakRef). Check the URL as seen from the",
            f"controller's pod, and fill the Secret {secret} with an admin login.",
        ],
    )


def secret_documents(namespace: str, stubs: list[SecretStub]) -> list[Document]:
    """One Secret per name, each key empty: values stay in Keycloak and out of Git."""
    by_name: dict[str, list[SecretStub]] = {}
    for stub in stubs:
        by_name.setdefault(stub.name, []).append(stub)
    out = []
    for name, keys in sorted(by_name.items()):
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque",
            "stringData": {s.key: "" for s in keys},
        }
        comments = [
            "FILL IN BEFORE APPLYING (secret values are never exported). Keys:",
            *(f"  {s.key}: {s.why}" for s in keys),
            "Keep the filled Secret out of Git (e.g. a SealedSecret or an external secret store).",
        ]
        out.append(Document("Secret", name, body, comments))
    return out


def kustomization(namespace: str, documents: list[Document]) -> str:
    resources = [d.file for d in documents]
    body = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": namespace,
        "resources": resources,
    }
    return "# Written by keycloak-controller export.\n" + yaml.safe_dump(body, sort_keys=False)


def write_directory(directory: Path, namespace: str, documents: list[Document]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for document in documents:
        path = directory / document.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document.render())
    (directory / "kustomization.yaml").write_text(kustomization(namespace, documents))


def render_stream(documents: list[Document]) -> str:
    return "---\n".join(d.render() for d in documents)
