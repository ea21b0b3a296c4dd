"""Objects applied together: how long a waiting object's retry may be, when a child
may be created beside its realm, and which clients a Ready user or client wakes."""

from __future__ import annotations

from typing import Any, cast

import pytest

from keycloak_controller.api import KeycloakClient, KeycloakRealm
from keycloak_controller.controllers import reasons
from keycloak_controller.controllers.dependants import BY_NAMED, WakeDependants, policy_names
from keycloak_controller.controllers.kinds import resource_kind
from keycloak_controller.controllers.parents import require_realm_reconciled
from keycloak_controller.controllers.plan import Plan, Verb
from keycloak_controller.controllers.reporting import Outcome, Timing
from keycloak_controller.controllers.skeleton import KindReconciler
from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.ratelimit import ItemExponentialFailureRateLimiter
from keycloak_controller.runtime.reconcile import Request
from keycloak_controller.runtime.workqueue import RateLimitingQueue

# --- which failures wait, and for how long ------------------------------------------


def test_waiting_reasons_and_unresolved_references_wait_invalid_specs_do_not() -> None:
    assert reasons.Problem(reasons.DEPENDENCY_NOT_READY, "m").waiting
    assert reasons.Problem(reasons.DELETION_BLOCKED, "m").waiting
    assert not reasons.Problem(reasons.INVALID_SPEC, "m").waiting
    assert not reasons.Problem(reasons.KEYCLOAK_UNAVAILABLE, "m").waiting
    missing = reasons.unresolved("unknown user 'bob'")
    # A name that may be a typo stays InvalidSpec (Stalled) but is retried soon.
    assert missing.reason == reasons.INVALID_SPEC and missing.stalled and missing.waiting
    assert Outcome.from_problem(missing).waiting


def test_a_wait_is_capped_short_and_other_failures_keep_the_long_backoff() -> None:
    timing = Timing(backoff_cap=1000.0)
    assert timing.max_delay(Outcome(False, reasons.DEPENDENCY_NOT_READY, "m", True)) == 30.0
    assert timing.max_delay(Outcome(False, reasons.INVALID_SPEC, "m")) == 0.0
    # A backoff already shorter than the wait cap is not lengthened.
    assert Timing(backoff_cap=5.0).max_delay(Outcome(False, "X", "m", True)) == 5.0


def _due_after(queue: RateLimitingQueue[str], clock: FakeClock, seconds: float) -> bool:
    clock.advance(seconds)
    got = queue.get(timeout=0)
    if got is not None:
        queue.done(got)
    return got is not None


def test_capped_requeues_still_count_and_success_forgets_them() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue(
        ItemExponentialFailureRateLimiter(1.0, 1000.0), clock=clock
    )
    for _ in range(8):  # 1, 2, ..., 128 s uncapped
        queue.add_rate_limited("a", max_delay=30.0)
        assert _due_after(queue, clock, 30.01)
    assert queue.num_requeues("a") == 8
    queue.add_rate_limited("a", max_delay=30.0)
    assert not _due_after(queue, clock, 29.0), "due before the cap"
    assert _due_after(queue, clock, 1.01)
    # Uncapped, the same item would now wait the limiter's own 512 s.
    queue.add_rate_limited("a")
    assert not _due_after(queue, clock, 500.0)
    assert _due_after(queue, clock, 12.01)
    queue.forget("a")  # a success
    assert queue.num_requeues("a") == 0
    queue.add_rate_limited("a", max_delay=30.0)
    assert _due_after(queue, clock, 1.01)


# --- a child is created after its realm's first reconcile ---------------------------


def realm(generation: int, ready: dict[str, Any] | None) -> KeycloakRealm:
    status = (
        {
            "conditions": [
                {
                    "type": "Ready",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                    "reason": "R",
                    "message": "m",
                    **ready,
                }
            ]
        }
        if ready
        else {}
    )
    return KeycloakRealm.model_validate(
        {
            "metadata": {"namespace": "team", "name": "demo", "generation": generation},
            "spec": {"keycloakRef": {"name": "kc"}, "realmName": "demo"},
            "status": status,
        }
    )


@pytest.mark.parametrize(
    ("status", "reason"),
    [("True", "Succeeded"), ("False", "InvalidSpec"), ("False", "KeycloakRejected")],
)
def test_a_realm_reconciled_for_its_generation_lets_children_be_created(
    status: str, reason: str
) -> None:
    ready = {"status": status, "observedGeneration": 3, "reason": reason}
    require_realm_reconciled(realm(3, ready), "the client", "why")


@pytest.mark.parametrize(
    ("ready", "said"),
    [
        (None, "has not been reconciled yet"),
        ({"status": "True", "observedGeneration": 2}, "for generation 3 yet (last for 2)"),
        (
            {"status": "False", "observedGeneration": 3, "reason": "DependencyNotReady"},
            "has not reached Keycloak yet (DependencyNotReady)",
        ),
    ],
)
def test_a_realm_not_yet_reconciled_holds_its_new_children_back(
    ready: dict[str, Any] | None, said: str
) -> None:
    with pytest.raises(reasons.Problem) as raised:
        require_realm_reconciled(realm(3, ready), "the client", "which gives it scopes")
    problem = raised.value
    assert problem.reason == reasons.DEPENDENCY_NOT_READY and problem.waiting
    assert "KeycloakRealm team/demo" in problem.message and said in problem.message
    assert "which gives it scopes" in problem.message


# --- a Ready user or client wakes the clients whose policies name it ----------------


def client(
    name: str,
    client_id: str,
    policies: list[dict[str, Any]] | None = None,
    ready: bool = False,
    realm_ref: dict[str, str] | None = None,
) -> KubeObject:
    spec: dict[str, Any] = {"realmRef": realm_ref or {"name": "demo"}, "clientId": client_id}
    if policies is not None:
        spec["authorization"] = {"policies": policies}
    return KubeObject(
        {
            "apiVersion": "keycloak-controller.dev/v1alpha1",
            "kind": "KeycloakClient",
            "metadata": {"namespace": "team", "name": name, "generation": 1},
            "spec": spec,
            "status": _ready_status() if ready else {},
        }
    )


def _ready_status() -> dict[str, Any]:
    return {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "observedGeneration": 1,
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "reason": "Succeeded",
                "message": "m",
            }
        ]
    }


POLICIES = [
    {"name": "bob-only", "user": {"users": ["bob"]}},
    {"name": "gw", "client": {"clients": ["gateway"]}},
]


def test_policy_names_are_keyed_by_realm_resource_and_kind() -> None:
    rs = KeycloakClient.model_validate(client("rs", "rs", POLICIES).raw)
    assert policy_names(rs) == ["team/demo|client|gateway", "team/demo|user|bob"]
    other_ns = client("rs", "rs", POLICIES, realm_ref={"name": "demo", "namespace": "shared"})
    assert policy_names(KeycloakClient.model_validate(other_ns.raw))[0].startswith("shared/demo|")
    assert policy_names(KeycloakClient.model_validate(client("p", "p").raw)) == []


class Index:
    def __init__(self, objects: list[KubeObject]) -> None:
        self.objects = objects

    def by_index(self, index: str, value: str) -> list[KubeObject]:
        assert index == BY_NAMED
        found = []
        for o in self.objects:
            if value in policy_names(KeycloakClient.model_validate(o.raw)):
                found.append(o)
        return found


def user(ready: bool, username: str = "bob") -> KubeObject:
    return KubeObject(
        {
            "metadata": {"namespace": "team", "name": username, "generation": 1},
            "spec": {"realmRef": {"name": "demo"}, "username": username},
            "status": _ready_status() if ready else {},
        }
    )


def test_only_a_ready_named_object_wakes_its_dependants() -> None:
    clients = cast(Informer, Index([client("rs", "rs", POLICIES), client("p", "p")]))
    users = WakeDependants(clients, "user")
    assert list(users(user(ready=True))) == [Request("team", "rs")]
    assert list(users(user(ready=False))) == []
    assert list(users(user(ready=True, username="carol"))) == []
    by_client = WakeDependants(clients, "client")
    assert list(by_client(client("gateway", "gateway", ready=True))) == [Request("team", "rs")]
    # A client naming itself is not woken by its own status.
    itself = client("rs", "rs", [{"name": "me", "client": {"clients": ["rs"]}}], ready=True)
    assert list(WakeDependants(cast(Informer, Index([itself])), "client")(itself)) == []


# --- a plan that fails part-way applies what was planned before the failure ---------


class _Sections(KindReconciler[Any, None, None]):
    """Bypasses __init__: converge only needs observe and plan."""

    model = KeycloakRealm
    noun = "realm"

    def __init__(self, plan: Plan) -> None:  # no Context: converge needs none here
        self._plan = plan
        self.kind = resource_kind(KeycloakRealm)

    def resolve(self, cr: Any, *, cleanup: bool = False) -> None:
        return None

    def observe(self, cr: Any, parents: None) -> None:
        return None

    def plan(self, cr: Any, parents: None, observed: None) -> Plan:
        return self._plan

    def status(self, cr: Any, parents: None, observed: None) -> Any:
        return None


def test_changes_planned_before_a_failing_section_are_applied_then_it_is_reported() -> None:
    ran: list[str] = []
    plan = Plan()
    plan.add("clientScopes[tier]", Verb.CREATE, lambda: ran.append("scope"))
    plan.failure = reasons.Problem(reasons.INVALID_SPEC, "spec.requiredActions: bad")
    cr = realm(1, None)
    obj = KubeObject({"metadata": {"namespace": "team", "name": "demo", "generation": 1}})
    with pytest.raises(reasons.Problem, match="requiredActions"):
        _Sections(plan).converge(obj, cr, None)
    assert ran == ["scope"]
