"""Pydantic JSON Schema -> Kubernetes structural OpenAPI v3 schema.

A CRD schema must be structural: every node has a type, nothing is reached by
`$ref`, and there is no `anyOf` with `null` (optional simply means "not
required"; a null sent by a client is pruned before defaulting). So `$defs`
are inlined, `Optional[X]` collapses to X, titles are dropped, and any keyword
we did not expect is an error rather than something that silently reaches the
apiserver. Every property must carry a description, so that `kubectl explain`
is useful everywhere.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from pydantic import BaseModel

Schema = dict[str, Any]

_KEPT = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "items",
        "additionalProperties",
        "enum",
        "default",
        "format",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "nullable",
        "x-kubernetes-validations",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-preserve-unknown-fields",
    }
)
_DROPPED = frozenset({"title", "$defs"})
# Keys in a fixed, readable order (type and description first) so the
# generated YAML reads well and diffs stay small.
_ORDER = (
    "type",
    "description",
    "format",
    "enum",
    "default",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "nullable",
    "required",
    "properties",
    "items",
    "additionalProperties",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-validations",
)


class SchemaError(ValueError):
    """The model cannot be expressed as a structural schema."""


def structural_schema(model: type[BaseModel]) -> Schema:
    """The structural schema of `model`'s wire form (camelCase aliases)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    defs: dict[str, Schema] = raw.get("$defs", {})
    return _convert(raw, defs, model.__name__, ())


def _merge(inner: Schema, outer: Schema) -> Schema:
    """The referenced schema overlaid with the referencing site's keywords.

    The site's description wins (it describes this field, the class docstring
    describes the type); CEL rules from both places apply.
    """
    merged = copy.deepcopy(inner)
    for key, value in outer.items():
        if key == "x-kubernetes-validations":
            merged[key] = [*merged.get(key, []), *value]
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _resolve(
    schema: Schema, defs: dict[str, Schema], path: str, seen: tuple[str, ...]
) -> tuple[Schema, tuple[str, ...]]:
    """Follow `$ref` and `Optional` wrappers until a concrete schema is left.

    Returns it with the chain of types entered so far, to refuse recursion.
    """
    while True:
        if "anyOf" in schema:
            outer = {k: v for k, v in schema.items() if k != "anyOf"}
            variants = [v for v in schema["anyOf"] if v != {"type": "null"}]
            if len(variants) != 1:
                raise SchemaError(f"{path}: unions other than Optional[X] are not structural")
            if outer.get("default", ...) is None:
                del outer["default"]
            schema = _merge(variants[0], outer)
            continue
        if "$ref" in schema:
            name = schema["$ref"].removeprefix("#/$defs/")
            if name in seen:
                raise SchemaError(f"{path}: recursive type {name} cannot be inlined")
            seen = (*seen, name)
            outer = {k: v for k, v in schema.items() if k != "$ref"}
            schema = _merge(defs[name], outer)
            continue
        return schema, seen


def _convert(schema: Schema, defs: dict[str, Schema], path: str, seen: tuple[str, ...]) -> Schema:
    schema, seen = _resolve(schema, defs, path, seen)
    out: Schema = {}
    for key, value in schema.items():
        if key in _DROPPED:
            continue
        if key == "const":
            out["enum"] = [value]
        elif key not in _KEPT:
            raise SchemaError(f"{path}: keyword {key!r} is not supported in a CRD schema")
        else:
            out[key] = copy.deepcopy(value)

    kind = out.get("type")
    if kind is None:
        raise SchemaError(f"{path}: every node of a structural schema needs a type")
    if kind == "object":
        properties = schema.get("properties")
        if properties is not None:
            # Pydantic says false/true for extra=forbid/allow; a structural schema
            # with properties must not mix in additionalProperties (the apiserver
            # prunes unknown fields instead).
            out.pop("additionalProperties", None)
            out["properties"] = {}
            for name, sub in properties.items():
                converted = _convert(sub, defs, f"{path}.{name}", seen)
                if not converted.get("description"):
                    raise SchemaError(f"{path}.{name}: every field needs a description")
                out["properties"][name] = converted
        elif isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = _convert(
                schema["additionalProperties"], defs, f"{path}[*]", seen
            )
        elif out.get("additionalProperties") is True:
            raise SchemaError(f"{path}: free-form objects are not allowed; declare the fields")
        else:
            out.pop("additionalProperties", None)
    elif kind == "array":
        out["items"] = _convert(schema["items"], defs, f"{path}[]", seen)
    if "description" in out:
        out["description"] = prose(out["description"])
    return {key: out[key] for key in _ORDER if key in out}


def prose(text: str) -> str:
    """A docstring as description text: lines joined, paragraphs kept."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)
