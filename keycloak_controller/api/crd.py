"""CustomResourceDefinition documents for the kinds, built from the models."""

from __future__ import annotations

from typing import Any

from .common import GROUP, VERSION, CustomResource
from .schema import prose, structural_schema

_API_VERSION_DOC = (
    "APIVersion defines the versioned schema of this representation of an object. "
    "Servers should convert recognized schemas to the latest internal value, and may "
    "reject unrecognized values."
)
_KIND_DOC = (
    "Kind is a string value representing the REST resource this object represents. In CamelCase."
)


def crd_name(kind: type[CustomResource]) -> str:
    return f"{kind.names.plural}.{GROUP}"


def _doc(obj: type) -> str:
    return prose(obj.__doc__ or "")


def open_api_schema(kind: type[CustomResource]) -> dict[str, Any]:
    spec_model, status_model = kind.spec_model(), kind.status_model()
    spec = structural_schema(spec_model)
    status = structural_schema(status_model)
    spec["description"] = _doc(spec_model)
    status["description"] = _doc(status_model)
    return {
        "type": "object",
        "description": _doc(kind),
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string", "description": _API_VERSION_DOC},
            "kind": {"type": "string", "description": _KIND_DOC},
            # The apiserver owns the metadata schema and refuses anything more here.
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }


def crd(kind: type[CustomResource]) -> dict[str, Any]:
    names = kind.names
    columns = []
    for column in kind.printer_columns:
        entry: dict[str, Any] = {
            "name": column.name,
            "type": column.type,
            "jsonPath": column.json_path,
            "description": column.description,
        }
        if column.priority:
            entry["priority"] = column.priority
        columns.append(entry)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": crd_name(kind)},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": names.kind,
                "listKind": f"{names.kind}List",
                "plural": names.plural,
                "singular": names.singular,
                "shortNames": list(names.short_names),
                "categories": list(names.categories),
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {"openAPIV3Schema": open_api_schema(kind)},
                }
            ],
        },
    }


def file_name(kind: type[CustomResource]) -> str:
    return f"{crd_name(kind)}.yaml"
