"""Hypothesis strategies that build invalid or hostile specs from a CRD's openAPIV3Schema.

The schema is the one the apiserver enforces (`crds/`), walked as data: every node
reachable from `spec` is a *site*, and a fuzz case takes a valid base spec, picks a
site, fills the containers on the way there with schema-valid content, and puts at
the site either a value that breaks one rule of that node (its type, enum, pattern,
length, bounds, required properties, list uniqueness) or a valid-shaped hostile
value (Unicode tricks, strings at their length limit, random but schema-valid
objects that CEL rules or Keycloak itself may still refuse).

Nothing here talks to a server: the test decides what happened to each case.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

from .crds import CRD_DIR

Schema = dict[str, Any]
Path = tuple[str | int, ...]

# Strings people paste by accident or on purpose: bidi overrides, zero-width
# characters, emoji with joiners, C0 controls (JSON carries NUL as \u0000), lone
# combining marks, look-alike letters, template and injection syntax.
HOSTILE_STRINGS: tuple[str, ...] = (
    "\u202eevil\u202c",
    "\u200b",
    "a\u200db\ufeff",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "\U0001f469\u200d\U0001f4bb\U0001f3f3\ufe0f\u200d\U0001f308",
    "\x00",
    "nul\x00inside",
    "\x1b[31mred\x1b[0m",
    "\u0301",
    "\u0430dmin",
    "${jndi:ldap://127.0.0.1:1/a}",
    "{{7*7}}",
    "'; DROP TABLE realm; --",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "%00%2F%2e%2e",
    "\ud7ff\ue000\uffff",
    "a/b",
    " leading and trailing ",
    "\t\n\r",
)

KNOWN_WORDS = st.sampled_from(HOSTILE_STRINGS)
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=8)
)


@dataclass(frozen=True)
class Case:
    """One fuzzed spec and how it was made (`mutation` at `path`)."""

    mutation: str
    path: str
    spec: dict[str, Any]


@functools.cache
def _crd_documents() -> list[dict[str, Any]]:
    # libyaml's loader: the pure-Python one takes seconds per CRD on a loaded machine.
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    return [yaml.load(p.read_text(), Loader=loader) for p in sorted(CRD_DIR.glob("*.yaml"))]  # noqa: S506 (a safe loader)


def spec_schema(kind: str) -> Schema:
    """The `spec` node of the stored version of `kind`'s CRD (the same dict on every call,
    so strategies built from its nodes can be cached)."""
    for document in _crd_documents():
        if document["spec"]["names"]["kind"] == kind:
            version = next(v for v in document["spec"]["versions"] if v.get("storage"))
            spec: Schema = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
            return spec
    raise KeyError(kind)


def sites(schema: Schema, path: Path = (), depth: int = 7) -> Iterator[tuple[Path, Schema]]:
    """Every node under `schema` (itself included), at most `depth` levels down."""
    yield path, schema
    if depth == 0:
        return
    for name, child in (schema.get("properties") or {}).items():
        yield from sites(child, (*path, name), depth - 1)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from sites(schema["additionalProperties"], (*path, "fuzz-key"), depth - 1)
    if isinstance(schema.get("items"), dict):
        yield from sites(schema["items"], (*path, 0), depth - 1)


def _string_bounds(schema: Schema) -> tuple[int, int]:
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", max(low, 40)))
    return low, high


def _matches(schema: Schema, text: str) -> bool:
    pattern = schema.get("pattern")
    if pattern is None:
        return True
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


@st.composite
def _valid_string(draw: st.DrawFn, schema: Schema) -> str:
    if "enum" in schema:
        return str(draw(st.sampled_from(schema["enum"])))
    low, high = _string_bounds(schema)
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    if "pattern" in schema:
        text = str(draw(st.from_regex(str(schema["pattern"]), fullmatch=True)))
        # A pattern's own strings may be too long; cut and fall back to the shortest.
        if low <= len(text) <= high and _matches(schema, text):
            return text
        text = text[:high]
        return text if low <= len(text) and _matches(schema, text) else "a" * max(low, 1)
    choice = draw(
        st.one_of(
            KNOWN_WORDS,
            st.text(min_size=low, max_size=min(high, 24)),
            st.just(high).map(lambda n: "\u00e9" * n),  # exactly at the limit, 2 bytes each
        )
    )
    if len(choice) < low:
        choice = choice + "x" * (low - len(choice))
    return choice[:high]


def _int_bounds(schema: Schema) -> tuple[int, int]:
    wide = schema.get("format") == "int64"
    low = int(schema.get("minimum", -(2**63) if wide else -(2**31)))
    high = int(schema.get("maximum", 2**63 - 1 if wide else 2**31 - 1))
    return low, high


# Strategies per (schema node, depth): building them again for every draw was most of
# the generation time. The node is kept with its strategy so its id stays its own.
_VALID: dict[tuple[int, int], tuple[Schema, st.SearchStrategy[Any]]] = {}


def valid_value(schema: Schema, depth: int = 4) -> st.SearchStrategy[Any]:
    """Schema-valid content (as far as types, enums, patterns and sizes go)."""
    key = (id(schema), depth)
    if key not in _VALID:
        _VALID[key] = (schema, _build_valid(schema, depth))
    return _VALID[key][1]


def _build_valid(schema: Schema, depth: int) -> st.SearchStrategy[Any]:
    if schema.get("x-kubernetes-int-or-string"):
        return st.one_of(st.integers(0, 100), st.just("50%"))
    kind = schema.get("type")
    if kind == "string":
        return _valid_string(schema)
    if kind == "integer":
        low, high = _int_bounds(schema)
        return st.one_of(st.integers(low, high), st.sampled_from([low, high]))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return _valid_array(schema, depth)
    if kind == "object" or "properties" in schema:
        return _valid_object(schema, depth)
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return _json(2)
    return JSON_SCALARS


def _json(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return JSON_SCALARS
    inner = _json(depth - 1)
    return st.one_of(
        JSON_SCALARS,
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3),
    )


@st.composite
def _valid_array(draw: st.DrawFn, schema: Schema, depth: int) -> list[Any]:
    low = int(schema.get("minItems", 0))
    high = min(int(schema.get("maxItems", 3)), 3)
    if depth == 0 and low == 0:
        return []
    items = draw(
        st.lists(
            valid_value(schema.get("items") or {}, depth - 1), min_size=low, max_size=max(low, high)
        )
    )
    return _unique(schema, items)


def _unique(schema: Schema, items: list[Any]) -> list[Any]:
    """Drop repeats where the list type forbids them (set, or map by its keys)."""
    keys = schema.get("x-kubernetes-list-map-keys")
    if schema.get("x-kubernetes-list-type") == "set":
        seen: list[str] = []
        kept = []
        for item in items:
            encoded = json.dumps(item, sort_keys=True)
            if encoded not in seen:
                seen.append(encoded)
                kept.append(item)
        return kept
    if keys:
        by_key: dict[str, Any] = {}
        for item in items:
            if isinstance(item, dict):
                by_key.setdefault(json.dumps([item.get(k) for k in keys]), item)
        return list(by_key.values())
    return items


@st.composite
def _valid_object(draw: st.DrawFn, schema: Schema, depth: int) -> dict[str, Any]:
    properties: dict[str, Schema] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    out: dict[str, Any] = {}
    optional = sorted(set(properties) - required)
    chosen = (
        draw(st.lists(st.sampled_from(optional), max_size=3, unique=True))
        if (optional and depth > 0)
        else []
    )
    for name in sorted(required) + chosen:
        out[name] = draw(valid_value(properties[name], depth - 1))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and depth > 0:
        limit = min(int(schema.get("maxProperties", 2)), 2)
        key_schema = {"type": "string", "minLength": 1, "maxLength": 40}
        out.update(
            draw(
                st.dictionaries(
                    _valid_string(key_schema), valid_value(extra, depth - 1), max_size=limit
                )
            )
        )
    return out


def _wrong_type(schema: Schema) -> st.SearchStrategy[Any]:
    kind = schema.get("type")
    others: dict[str, st.SearchStrategy[Any]] = {
        "string": st.text(max_size=4),
        "integer": st.integers(-5, 5),
        "boolean": st.booleans(),
        "array": st.lists(st.integers(), max_size=2),
        "object": st.dictionaries(st.text(min_size=1, max_size=3), st.integers(), max_size=2),
        "number": st.just(1.5),
    }
    if kind == "integer":
        others.pop("number")  # 2.0 would still be an integer
    others.pop(str(kind), None)
    if kind == "object" and not schema.get("properties") and not schema.get("additionalProperties"):
        others.pop("array", None)
    # No `null`: the apiserver prunes a null in a non-nullable field before validating,
    # so the case would be the base spec again (the test has hand-picked nulls).
    return st.one_of(*others.values()) if others else st.just(1.5)


def mutations(schema: Schema) -> list[str]:
    """The rule-breaking changes that apply to a node."""
    kinds = ["type"]
    kind = schema.get("type")
    if kind == "string":
        if "enum" in schema:
            kinds.append("enum")
        if "pattern" in schema:
            kinds.append("pattern")
        if "maxLength" in schema:
            kinds.append("too-long")
        if int(schema.get("minLength", 0)) > 0:
            kinds.append("too-short")
    if kind == "integer":
        kinds += ["below-minimum" if "minimum" in schema else "overflow", "above-maximum"]
    if kind == "array":
        # A list without maxItems takes any count: more items break no rule there.
        if "maxItems" in schema:
            kinds.append("too-many-items")
        if schema.get("x-kubernetes-list-type") in ("set", "map"):
            kinds.append("duplicate-items")
    if kind == "object":
        if schema.get("required"):
            kinds.append("missing-required")
        if "maxProperties" in schema:
            kinds.append("too-many-keys")
        if schema.get("x-kubernetes-validations"):
            kinds.append("cel")
    return kinds


@st.composite
def broken_value(draw: st.DrawFn, schema: Schema, mutation: str) -> Any:
    """A value for a node that breaks the rule `mutation` names (or a hostile valid one)."""
    if mutation == "type":
        return draw(_wrong_type(schema))
    if mutation == "enum":
        return draw(KNOWN_WORDS | st.text(max_size=10)).strip() + "-not-in-enum"
    if mutation == "pattern":
        text = draw(KNOWN_WORDS | st.text(min_size=1, max_size=20))
        if _matches(schema, text):
            text = " \u202e/\\" + text
        return text
    if mutation == "too-long":
        extra = draw(st.sampled_from([1, 2, 1000]))
        return draw(st.sampled_from(["x", "\U0001f600", "\u200b"])) * (
            int(schema["maxLength"]) + extra
        )
    if mutation == "too-short":
        return "x" * (int(schema["minLength"]) - 1)
    if mutation == "below-minimum":
        return int(schema["minimum"]) - draw(st.sampled_from([1, 2**31, 2**64]))
    if mutation == "overflow":
        return draw(st.sampled_from([-(2**63) - 1, 2**64, -(10**30)]))
    if mutation == "above-maximum":
        high = int(schema.get("maximum", 2**63 - 1))
        return high + draw(st.sampled_from([1, 2**33, 10**25]))
    if mutation == "too-many-items":
        item = _small(draw(valid_value(schema.get("items") or {}, 0)))
        count = int(schema["maxItems"]) + 1
        return [copy.deepcopy(item) for _ in range(count)]
    if mutation == "duplicate-items":
        item = draw(valid_value(schema.get("items") or {}, 2))
        return [item, copy.deepcopy(item)]
    if mutation == "missing-required":
        value = draw(_valid_object(schema, 2))
        value.pop(draw(st.sampled_from(sorted(schema["required"]))), None)
        return value
    if mutation == "too-many-keys":
        count = int(schema["maxProperties"]) + 1
        inner = schema.get("additionalProperties") or {"type": "string"}
        one = _small(draw(valid_value(inner, 0)))
        return {f"k{i}": copy.deepcopy(one) for i in range(count)}
    # "cel" and "hostile": schema-valid shapes with random optional content, which a
    # CEL rule, the controller's own checks or Keycloak may still refuse.
    return draw(valid_value(schema, 4))


def fuzz_case(
    schema: Schema,
    base: dict[str, Any],
    *,
    hostile_percent: int = 30,
    skip: frozenset[str] = frozenset(),
) -> st.SearchStrategy[Case]:
    """A base spec with one site broken, or (`hostile_percent` of the time) given a
    valid-shaped hostile value; `skip` lists top-level fields left alone."""
    # The sites once, not on every draw (a realm has hundreds). The composite takes no
    # arguments: hypothesis would build a repr of them (half a megabyte for a realm).
    candidates = [(path, node) for path, node in sites(schema) if path and str(path[0]) not in skip]

    @st.composite
    def fuzz_one(draw: st.DrawFn) -> Case:
        path, node = draw(st.sampled_from(candidates))
        hostile = draw(st.integers(0, 99)) < hostile_percent
        mutation = "hostile" if hostile else draw(st.sampled_from(mutations(node)))
        value = draw(broken_value(node, mutation))
        spec = copy.deepcopy(base)
        _place(draw, spec, schema, path, value)
        return Case(mutation, ".".join(str(p) for p in path), spec)

    return fuzz_one()


def _place(draw: st.DrawFn, spec: dict[str, Any], schema: Schema, path: Path, value: Any) -> None:
    """Set `value` at `path`, filling missing containers with schema-valid content."""
    holder: Any = spec
    node = schema
    for step in path[:-1]:
        child = _child(node, step)
        if isinstance(step, int):
            if not holder:
                holder.append(draw(valid_value(child, 1)))
            holder = holder[0]
        else:
            if not isinstance(holder.get(step), dict | list):
                holder[step] = draw(valid_value(child, 1))
                if not isinstance(holder[step], dict | list):
                    holder[step] = [] if child.get("type") == "array" else {}
            holder = holder[step]
        node = child
    last = path[-1]
    if isinstance(last, int):
        if holder:
            holder[0] = value
        else:
            holder.append(value)
    else:
        holder[last] = value


def _small(value: Any) -> Any:
    """Keep a value repeated hundreds of times well under the apiserver's 3 MB body limit."""
    if isinstance(value, str) and len(value) > 8:
        return value[:8]
    if isinstance(value, list):
        return [_small(v) for v in value[:1]]
    return value


def _child(node: Schema, step: str | int) -> Schema:
    if isinstance(step, int):
        items: Schema = node.get("items") or {}
        return items
    props = node.get("properties") or {}
    if step in props:
        found: Schema = props[step]
        return found
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else {}


def nested(depth: int) -> Any:
    """A JSON value `depth` levels deep (lists and maps alternating)."""
    value: Any = "bottom"
    for level in range(depth):
        value = {"n": value} if level % 2 else [value]
    return value
