"""The execution tree of one managed flow: desired steps against Keycloak's, level by level.

Keycloak lists a flow's executions flattened, nested subflows' executions after
their subflow with a deeper `level`; `actual_tree` folds them back into a tree.
Within one (sub)flow an execution is keyed by its authenticator, a subflow by
its alias; a key that repeats gets `#2`, `#3`, ... in list order.

Authoritative per level, in order: unlisted executions are deleted (a subflow
with everything below it), missing ones are created at the end (with their
requirement, config and, for a subflow, everything below it, in one change),
changed requirements and subflow descriptions are written, and if the order
then differs the executions are moved into it with raise-priority (Keycloak 24
has no writable priority, so moves are used on every version). A subflow whose
`executions` is unset keeps what it has.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from keycloak_controller.api.realm_flows import AuthenticatorConfig
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.models import (
    AuthenticationExecutionInfoRepresentation,
    AuthenticatorConfigRepresentation,
)
from keycloak_controller.keycloak.resources.authentication import Authentication

from .plan import Change, Verb
from .reasons import INVALID_SPEC, Problem

# A form-flow subflow runs its form actions through this form authenticator.
FORM_PROVIDER = "registration-page-form"


@dataclass(frozen=True)
class DesiredStep:
    """One listed execution, normalised from whichever spec level it came from."""

    requirement: str
    authenticator: str | None = None
    config: AuthenticatorConfig | None = None
    # A subflow's alias, description (None: not managed) and type.
    subflow: str | None = None
    description: str | None = None
    provider_id: str = "basic-flow"
    children: list[DesiredStep] | None = None  # None: the subflow's executions unmanaged

    @property
    def base_key(self) -> str:
        return self.subflow or self.authenticator or ""


def desired_steps(items: Sequence[Any] | None) -> list[DesiredStep] | None:
    """The spec's executions (any level's models) as DesiredSteps."""
    if items is None:
        return None
    out = []
    for item in items:
        sub = getattr(item, "subflow", None)
        if sub is None:
            out.append(
                DesiredStep(
                    requirement=item.requirement or "",
                    authenticator=item.authenticator,
                    config=item.config,
                )
            )
        else:
            out.append(
                DesiredStep(
                    requirement=sub.requirement,
                    subflow=sub.alias,
                    description=sub.description,
                    provider_id=sub.provider_id,
                    children=desired_steps(getattr(sub, "executions", None)),
                )
            )
    return out


def subflow_aliases(steps: Sequence[DesiredStep] | None) -> list[str]:
    """Every subflow alias in the tree, repeats kept (to find them)."""
    out: list[str] = []
    for step in steps or ():
        if step.subflow is not None:
            out.append(step.subflow)
            out.extend(subflow_aliases(step.children))
    return out


@dataclass
class ActualStep:
    info: AuthenticationExecutionInfoRepresentation
    children: list[ActualStep] = field(default_factory=list)
    config: AuthenticatorConfigRepresentation | None = None

    @property
    def is_subflow(self) -> bool:
        return bool(self.info.authentication_flow)

    @property
    def base_key(self) -> str:
        return execution_base_key(self.info)

    @property
    def provider_id(self) -> str:
        # Keycloak gives a subflow's execution an authenticator only for form-flows.
        return "form-flow" if self.info.provider_id else "basic-flow"


def execution_base_key(info: AuthenticationExecutionInfoRepresentation) -> str:
    """A subflow is known by its alias (its display name), an authenticator by its id."""
    if info.authentication_flow:
        return info.display_name or ""
    return info.provider_id or ""


def keyed(bases: Sequence[str]) -> list[str]:
    """Keys for one level: a base that repeats gets #2, #3, ... in order."""
    seen: dict[str, int] = {}
    out = []
    for base in bases:
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def actual_tree(infos: Sequence[AuthenticationExecutionInfoRepresentation]) -> list[ActualStep]:
    """Keycloak's flattened list (in order, with levels) as a tree."""
    roots: list[ActualStep] = []
    stack: list[ActualStep] = []  # stack[n]: the latest step at level n
    for info in infos:
        level = info.level or 0
        step = ActualStep(info)
        del stack[level:]
        (stack[-1].children if stack else roots).append(step)
        stack.append(step)
    return roots


def walk(steps: Sequence[ActualStep]) -> list[ActualStep]:
    out = []
    for step in steps:
        out.append(step)
        out.extend(walk(step.children))
    return out


def raise_moves(current: Sequence[str], desired: Sequence[str]) -> list[tuple[str, int]]:
    """How many places to raise each key, in turn, so `current` starts with `desired`.

    Raising swaps an execution with the one before it, so this is insertion by
    bubbling up: each desired key in order is raised to its place.
    """
    order = list(current)
    moves = []
    for index, key in enumerate(desired):
        if key not in order:
            continue
        at = order.index(key)
        if at > index:
            moves.append((key, at - index))
            order.insert(index, order.pop(at))
    return moves


def config_equal(want: AuthenticatorConfig, have: AuthenticatorConfigRepresentation | None) -> bool:
    """One-sided on the keys: only the listed ones are compared."""
    if have is None:
        return False
    values = have.config or {}
    return have.alias == want.alias and all(values.get(k) == v for k, v in want.config.items())


def check_requirement(path: str, requirement: str, choices: Sequence[str] | None) -> None:
    # Keycloak stores any requirement, even one the authenticator cannot honour.
    if choices and requirement not in choices:
        raise Problem(
            INVALID_SPEC,
            f"{path}: requirement {requirement} is not offered by this execution "
            f"(it offers {', '.join(choices)})",
        )


class ExecutionWriter:
    """The writes of an execution tree (run by the changes, never while planning)."""

    def __init__(self, auth: Authentication, realm: str) -> None:
        self.auth = auth
        self.realm = realm

    def direct(self, flow_alias: str) -> list[AuthenticationExecutionInfoRepresentation]:
        return [i for i in self.auth.executions(self.realm, flow_alias) if (i.level or 0) == 0]

    def create(self, flow_alias: str, step: DesiredStep, path: str) -> None:
        """Append the step (and, for a subflow, everything below it) to the flow."""
        if step.subflow is not None:
            self.auth.add_subflow(
                self.realm,
                flow_alias,
                step.subflow,
                flow_type="form-flow" if step.provider_id == "form-flow" else "basic-flow",
                provider=FORM_PROVIDER,
                description=step.description or "",
            )
            info = self._find(
                flow_alias, lambda i: bool(i.authentication_flow) and i.display_name == step.subflow
            )
        else:
            new_id = self.auth.add_execution(self.realm, flow_alias, step.authenticator or "")
            info = self._find(flow_alias, lambda i: i.id == new_id)
        check_requirement(path, step.requirement, info.requirement_choices)
        if info.requirement != step.requirement:
            # The whole info goes back: 25+ also writes its priority.
            self.auth.update_execution(
                self.realm, flow_alias, info.model_copy(update={"requirement": step.requirement})
            )
        if step.config is not None:
            self.auth.create_config(self.realm, info.id or "", config_body(step.config))
        if step.subflow is not None:
            children = step.children or []
            for child, key in zip(children, keyed([c.base_key for c in children]), strict=True):
                self.create(step.subflow, child, f"{path}.executions[{key}]")

    def _find(
        self, flow_alias: str, match: Callable[[AuthenticationExecutionInfoRepresentation], bool]
    ) -> AuthenticationExecutionInfoRepresentation:
        """The execution just added (read back: its requirement choices, its priority)."""
        found = next((i for i in self.direct(flow_alias) if match(i)), None)
        if found is None:
            raise kc_errors.NotFound(f"the new execution is not in flow {flow_alias!r}")
        return found

    def delete(self, execution_id: str) -> None:
        with contextlib.suppress(kc_errors.NotFound):  # gone already: what was wanted
            self.auth.delete_execution(self.realm, execution_id)

    def reorder(self, flow_alias: str, desired: Sequence[str]) -> None:
        infos = self.direct(flow_alias)
        keys = keyed([execution_base_key(i) for i in infos])
        ids = dict(zip(keys, (i.id or "" for i in infos), strict=True))
        for key, places in raise_moves(keys, desired):
            for _ in range(places):
                self.auth.move_execution(self.realm, ids[key], up=True)


def config_body(
    want: AuthenticatorConfig, have: AuthenticatorConfigRepresentation | None = None
) -> AuthenticatorConfigRepresentation:
    merged = {**((have.config or {}) if have else {}), **want.config}
    return AuthenticatorConfigRepresentation(
        id=have.id if have else None, alias=want.alias, config=merged
    )


def plan_tree(
    writer: ExecutionWriter,
    flow_alias: str,
    prefix: str,
    desired: Sequence[DesiredStep],
    actual: Sequence[ActualStep],
) -> list[Change]:
    """A flow's whole tree, deletes first: a subflow moved to another parent frees its
    alias (realm-wide) before it is created there."""
    changes = plan_executions(writer, flow_alias, prefix, desired, actual)
    return [c for c in changes if c.verb is Verb.DELETE] + [
        c for c in changes if c.verb is not Verb.DELETE
    ]


def plan_executions(
    writer: ExecutionWriter,
    flow_alias: str,
    prefix: str,
    desired: Sequence[DesiredStep],
    actual: Sequence[ActualStep],
) -> list[Change]:
    """The changes that make one (sub)flow's executions match, then its subflows'."""
    want = dict(zip(keyed([d.base_key for d in desired]), desired, strict=True))
    have = dict(zip(keyed([a.base_key for a in actual]), actual, strict=True))
    deletes: list[Change] = []
    updates: list[Change] = []
    creates: list[Change] = []
    kept: list[str] = []

    def path(key: str) -> str:
        return f"{prefix}.executions[{key}]"

    for key, current in have.items():
        wanted = want.get(key)
        if wanted is None or not same_kind(wanted, current):
            deletes.append(Change(path(key), Verb.DELETE, _deleter(writer, current)))
        else:
            kept.append(key)
            updates.extend(_step_updates(writer, flow_alias, path(key), wanted, current))
    for key, wanted in want.items():
        if key not in kept:
            creates.append(
                Change(path(key), Verb.CREATE, _creator(writer, flow_alias, wanted, path(key)))
            )
    changes = deletes + updates + creates
    expected = kept + [k for k in want if k not in kept]  # creates land at the end
    if expected != list(want):
        order = list(want)
        changes.append(
            Change(
                f"{prefix}.executions.order", Verb.UPDATE, lambda: writer.reorder(flow_alias, order)
            )
        )
    return changes


def same_kind(wanted: DesiredStep, current: ActualStep) -> bool:
    """Whether the execution can be kept (else it is replaced)."""
    if wanted.subflow is None:
        return not current.is_subflow
    return current.is_subflow and current.provider_id == wanted.provider_id


def _step_updates(
    writer: ExecutionWriter, flow_alias: str, path: str, wanted: DesiredStep, current: ActualStep
) -> list[Change]:
    info = current.info
    changes: list[Change] = []
    check_requirement(path, wanted.requirement, info.requirement_choices)
    update: dict[str, Any] = {}
    if info.requirement != wanted.requirement:
        update["requirement"] = wanted.requirement
    if wanted.description is not None and (info.description or "") != wanted.description:
        update["description"] = wanted.description
    if update:
        body = info.model_copy(update=update)
        changes.append(
            Change(
                path,
                Verb.UPDATE,
                lambda: writer.auth.update_execution(writer.realm, flow_alias, body),
            )
        )
    config = wanted.config
    if config is not None and not config_equal(config, current.config):
        if current.config is None:
            exec_id = info.id or ""
            changes.append(
                Change(
                    f"{path}.config",
                    Verb.CREATE,
                    lambda: writer.auth.create_config(writer.realm, exec_id, config_body(config)),
                )
            )
        else:
            config_id = current.config.id or ""
            cbody = config_body(config, current.config)
            changes.append(
                Change(
                    f"{path}.config",
                    Verb.UPDATE,
                    lambda: writer.auth.update_config(writer.realm, config_id, cbody),
                )
            )
    if wanted.subflow is not None and wanted.children is not None:
        changes += plan_executions(writer, wanted.subflow, path, wanted.children, current.children)
    return changes


def _deleter(writer: ExecutionWriter, current: ActualStep) -> Any:
    exec_id = current.info.id or ""
    return lambda: writer.delete(exec_id)


def _creator(writer: ExecutionWriter, flow_alias: str, wanted: DesiredStep, path: str) -> Any:
    return lambda: writer.create(flow_alias, wanted, path)
