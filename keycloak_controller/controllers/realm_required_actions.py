"""`spec.requiredActions` as a realm section: required actions by alias.

ADDITIVE: a listed action is kept equal to the fields given (enabled,
defaultAction, priority, the listed config keys); unlisted actions are left
alone, and no action is ever deleted. A listed alias that is not registered in
the realm but whose provider is installed is registered first (the register
re-observes); one whose provider is not installed is refused (InvalidSpec
naming the field). Config uses /required-actions/{alias}/config (Keycloak 25+):
on older servers the resource refuses it (UnsupportedByVersion, reported as
IncompatibleVersion).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_required_actions import RequiredAction

# Not re-exported by keycloak.models (a file other work edits too); from the generated module.
from keycloak_controller.keycloak.models import (
    RequiredActionConfigRepresentation,
    RequiredActionProviderRepresentation,
)

from .childset import ChildSet, Removal, SetOps
from .plan import Change, Verb
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, Problem

REQUIRED_ACTIONS_REMOVAL = Removal.ADDITIVE


def action_equal(want: RequiredAction, have: RequiredActionProviderRepresentation) -> bool:
    """One-sided: only the fields the spec sets."""
    return (
        (want.enabled is None or bool(have.enabled) == want.enabled)
        and (want.default_action is None or bool(have.default_action) == want.default_action)
        and (want.priority is None or have.priority == want.priority)
    )


def updated_action(
    want: RequiredAction, have: RequiredActionProviderRepresentation
) -> RequiredActionProviderRepresentation:
    body = have.model_copy(deep=True)
    if want.enabled is not None:
        body.enabled = want.enabled
    if want.default_action is not None:
        body.default_action = want.default_action
    if want.priority is not None:
        body.priority = want.priority
    return body


def config_equal(want: dict[str, str], have: dict[str, str]) -> bool:
    return all(have.get(k) == v for k, v in want.items())


ACTIONS: ChildSet[RequiredAction, RequiredActionProviderRepresentation] = ChildSet(
    name="requiredActions",
    removal=REQUIRED_ACTIONS_REMOVAL,
    desired_key=lambda a: a.alias,
    actual_key=lambda a: a.alias or "",
    equal=action_equal,
)


@dataclass
class ObservedActions:
    actual: list[RequiredActionProviderRepresentation]
    # providerId -> name of installed providers not registered in the realm (read only
    # when a listed alias is not registered).
    unregistered: dict[str, str] = field(default_factory=dict)
    # Listed, registered actions that set config: their current config.
    config: dict[str, dict[str, str]] = field(default_factory=dict)


class RequiredActionsSection(RealmSection):
    name = "requiredActions"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.required_actions is not None

    def observe(self) -> None:
        auth, realm = self.scope.admin.authentication, self.scope.realm
        actual = auth.required_actions(realm)
        observed = ObservedActions(actual)
        registered = {a.alias for a in actual}
        desired = self.spec.required_actions or []
        if any(a.alias not in registered for a in desired):
            observed.unregistered = {
                u.get("providerId", ""): u.get("name", "")
                for u in auth.unregistered_required_actions(realm)
            }
        for want in desired:
            if want.config is not None and want.alias in registered:
                got = auth.required_action_config(realm, want.alias)
                observed.config[want.alias] = dict(got.config or {})
        self.observed = observed

    def plan(self) -> list[Change]:
        auth, realm = self.scope.admin.authentication, self.scope.realm
        desired = self.spec.required_actions or []
        aliases = [a.alias for a in desired]
        repeated = sorted({a for a in aliases if aliases.count(a) > 1})
        if repeated:
            raise Problem(INVALID_SPEC, f"spec.requiredActions: duplicate aliases {repeated}")
        plan = ACTIONS.plan(desired, self.observed.actual)
        for want in plan.create:
            provider = want.provider_id or want.alias
            if provider not in self.observed.unregistered:
                raise Problem(
                    INVALID_SPEC,
                    f"spec.requiredActions[{want.alias}]: no required-action provider "
                    f"{provider!r} is installed on this Keycloak (or it is registered under "
                    "another alias)",
                )

        def register(want: RequiredAction) -> None:
            provider = want.provider_id or want.alias
            name = want.name or self.observed.unregistered.get(provider) or provider
            auth.register_required_action(realm, provider, name)

        def update(want: RequiredAction, have: RequiredActionProviderRepresentation) -> None:
            auth.update_required_action(realm, have.alias or "", updated_action(want, have))

        def never(_: RequiredActionProviderRepresentation) -> None:
            raise AssertionError("required actions are never deleted")

        changes = [
            # Registered with Keycloak's defaults: the fields and config follow once it is.
            Change(c.path, c.verb, c.run, c.target, reobserve=c.verb == Verb.CREATE)
            for c in ACTIONS.changes(plan, SetOps(register, never, update))
        ]
        for want in desired:
            have = self.observed.config.get(want.alias)
            if want.config is None or have is None or config_equal(want.config, have):
                continue
            body = RequiredActionConfigRepresentation(config={**have, **want.config})

            def put(
                alias: str = want.alias, body: RequiredActionConfigRepresentation = body
            ) -> None:
                auth.update_required_action_config(realm, alias, body)

            changes.append(Change(f"requiredActions[{want.alias}].config", Verb.UPDATE, put))
        return changes
