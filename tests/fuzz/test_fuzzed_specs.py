"""Fuzzed specs: hundreds of schema-generated invalid or hostile specs per kind.

Each kind gets one namespace, one controller run and one batch. Every spec is first
sent as a server-side dry-run create: the apiserver either refuses it (422 with a
message: counted as admission-rejected) or admits it. Admitted specs are then
created for real and must settle with a Ready condition for their generation:
Ready=True (valid after all), or Ready=False with a reason and a message (Stalled
or not). Meanwhile the controllers must not crash (their threads stay alive, no
unhandled exception is logged) and must not touch a canary realm, client and user
living in the same Keycloak (same representation before and after, no admin event
recorded on it). Fuzzed clients and users point at a sacrificial realm; fuzzed
realms get realm names of their own (and never adopt, so a name that exists is
an ownership conflict, never a takeover).

The generation is derandomized (`derandomize=True`), so every run sends the same
specs. The counts per outcome are printed and written to the terminal summary.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kubernetes import client as k8s

from tests.support.controller_harness import (
    GROUP_VERSION,
    Kube,
    ReadyRealm,
    controller_run,
    create_ready_realm,
    keycloak_object,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.crds import install_crds
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.logcapture import captured_logs
from tests.support.spec_fuzz import HOSTILE_STRINGS, Case, fuzz_case, nested, spec_schema

GENERATED_PER_KIND = 500
PLURALS = {
    "Keycloak": "keycloaks",
    "KeycloakRealm": "keycloakrealms",
    "KeycloakClient": "keycloakclients",
    "KeycloakUser": "keycloakusers",
}
# Found in the captured logs only when a reconciler or handler raised something
# unexpected (the runtime logs the traceback and backs off).
CRASH_MARKERS = ("reconcile failed; requeued with backoff", "event handler failed")
# The share of generated cases that are valid-shaped hostile values rather than one
# broken rule. Most of them are admitted, and each admitted one is Keycloak work (a
# realm most of all: a realm created and deleted), which is what the batch's time is.
HOSTILE_PERCENT = {"Keycloak": 30, "KeycloakRealm": 5, "KeycloakClient": 15, "KeycloakUser": 15}
# Controller workers per kind: most of a batch's time is Keycloak answering, and it
# answers several requests at once faster than one after the other (a realm created
# takes about 3.5 s alone and 1.3 s four at a time on the loaded machine).
WORKERS = {"Keycloak": 2, "KeycloakRealm": 6, "KeycloakClient": 4, "KeycloakUser": 4}
SETTLE_TIMEOUT = 900.0
IDLE_TIMEOUT = 180.0

# --- the canary ------------------------------------------------------------------


class DirectKeycloak:
    """Raw Admin API calls with the Keycloak's own admin, not the controller's client."""

    def __init__(self, endpoint: KeycloakEndpoint) -> None:
        self.endpoint = endpoint
        self.base = endpoint.base_url
        self.session = requests.Session()
        self.session.hooks["response"].append(self._renew_on_401)
        self._log_in()

    def _log_in(self) -> None:
        token = requests.post(
            f"{self.base}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.endpoint.admin_username,
                "password": self.endpoint.admin_password,
            },
            timeout=180,
        )
        token.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def _renew_on_401(self, response: requests.Response, *args: Any, **kwargs: Any) -> Any:
        # Admin tokens live a minute; the batch takes longer. Retry once with a new one.
        if response.status_code != 401 or getattr(response.request, "renewed", False):
            return response
        self._log_in()
        retry = response.request.copy()
        retry.headers["Authorization"] = self.session.headers["Authorization"]
        retry.renewed = True  # type: ignore[attr-defined]
        return self.session.send(retry, timeout=180)

    def get(self, path: str, **params: Any) -> Any:
        response = self.session.get(f"{self.base}/admin{path}", params=params, timeout=180)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> None:
        self.session.post(f"{self.base}/admin{path}", json=body, timeout=180).raise_for_status()

    def delete_realm(self, name: str) -> None:
        """Delete a realm if it is there (a 404 is fine)."""
        self.session.delete(
            f"{self.base}/admin/realms/{requests.utils.quote(name, safe='')}", timeout=180
        )

    def realm_exists(self, name: str) -> bool:
        # One realm at a time: the shared Keycloak holds thousands, too many to list.
        quoted = requests.utils.quote(name, safe="")
        response = self.session.get(f"{self.base}/admin/realms/{quoted}", timeout=180)
        return response.status_code == 200


@dataclass
class Canary:
    """A realm with a client and a user that no fuzzed object may touch."""

    keycloak: DirectKeycloak
    realm: str
    client_id: str = "canary-client"
    username: str = "canary-user"

    def create(self) -> None:
        self.keycloak.post(
            "/realms", {"realm": self.realm, "enabled": True, "adminEventsEnabled": True}
        )
        self.keycloak.post(f"/realms/{self.realm}/clients", {"clientId": self.client_id})
        self.keycloak.post(
            f"/realms/{self.realm}/users", {"username": self.username, "enabled": True}
        )

    def snapshot(self) -> dict[str, Any]:
        realm = self.keycloak.get(f"/realms/{self.realm}")
        clients = self.keycloak.get(f"/realms/{self.realm}/clients", clientId=self.client_id)
        users = self.keycloak.get(
            f"/realms/{self.realm}/users", username=self.username, exact="true"
        )
        return {"realm": realm, "clients": clients, "users": users}

    def admin_events(self) -> int:
        return len(self.keycloak.get(f"/realms/{self.realm}/admin-events", max=10000))


# --- outcomes ----------------------------------------------------------------------


@dataclass
class Batch:
    kind: str
    namespace: str
    kube: Kube
    outcomes: Counter[str] = field(default_factory=Counter)
    by_mutation: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    admitted: list[tuple[str, Case]] = field(default_factory=list)
    # One example per outcome of an admitted spec, for the report (and the docs).
    examples: dict[str, str] = field(default_factory=dict)
    # Objects whose deletion had not finished when the clean-up gave up waiting.
    stuck: list[str] = field(default_factory=list)

    @property
    def plural(self) -> str:
        return PLURALS[self.kind]

    def body(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "/".join(GROUP_VERSION),
            "kind": self.kind,
            "metadata": {"name": name},
            "spec": spec,
        }

    def admit(self, index: int, case: Case) -> None:
        """Dry-run create: a 422 with a message is a rejection; anything else a finding."""
        name = f"fz-{index}"
        try:
            self.kube.custom.create_namespaced_custom_object(
                *GROUP_VERSION,
                self.namespace,
                self.plural,
                self.body(name, case.spec),
                dry_run="All",
            )
        except k8s.ApiException as error:
            message = _message(error)
            if error.status == 422 and message:
                self.outcomes["admission-rejected"] += 1
                self.by_mutation[f"{case.mutation}: rejected"] += 1
                if case.mutation.startswith("hand:"):
                    # Refused for the reason the case is about, or for another?
                    self.examples.setdefault(f"{case.mutation}: rejected", ascii(message[:200]))
            else:
                self.failures.append(
                    f"{name} ({case.mutation} at {case.path}): HTTP {error.status} {message!r}"
                )
            return
        self.admitted.append((name, case))

    def create(self, name: str, case: Case) -> None:
        self.kube.create(self.plural, self.namespace, self.body(name, case.spec))

    def objects(self) -> dict[str, dict[str, Any]]:
        """The batch's objects by name: one list call, not a GET per object."""
        listed = self.kube.custom.list_namespaced_custom_object(
            *GROUP_VERSION, self.namespace, self.plural
        )
        return {obj["metadata"]["name"]: obj for obj in listed["items"]}

    def all_settled(self) -> bool:
        objects = self.objects()
        if all(self.settled(name, objects) for name, _ in self.admitted):
            return True
        time.sleep(1.0)  # a list of the whole batch per poll is enough once a second
        return False

    def settled(self, name: str, objects: dict[str, dict[str, Any]] | None = None) -> bool:
        obj = (objects if objects is not None else self.objects()).get(name) or {}
        generation = (obj.get("metadata") or {}).get("generation")
        ready = _condition(obj, "Ready")
        return bool(ready and ready.get("observedGeneration") == generation and ready["reason"])

    def unsettled(self) -> str:
        lines = []
        objects = self.objects()
        for name, case in self.admitted:
            if not self.settled(name, objects):
                obj = objects.get(name) or {}
                ready = _condition(obj, "Ready")
                spec = json.dumps(case.spec, ensure_ascii=True)[:300]
                lines.append(f"{name} ({case.mutation} at {case.path}): {ready} {spec}")
        return "\n".join(lines[:30]) + f"\n({len(lines)} in all)"

    def classify(self, name: str, case: Case) -> None:
        obj = self.kube.get(self.plural, self.namespace, name) or {}
        ready = _condition(obj, "Ready") or {}
        stalled = _condition(obj, "Stalled") or {}
        if ready.get("status") == "True":
            outcome = "Ready"
        elif stalled.get("status") == "True":
            outcome = f"Stalled: {ready.get('reason')}"
        else:
            outcome = f"Ready=False: {ready.get('reason')}"
        self.outcomes[outcome] += 1
        self.by_mutation[f"{case.mutation}: {outcome}"] += 1
        message = str(ready.get("message") or "")[:160]
        self.examples.setdefault(outcome, ascii(f"{case.mutation} at {case.path}: {message}"))
        if outcome != "Ready" and not (ready.get("message") or "").strip():
            self.failures.append(f"{name} ({case.mutation} at {case.path}): {outcome}, no message")

    def report(self) -> str:
        lines = [f"fuzzed {self.kind}: {sum(self.outcomes.values())} specs"]
        lines += [f"  {outcome}: {n}" for outcome, n in sorted(self.outcomes.items())]
        lines.append("  by mutation:")
        lines += [f"    {key}: {n}" for key, n in sorted(self.by_mutation.items())]
        lines.append("  an example of each outcome:")
        lines += [f"    {outcome}: {text}" for outcome, text in sorted(self.examples.items())]
        return "\n".join(lines)


def _message(error: k8s.ApiException) -> str:
    try:
        return str(json.loads(error.body or "{}").get("message") or "")
    except ValueError:
        return str(error.body or "")


def _condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == type_:
            found: dict[str, Any] = condition
            return found
    return None


def busiest(logs: str) -> list[tuple[str, int]]:
    """The objects reconciled most often in the logs' last stretch: a hot loop's suspects."""
    seen: Counter[str] = Counter()
    for line in logs.splitlines()[-5000:]:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        key = entry.get("key") or entry.get("request") if isinstance(entry, dict) else None
        if key:
            seen[f"{entry.get('controller', '')} {key}: {entry.get('event', '')[:60]}"] += 1
    return seen.most_common(8)


def generate(strategy: st.SearchStrategy[Case], count: int) -> list[Case]:
    """`count` distinct examples of `strategy`, the same ones on every run."""
    cases: list[Case] = []

    @settings(
        max_examples=count * 3 // 2,  # hypothesis repeats some; ask for more
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    # Hypothesis may replay an example; keep each distinct spec once.
    unique = {json.dumps(c.spec, sort_keys=True): c for c in cases}
    return list(unique.values())[:count]


# --- per-kind bases and hand-picked cases ------------------------------------------

UNICODE_NAMES = (
    "\u202eredoc\u202c",
    "zero\u200bwidth",
    "\u0645\u0631\u062d\u0628\u0627",
    "emoji-\U0001f525\U0001f469\u200d\U0001f4bb",
    "nul\x00byte",
    "\ufeffbom",
    "x" * 255,
    "\u00e9" * 255,
    "x" * 256,
    "x" * 1_000_000,
)


def hand_picked(kind: str, base: dict[str, Any], canary: Canary) -> list[Case]:
    def case(label: str, **changes: Any) -> Case:
        return Case(label, ",".join(changes), {**base, **changes})

    cases: list[Case] = []
    # The generated type changes leave `null` out (the apiserver prunes it from a field
    # that is not nullable, so the spec is the base again); here it is once per kind, in
    # the name (required: refused) and in an optional field (pruned: admitted).
    name_field = {"KeycloakRealm": "realmName", "KeycloakClient": "clientId"}.get(kind, "username")
    optional_field = {"KeycloakRealm": "displayName", "KeycloakClient": "description"}.get(
        kind, "email"
    )
    if kind != "Keycloak":
        cases += [
            case(f"hand: null {name_field}", **{name_field: None}),
            case("hand: null in an optional field", **{optional_field: None}),
        ]
    if kind == "KeycloakRealm":
        cases += [case("hand: unicode realmName", realmName=n) for n in UNICODE_NAMES]
        cases += [
            case(
                "hand: a group attribute with 1,001 values (no maxItems)",
                groups=[{"path": "/many", "attributes": {"a": [f"v{i}" for i in range(1001)]}}],
            ),
            case("hand: the canary's name, not adopted", realmName=canary.realm),
            case("hand: realmName with a slash", realmName="a/b"),
            case("hand: bad password-policy regex", passwordPolicy="regexPattern([a-z)"),
            case("hand: unknown password policy", passwordPolicy="noSuchPolicy(3)"),
            case("hand: role name with a slash", roles=[{"name": "a/b"}]),
            case("hand: role with unicode", roles=[{"name": n} for n in HOSTILE_STRINGS[:8]]),
            case("hand: token lifespan 0", tokens={"accessTokenLifespan": 0}),
            case("hand: token lifespan too big", tokens={"accessTokenLifespan": 2**31}),
            case("hand: frontendUrl not a URL", frontendUrl="::not a url::"),
            case("hand: additionalSettings 60 deep", additionalSettings={"x": nested(60)}),
            case("hand: additionalSettings 200 deep", additionalSettings={"x": nested(200)}),
            case("hand: displayName 300k characters", displayName="\u00e9" * 300_000),
            case("hand: group path unicode", groups=[{"path": "/\u202e\u200b"}]),
            case(
                "hand: defaultLocale unsupported",
                localization={"supportedLocales": ["en"], "defaultLocale": "xx-\u200b"},
            ),
        ]
    elif kind == "KeycloakClient":
        cases += [case("hand: unicode clientId", clientId=n) for n in UNICODE_NAMES]
        cases += [
            case("hand: javascript: redirect URI", redirectUris=["javascript:alert(1)"]),
            case("hand: unterminated IPv6 redirect URI", redirectUris=["http://[::1/cb"]),
            case("hand: redirect URI with NUL", redirectUris=["https://a.test/\x00"]),
            case("hand: rootUrl not a URL", rootUrl="::::"),
            case("hand: webOrigins unicode", webOrigins=["https://\u202eexample.test"]),
            case("hand: role name with a slash", roles=[{"name": "a/b"}]),
            case("hand: negative token lifespan", tokens={"accessTokenLifespan": -1}),
            case(
                "hand: bad regex policy",
                authorization={
                    "policies": [{"name": "re", "regex": {"targetClaim": "sub", "pattern": "(["}}]
                },
            ),
            case(
                "hand: unknown protocol mapper",
                protocolMappers=[{"name": "m", "protocolMapper": "no-such-mapper"}],
            ),
            case("hand: attributes 60 deep", attributes={"x": json.dumps(nested(60))}),
        ]
    elif kind == "KeycloakUser":
        cases += [case("hand: unicode username", username=n) for n in UNICODE_NAMES]
        cases += [
            case("hand: upper-case username", username="Alice"),
            case("hand: email without @", email="not-an-email"),
            case("hand: unicode email", email="\u202e@\u200b.test"),
            case("hand: unknown required action", requiredActions=["NO_SUCH_ACTION"]),
            case("hand: missing realm role", realmRoles=["no-such-role"]),
            case("hand: missing group", groups=["/no/such/group"]),
            case(
                "hand: unknown identity provider",
                federatedIdentities=[{"identityProvider": "nope", "userId": "1", "userName": "u"}],
            ),
            case(
                "hand: password Secret missing",
                password={"secretRef": {"name": "no-such-secret", "key": "password"}},
            ),
            case("hand: huge attribute", attributes={"a": ["\u00e9" * 4096]}),
            case("hand: attribute too long", attributes={"a": ["x" * 4097]}),
            case("hand: attribute named email", attributes={"email": ["x@y"]}),
        ]
    elif kind == "Keycloak":
        cases += [
            case("hand: null caBundle", caBundle=None),
            case("hand: URL refused", external={"url": "http://127.0.0.1:1"}),
            case("hand: URL IPv6 refused", external={"url": "http://[::1]:1/"}),
            case("hand: URL without scheme", external={"url": "keycloak.test"}),
            case("hand: URL javascript", external={"url": "javascript:alert(1)"}),
            case("hand: URL unicode host", external={"url": "http://\u202ekc.invalid"}),
            case("hand: URL 1 MB", external={"url": "http://a.test/" + "x" * 1_000_000}),
            case("hand: URL on a wrong path", external={"url": base["external"]["url"] + "/no"}),
            case(
                "hand: credentials Secret missing",
                auth={
                    "passwordGrant": {
                        "usernameSecretRef": {"name": "nope", "key": "username"},
                        "passwordSecretRef": {"name": "nope", "key": "password"},
                    }
                },
            ),
            case(
                "hand: wrong key in the Secret",
                auth={
                    "passwordGrant": {
                        "usernameSecretRef": {"name": "admin", "key": "password"},
                        "passwordSecretRef": {"name": "admin", "key": "username"},
                    }
                },
            ),
            case(
                "hand: CA bundle missing",
                caBundle={"configMapKeyRef": {"name": "nope", "key": "ca.crt"}},
            ),
        ]
    return cases


def bases(kind: str, keycloak: KeycloakEndpoint, ready: ReadyRealm) -> dict[str, Any]:
    marker = uuid.uuid4().hex[:8]
    if kind == "Keycloak":
        spec: dict[str, Any] = keycloak_object("x", keycloak, "admin")["spec"]
        return spec
    if kind == "KeycloakRealm":
        return {
            "keycloakRef": {"name": ready.keycloak},
            "realmName": f"fz-{marker}",
            "adoptExisting": False,
            # Retain: deleting a realm is the costliest Keycloak call of the batch, and
            # the clean-up does it directly, four at a time, instead of through the
            # controllers with their timeouts (hostile cases still fuzz the policy).
            "deletionPolicy": "Retain",
        }
    ref = {"realmRef": {"name": ready.realm}}
    if kind == "KeycloakClient":
        return {**ref, "clientId": f"fz-{marker}"}
    return {**ref, "username": f"fz-{marker}"}


def with_own_identity(kind: str, cases: list[Case]) -> list[Case]:
    """Give each generated realm, client and user a name of its own unless the name is
    what was fuzzed (fuzzed realms never adopt, so a name that exists is a conflict)."""
    key = {"KeycloakRealm": "realmName", "KeycloakClient": "clientId", "KeycloakUser": "username"}
    if kind not in key:
        return cases
    out = []
    for i, case in enumerate(cases):
        spec = dict(case.spec)
        if not case.path.startswith(key[kind]) or not case.path:
            spec[key[kind]] = f"{spec[key[kind]]}-{i}"
        out.append(Case(case.mutation, case.path, spec))
    return out


# --- the test ----------------------------------------------------------------------


@pytest.fixture
def crds(control_plane: ControlPlaneEndpoint) -> ControlPlaneEndpoint:
    install_crds(control_plane)
    return control_plane


@pytest.fixture
def direct(keycloak: KeycloakEndpoint) -> DirectKeycloak:
    return DirectKeycloak(keycloak)


@pytest.fixture
def canary(direct: DirectKeycloak, unique_name: Callable[[str], str]) -> Iterator[Canary]:
    made = Canary(direct, unique_name("canary"))
    made.create()
    yield made
    direct.delete_realm(made.realm)


@pytest.mark.parametrize("kind", list(PLURALS))
def test_fuzzed_specs_are_refused_or_reported(
    kind: str,
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    canary: Canary,
    direct: DirectKeycloak,
    unique_name: Callable[[str], str],
    record_property: Callable[[str, object], None],
) -> None:
    kube = Kube(crds)
    namespace = kube.namespace(unique_name(f"fuzz-{kind}"))
    batch = Batch(kind, namespace, kube)
    schema = spec_schema(kind)
    timings: dict[str, float] = {}
    # The cases first, before the controllers run: generation is the test process's own
    # CPU, and hypothesis warns when other threads (the controllers' jitter) use `random`
    # during a draw. The sacrificial realm's objects have fixed names (ReadyRealm).
    sacrificial = ReadyRealm(namespace, unique_name("sacrificial"))
    base = bases(kind, keycloak, sacrificial)
    started = time.monotonic()
    # A generated but reachable-looking Keycloak URL would wait out connect
    # timeouts; the hand-picked URLs fail at once.
    skip = frozenset({"external"}) if kind == "Keycloak" else frozenset()
    # The share is exact (two batches): hypothesis' own integers lean to the edges.
    hostile = (GENERATED_PER_KIND + 40) * HOSTILE_PERCENT[kind] // 100
    cases = generate(
        fuzz_case(schema, base, hostile_percent=0, skip=skip),
        GENERATED_PER_KIND + 40 - hostile,
    ) + generate(fuzz_case(schema, base, hostile_percent=100, skip=skip), hostile)
    generated = len(cases)
    cases = with_own_identity(kind, cases + hand_picked(kind, base, canary))
    timings["generate"] = time.monotonic() - started

    with (
        captured_logs() as logs,
        controller_run(crds, [namespace], backoff_cap=30.0, workers=WORKERS[kind]) as run,
    ):
        ready = create_ready_realm(kube, namespace, keycloak, sacrificial.realm_name, timeout=120.0)
        assert (ready.keycloak, ready.realm) == (sacrificial.keycloak, sacrificial.realm)
        before, events_before = canary.snapshot(), canary.admin_events()
        timings["sacrificial realm"] = time.monotonic() - started

        existing: set[str] = set()
        try:
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda ic: batch.admit(*ic), enumerate(cases)))
                if kind == "KeycloakRealm":
                    # Realms that exist already (the canary, say) are never deleted by the clean-up.
                    names = [str(c.spec.get("realmName")) for _, c in batch.admitted]
                    found = pool.map(direct.realm_exists, names)
                    existing = {n for n, e in zip(names, found, strict=True) if e}
                timings["admission"] = time.monotonic() - started
                list(pool.map(lambda nc: batch.create(*nc), batch.admitted))
            try:
                wait_until(
                    batch.all_settled,
                    SETTLE_TIMEOUT,
                    f"every admitted fuzzed {kind} to report a Ready condition",
                )
            except AssertionError as error:
                raise AssertionError(f"{error}; still unsettled:\n{batch.unsettled()}") from None
            try:
                wait_idle(run.manager, IDLE_TIMEOUT)
            except AssertionError as error:
                raise AssertionError(f"{error}; busiest keys: {busiest(logs.getvalue())}") from None
            timings["settle"] = time.monotonic() - started
            for name, case in batch.admitted:
                batch.classify(name, case)

            threads_alive = all(t.is_alive() for c in run.manager.controllers for t in c._threads)
            after, events_after = canary.snapshot(), canary.admin_events()
        finally:
            # Also after a failure: the shared Keycloak keeps no fuzzed realms.
            _clean_up(batch, direct, existing)

    timings["clean-up"] = time.monotonic() - started
    report = (
        batch.report()
        + "\n  seconds since start: "
        + ", ".join(f"{phase} {t:.0f}" for phase, t in timings.items())
        + "".join(f"\n  not deleted in time: {line}" for line in batch.stuck[:10])
    )
    print(report)
    # Carried to the xdist controller and printed in the terminal summary (conftest.py).
    record_property("fuzz report", report)

    crashes = [
        line for line in logs.getvalue().splitlines() if any(m in line for m in CRASH_MARKERS)
    ]
    assert not crashes, "\n".join(crashes[:5])
    assert threads_alive, "a controller worker thread died"
    assert not batch.failures, "\n".join(batch.failures[:20])
    assert after == before, "the canary realm, client or user changed"
    assert events_after == events_before, "something wrote to the canary realm"
    assert generated >= GENERATED_PER_KIND
    assert sum(batch.outcomes.values()) == len(cases) >= GENERATED_PER_KIND


def _clean_up(batch: Batch, direct: DirectKeycloak, existing: set[str]) -> None:
    """Delete the fuzzed objects while the controllers run; strip what is left stuck."""
    for name, _ in batch.admitted:
        try:
            batch.kube.delete(batch.plural, batch.namespace, name)
        except k8s.ApiException as error:
            if error.status != 404:
                raise

    def gone() -> bool:
        left = batch.objects()
        if not any(n in left for n, _ in batch.admitted):
            return True
        time.sleep(1.0)
        return False

    try:
        wait_until(gone, 120.0, "the fuzzed objects to be deleted")
    except AssertionError:
        left = batch.objects()
        for name, case in batch.admitted:
            if name in left:
                ready = _condition(left[name], "Ready") or {}
                batch.stuck.append(
                    ascii(f"{name} ({case.mutation} at {case.path}): {ready.get('message')}")[:300]
                )
                batch.kube.patch(
                    batch.plural, batch.namespace, name, {"metadata": {"finalizers": None}}
                )
    if batch.kind == "KeycloakRealm":
        # Realms a Retain policy left behind (only names this batch created).
        ours = {str(c.spec.get("realmName")) for _, c in batch.admitted} - existing
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(direct.delete_realm, sorted(ours)))
