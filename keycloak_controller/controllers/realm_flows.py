"""`spec.authenticationFlows` and `spec.flowBindings` as one realm section.

- Top-level flows, by alias: OWNED_ONLY. A flow this resource creates (from
  scratch, or as a copy of `copyOf`) carries an ownership marker at the end of
  its description (flows have no attributes); an owned flow no longer listed is
  deleted, unless it is still bound to the realm, a client or an identity
  provider (Keycloak refuses that with a bare 500, so it is checked first and
  named in the condition). A listed flow made elsewhere is managed, never
  marked. Built-in flows are never written: listing one is refused.
- A flow's executions: authoritative, in order (`realm_flow_executions`).
- The bindings: each set binding is kept equal with one partial realm PUT,
  after the flows are written and before unlisted flows are deleted (so a flow
  can be unbound and removed in one edit). A binding to a listed flow that does
  not exist yet waits for its creation (which observes again); one to an alias
  that is neither in Keycloak nor listed is refused, naming it.
A new flow's executions are planned once its create has observed again; a flow
copying another listed flow waits until that one exists, and is copied after
that flow's own execution changes in the same plan (so the copy is complete).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_flows import BINDING_FIELDS, AuthenticationFlow
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.models import (
    AuthenticationFlowRepresentation,
    RealmRepresentation,
)
from keycloak_controller.keycloak.resources.authentication import Authentication

from .childset import ChildSet, Removal
from .plan import Change, Verb
from .realm_flow_executions import (
    ActualStep,
    ExecutionWriter,
    actual_tree,
    desired_steps,
    plan_tree,
    subflow_aliases,
    walk,
)
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, KEYCLOAK_REJECTED, Problem

FLOWS_REMOVAL = Removal.OWNED_ONLY
MARKER_PREFIX = " [keycloak-controller.dev/owner="


def owner_marker(owner_tag: str) -> str:
    """A short, stable marker for this resource (the tag itself may be long)."""
    return f"{MARKER_PREFIX}{hashlib.sha256(owner_tag.encode()).hexdigest()[:12]}]"


def strip_marker(description: str | None) -> str:
    text = description or ""
    at = text.rfind(MARKER_PREFIX)
    return text[:at] if at >= 0 and text.endswith("]") else text


def is_owned(flow: AuthenticationFlowRepresentation, owner_tag: str) -> bool:
    return (flow.description or "").endswith(owner_marker(owner_tag))


FLOW_SET_NAME = "authenticationFlows"


def flow_set(owner_tag: str) -> ChildSet[AuthenticationFlow, AuthenticationFlowRepresentation]:
    return ChildSet(
        name=FLOW_SET_NAME,
        removal=FLOWS_REMOVAL,
        desired_key=lambda f: f.alias,
        actual_key=lambda f: f.alias or "",
        equal=lambda want, have: flow_equal(want, have, owner_tag),
        owned=lambda f: is_owned(f, owner_tag),
        protected=lambda f: bool(f.built_in),
    )


def flow_equal(
    want: AuthenticationFlow, have: AuthenticationFlowRepresentation, owner_tag: str
) -> bool:
    """The flow's own fields (its executions are planned apart)."""
    return (want.description is None or strip_marker(have.description) == want.description) and (
        want.provider_id is None or have.provider_id == want.provider_id
    )


def flow_body(
    want: AuthenticationFlow,
    have: AuthenticationFlowRepresentation | None,
    marker: str,
) -> AuthenticationFlowRepresentation:
    """The flow's representation: the spec's fields over what it has (a copy's)."""
    description = want.description
    if description is None:
        description = strip_marker(have.description if have else "")
    provider = want.provider_id or (have.provider_id if have else None) or "basic-flow"
    return AuthenticationFlowRepresentation(
        id=have.id if have else None,
        alias=want.alias,
        description=description + marker,
        provider_id=provider,
        top_level=True,
        built_in=False,
    )


@dataclass
class ObservedFlows:
    flows: list[AuthenticationFlowRepresentation]
    realm: RealmRepresentation
    # Listed, existing flows whose executions are managed: their tree (configs read).
    trees: dict[str, list[ActualStep]] = field(default_factory=dict)
    # Owned, unlisted flows: what still uses each (read only when there are some).
    users: dict[str, list[str]] = field(default_factory=dict)

    def by_alias(self) -> dict[str, AuthenticationFlowRepresentation]:
        return {f.alias: f for f in self.flows if f.alias}


class AuthenticationFlowsSection(RealmSection):
    name = "authenticationFlows"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.authentication_flows is not None or spec.flow_bindings is not None

    # --- observe -------------------------------------------------------------

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        auth = admin.authentication
        observed = ObservedFlows(auth.flows(realm), admin.realms.get(realm))
        by_alias = observed.by_alias()
        desired = self.spec.authentication_flows or []
        for want in desired:
            have = by_alias.get(want.alias)
            if have is None or have.built_in or want.executions is None:
                continue
            tree = actual_tree(auth.executions(realm, want.alias))
            for step in walk(tree):
                if step.info.authentication_config:
                    step.config = auth.get_config(realm, step.info.authentication_config)
            observed.trees[want.alias] = tree
        if self.spec.authentication_flows is not None:
            listed = {f.alias for f in desired}
            adopted = self.scope.adopted.get(FLOW_SET_NAME, ())
            doomed = [
                f
                for f in observed.flows
                if f.alias not in listed
                and not f.built_in
                and (is_owned(f, self.scope.owner_tag) or f.alias in adopted)
            ]
            if doomed:
                observed.users = self._flow_users(doomed)
        self.observed = observed

    def _flow_users(self, flows: list[AuthenticationFlowRepresentation]) -> dict[str, list[str]]:
        """Clients and identity providers that still name each flow (realm bindings are
        checked against the planned bindings instead)."""
        admin, realm = self.scope.admin, self.scope.realm
        ids = {f.id: f.alias or "" for f in flows}
        aliases = set(ids.values())
        users: dict[str, list[str]] = {}
        for client in admin.clients.iter_all(realm):
            for purpose, flow_id in (client.authentication_flow_binding_overrides or {}).items():
                if flow_id in ids:
                    users.setdefault(ids[flow_id], []).append(
                        f"client {client.client_id} ({purpose} override)"
                    )
        for idp in admin.identity_providers.list(realm):
            for what, alias in (
                ("first login flow", idp.first_broker_login_flow_alias),
                ("post login flow", idp.post_broker_login_flow_alias),
            ):
                if alias in aliases:
                    users.setdefault(alias or "", []).append(
                        f"identity provider {idp.alias} ({what})"
                    )
        return users

    # --- plan ----------------------------------------------------------------

    def plan(self) -> list[Change]:
        desired = self.spec.authentication_flows
        by_alias = self.observed.by_alias()
        changes: list[Change] = []
        deletes: list[Change] = []
        if desired is not None:
            self._check(desired, by_alias)
            changes, deletes = self._flow_changes(desired, by_alias)
        bindings = self._binding_change(by_alias, desired or [])
        return changes + ([bindings] if bindings else []) + deletes

    def _check(
        self,
        desired: list[AuthenticationFlow],
        by_alias: dict[str, AuthenticationFlowRepresentation],
    ) -> None:
        aliases = [f.alias for f in desired]
        for flow in desired:
            have = by_alias.get(flow.alias)
            if have is not None and have.built_in:
                raise Problem(
                    INVALID_SPEC,
                    f"spec.authenticationFlows[{flow.alias}]: {flow.alias!r} is a built-in flow, "
                    f"which is never modified; copy it instead (a new alias with copyOf: "
                    f"{flow.alias})",
                )
            aliases += subflow_aliases(desired_steps(flow.executions))
        repeated = sorted({a for a in aliases if aliases.count(a) > 1})
        if repeated:
            raise Problem(
                INVALID_SPEC,
                f"spec.authenticationFlows: flow and subflow aliases must be unique in the "
                f"realm; repeated: {repeated}",
            )

    def _flow_changes(
        self,
        desired: list[AuthenticationFlow],
        by_alias: dict[str, AuthenticationFlowRepresentation],
    ) -> tuple[list[Change], list[Change]]:
        auth, realm = self.scope.admin.authentication, self.scope.realm
        owner = self.scope.owner_tag
        plan = flow_set(owner).plan(desired, by_alias.values())
        writer = ExecutionWriter(auth, realm)
        # Flows that exist: their own fields, then their execution trees.
        pending: dict[str, list[Change]] = {}
        for want in desired:
            have = by_alias.get(want.alias)
            tree = self.observed.trees.get(want.alias)
            steps = desired_steps(want.executions)
            if have is None or tree is None or steps is None:
                continue
            pending[want.alias] = plan_tree(
                writer, want.alias, f"authenticationFlows[{want.alias}]", steps, tree
            )
        updates: list[Change] = []
        for want, have in plan.update:
            marker = owner_marker(owner) if is_owned(have, owner) else ""
            body = flow_body(want, have, marker)
            updates.append(
                Change(
                    f"authenticationFlows[{want.alias}]",
                    Verb.UPDATE,
                    _flow_updater(auth, realm, have.id or "", body),
                )
            )
        creates: list[Change] = []
        listed = {f.alias for f in desired}
        for want in plan.create:
            source = want.copy_of
            if source is not None and source not in by_alias:
                if source not in listed:
                    raise Problem(
                        INVALID_SPEC,
                        f"spec.authenticationFlows[{want.alias}].copyOf: no flow {source!r} in "
                        "Keycloak or in spec.authenticationFlows",
                    )
                continue  # made once its source exists (the source's create observes again)
            # A listed source's own execution changes run before this copy (same plan).
            creates.append(self._create(want, by_alias.get(source) if source else None))
        executions = [change for planned in pending.values() for change in planned]
        deletes = [self._delete(have) for have in plan.delete]
        return updates + executions + creates, deletes

    def _create(
        self, want: AuthenticationFlow, source: AuthenticationFlowRepresentation | None
    ) -> Change:
        auth, realm = self.scope.admin.authentication, self.scope.realm
        marker = owner_marker(self.scope.owner_tag)

        def create() -> None:
            if source is None:
                auth.create_flow(realm, flow_body(want, None, marker))
                return
            new_id = auth.copy_flow(realm, source.alias or "", want.alias)
            # Marked in the same change: a copy is never left unowned.
            body = flow_body(want, source, marker).model_copy(update={"id": new_id})
            auth.update_flow(realm, new_id, body)

        # Its executions are planned against what the create made.
        return Change(f"authenticationFlows[{want.alias}]", Verb.CREATE, create, reobserve=True)

    def _delete(self, have: AuthenticationFlowRepresentation) -> Change:
        auth, realm = self.scope.admin.authentication, self.scope.realm
        alias = have.alias or ""
        bound = [
            f"the realm's {_camel(name)} binding"
            for name, value in self._bindings_after().items()
            if value == alias
        ]
        users = bound + self.observed.users.get(alias, [])

        def delete() -> None:
            if users:
                raise Problem(
                    KEYCLOAK_REJECTED,
                    f"authenticationFlows[{alias}]: no longer listed, but it cannot be deleted "
                    f"while it is used by {', '.join(users)}; bind another flow there first (or "
                    "list the flow again)",
                )
            with contextlib.suppress(kc_errors.NotFound):
                auth.delete_flow(realm, have.id or "")

        return Change(f"authenticationFlows[{alias}]", Verb.DELETE, delete)

    # --- bindings -----------------------------------------------------------

    def _bindings_after(self) -> dict[str, str | None]:
        """Each binding (by its flowBindings name) once the spec's are applied."""
        realm = self.observed.realm
        wanted = self.spec.flow_bindings
        out: dict[str, str | None] = {}
        for spec_name, realm_name in BINDING_FIELDS.items():
            value = getattr(wanted, spec_name, None) if wanted else None
            out[spec_name] = value if value is not None else getattr(realm, realm_name)
        return out

    def _binding_change(
        self,
        by_alias: dict[str, AuthenticationFlowRepresentation],
        desired: list[AuthenticationFlow],
    ) -> Change | None:
        wanted = self.spec.flow_bindings
        if wanted is None:
            return None
        self._check_no_second_writer()
        listed = {f.alias for f in desired}
        realm, name = self.observed.realm, self.scope.realm
        update: dict[str, str] = {}
        paths = []
        for spec_name, realm_name in BINDING_FIELDS.items():
            alias = getattr(wanted, spec_name)
            if alias is None or getattr(realm, realm_name) == alias:
                continue
            path = f"flowBindings.{_camel(spec_name)}"
            if alias not in by_alias:
                if alias in listed:
                    continue  # bound once the flow exists (its create observes again)
                raise Problem(
                    INVALID_SPEC,
                    f"spec.{path}: no flow {alias!r} in Keycloak or in spec.authenticationFlows",
                )
            update[realm_name] = alias
            paths.append(path)
        if not update:
            return None
        body = RealmRepresentation(realm=name).model_copy(update=update)
        admin = self.scope.admin
        return Change(", ".join(paths), Verb.UPDATE, lambda: admin.realms.update(name, body))

    def _check_no_second_writer(self) -> None:
        """additionalSettings may name a binding's realm field too: two writers of one
        field would undo each other on every pass."""
        wanted, extra = self.spec.flow_bindings, self.spec.additional_settings or {}
        for spec_name, realm_name in BINDING_FIELDS.items():
            key = RealmRepresentation.model_fields[realm_name].alias or realm_name
            if getattr(wanted, spec_name) is not None and key in extra:
                raise Problem(
                    INVALID_SPEC,
                    f"spec.additionalSettings.{key}: also set by spec.flowBindings."
                    f"{_camel(spec_name)}; remove it from additionalSettings",
                )


def _flow_updater(
    auth: Authentication, realm: str, flow_id: str, body: AuthenticationFlowRepresentation
) -> Callable[[], None]:
    return lambda: auth.update_flow(realm, flow_id, body)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
