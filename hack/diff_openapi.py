"""Diff the pinned Keycloak Admin API specs per representation and per path.

Prints a Markdown report (fields added, removed or changed type in each
schema; paths and operations added or removed) between consecutive versions in
openapi/manifest.json, oldest first. The version adapters in
keycloak_controller/keycloak/adapters are written from this report, and the
report is checked in as docs/keycloak-api-differences.md.

Usage: python hack/diff_openapi.py [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OPENAPI_DIR = REPO_ROOT / "openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def load_specs(openapi_dir: Path = OPENAPI_DIR) -> dict[str, dict[str, Any]]:
    """Keycloak version -> parsed spec, oldest first, as listed in the manifest."""
    manifest = json.loads((openapi_dir / "manifest.json").read_text())
    entries = sorted(manifest["specs"], key=lambda e: _version_key(e["keycloak_version"]))
    return {
        e["keycloak_version"]: json.loads((openapi_dir / e["file"]).read_text()) for e in entries
    }


def describe_type(schema: dict[str, Any]) -> str:
    """A short, stable spelling of a property's type, e.g. `array<RoleRepresentation>`."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            parts = " | ".join(describe_type(s) for s in schema[combinator])
            return f"{combinator}({parts})"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array<{describe_type(schema.get('items', {}))}>"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map<{describe_type(schema['additionalProperties'])}>"
    if "enum" in schema:
        return f"{kind} enum"
    fmt = schema.get("format")
    return f"{kind}({fmt})" if fmt else str(kind)


def schema_fields(spec: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Schema name -> {property name -> described type}."""
    schemas = spec.get("components", {}).get("schemas", {})
    return {
        name: {prop: describe_type(s) for prop, s in body.get("properties", {}).items()}
        for name, body in schemas.items()
    }


def operations(spec: dict[str, Any]) -> set[str]:
    """Every `METHOD path` the spec declares."""
    return {
        f"{method.upper()} {path}"
        for path, item in spec.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS
    }


def _shape(op: str) -> str:
    """An operation with its path parameter names blanked: `GET /a/{}/b`.

    Specs sometimes rename a path parameter ({client} -> {client-id}); the URL
    a client sends is the same, so such pairs are reported as renames, not as
    an operation removed and another added.
    """
    return re.sub(r"\{[^}]+\}", "{}", op)


@dataclass
class SchemaChange:
    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class SpecDiff:
    old: str
    new: str
    schemas_added: list[str]
    schemas_removed: list[str]
    schema_changes: dict[str, SchemaChange]
    operations_added: list[str]
    operations_removed: list[str]
    operations_renamed: list[tuple[str, str]]


def diff_specs(
    old_version: str, old: dict[str, Any], new_version: str, new: dict[str, Any]
) -> SpecDiff:
    old_fields, new_fields = schema_fields(old), schema_fields(new)
    changes: dict[str, SchemaChange] = {}
    for name in sorted(old_fields.keys() & new_fields.keys()):
        before, after = old_fields[name], new_fields[name]
        change = SchemaChange(
            added={p: after[p] for p in sorted(after.keys() - before.keys())},
            removed={p: before[p] for p in sorted(before.keys() - after.keys())},
            changed={
                p: (before[p], after[p])
                for p in sorted(before.keys() & after.keys())
                if before[p] != after[p]
            },
        )
        if change.added or change.removed or change.changed:
            changes[name] = change
    old_ops, new_ops = operations(old), operations(new)
    gone, came = old_ops - new_ops, new_ops - old_ops
    came_by_shape = {_shape(op): op for op in came}
    renamed = sorted(
        ((op, came_by_shape[_shape(op)]) for op in gone if _shape(op) in came_by_shape),
        key=lambda pair: _op_sort_key(pair[0]),
    )
    gone -= {old_op for old_op, _ in renamed}
    came -= {new_op for _, new_op in renamed}
    return SpecDiff(
        old=old_version,
        new=new_version,
        schemas_added=sorted(new_fields.keys() - old_fields.keys()),
        schemas_removed=sorted(old_fields.keys() - new_fields.keys()),
        schema_changes=changes,
        operations_added=sorted(came, key=_op_sort_key),
        operations_removed=sorted(gone, key=_op_sort_key),
        operations_renamed=renamed,
    )


def _op_sort_key(op: str) -> tuple[str, str]:
    method, path = op.split(" ", 1)
    return (path, method)


def render(specs: dict[str, dict[str, Any]]) -> str:
    versions = list(specs)
    lines = [
        "# Keycloak Admin API differences between the pinned specs",
        "",
        "Generated by `make api-diff` (`hack/diff_openapi.py`) from the specs in `openapi/`;",
        "do not edit by hand. The version adapters in `keycloak_controller/keycloak/adapters/`",
        "are based on this report.",
        "",
        "| Keycloak spec | schemas | paths | operations |",
        "|---|---|---|---|",
    ]
    for version, spec in specs.items():
        lines.append(
            f"| {version} | {len(schema_fields(spec))} | {len(spec.get('paths', {}))} "
            f"| {len(operations(spec))} |"
        )
    pairs = [(versions[i], versions[i + 1]) for i in range(len(versions) - 1)]
    if len(versions) > 2:
        pairs.append((versions[0], versions[-1]))
    for old_v, new_v in pairs:
        d = diff_specs(old_v, specs[old_v], new_v, specs[new_v])
        lines += ["", f"## {old_v} → {new_v}", ""]
        lines += _render_list("Schemas added", d.schemas_added)
        lines += _render_list("Schemas removed", d.schemas_removed)
        lines += ["### Representation fields", ""]
        if not d.schema_changes:
            lines += ["None.", ""]
        for name, change in d.schema_changes.items():
            lines.append(f"- **{name}**")
            lines += [f"  - added `{p}`: `{t}`" for p, t in change.added.items()]
            lines += [f"  - removed `{p}`: `{t}`" for p, t in change.removed.items()]
            lines += [f"  - type of `{p}`: `{a}` → `{b}`" for p, (a, b) in change.changed.items()]
        lines.append("")
        lines += _render_list("Operations added", d.operations_added)
        lines += _render_list("Operations removed", d.operations_removed)
        lines += _render_list(
            "Path parameters renamed (same URL)",
            [f"{a}` → `{b.split(' ', 1)[1]}" for a, b in d.operations_renamed],
        )
    return "\n".join(lines).rstrip() + "\n"


def _render_list(title: str, items: list[str]) -> list[str]:
    out = [f"### {title} ({len(items)})", ""]
    out += [f"- `{item}`" for item in items] if items else ["None."]
    return [*out, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, help="write the report here instead of stdout")
    args = parser.parse_args(argv)
    report = render(load_specs())
    if args.output:
        args.output.write_text(report)
    else:
        sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
