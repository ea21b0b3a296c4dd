"""Upgrade from the previous release: its CRDs and controller first, then this tree's.

The previous release is the commit `PREVIOUS_RELEASE` of hack/versions.env. Its
tree is taken from the repository the test runs in (`git archive`), and the
upgrade happens as an operator would do it, on a private control plane (CRDs
are cluster-wide, and the shared one carries this tree's):

1. `kubectl apply --server-side -k deploy/default` of the previous release: its
   CRDs and RBAC; its controller runs as a process from that tree, as the
   ServiceAccount, and makes a realm (roles, groups, a client scope), a
   confidential and a public client with their credentials Secrets, and a
   user, all Ready, against the shared canonical Keycloak;
2. the old controller is stopped; the same apply of this tree's deploy/default
   updates CRDs and RBAC; this tree's controller starts, as a process too.

Both processes log JSON with the audit trail of every Keycloak write
(runtime/audit.py). The new one must write nothing to Keycloak, the CRs'
conditions must not move while a watch looks on (no flap, no re-stamped
lastTransitionTime, observedGeneration still the generation), the credentials
Secrets must stay as they were, and what was made must still work: the user
logs in through the public client, the confidential client gets a token with
the secret in its Secret.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import requests
from kubernetes import client as k8s
from kubernetes import watch
from prometheus_client.parser import text_string_to_metric_families

from tests.support import rbac
from tests.support.config import REPO_ROOT, kube_binaries, pinned_versions
from tests.support.controller_harness import (
    GROUP_VERSION,
    Kube,
    client_object,
    keycloak_object,
    log_in,
    realm_object,
    user_object,
    wait_until,
)
from tests.support.controller_process import ControllerProcess
from tests.support.controlplane import (
    ControlPlane,
    ControlPlaneEndpoint,
    wait_for_default_namespace,
)
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.process import free_port

TIMEOUT = 120.0  # failure bounds only
PLURALS = ("keycloaks", "keycloakrealms", "keycloakclients", "keycloakusers")
CONTROLLER_OF = {  # the manager names each controller after its kind
    "keycloaks": "keycloak",
    "keycloakrealms": "keycloakrealm",
    "keycloakclients": "keycloakclient",
    "keycloakusers": "keycloakuser",
}
PROBE = "upgrade-test.keycloak-controller.dev/probe"
CREDENTIALS_SECRETS = ("api-credentials", "login-credentials")
SECTIONS: dict[str, Any] = {
    "roles": [{"name": "viewer"}, {"name": "editor", "composites": {"realmRoles": ["viewer"]}}],
    "groups": [
        {"path": "/eng", "attributes": {"team": ["eng"]}, "realmRoles": ["viewer"]},
        {"path": "/eng/backend"},
    ],
    "clientScopes": [
        {
            "name": "tier",
            "protocol": "openid-connect",
            "protocolMappers": [
                {
                    "name": "tier",
                    "protocolMapper": "oidc-hardcoded-claim-mapper",
                    "config": {
                        "claim.name": "tier",
                        "claim.value": "gold",
                        "jsonType.label": "String",
                        "access.token.claim": "true",
                    },
                }
            ],
        }
    ],
    "defaultClientScopes": ["tier", "profile", "roles"],
}


def previous_release() -> str:
    sha = pinned_versions().get("PREVIOUS_RELEASE")
    if not sha:
        pytest.fail("hack/versions.env names no PREVIOUS_RELEASE (the commit to upgrade from)")
    return sha


def extract_release(sha: str, into: Path) -> Path:
    """The release's package, CRDs and deploy/ from this repository's history."""
    git = ["git", "-C", str(REPO_ROOT)]
    known = subprocess.run(
        [*git, "cat-file", "-e", f"{sha}^{{commit}}"], capture_output=True, timeout=30, check=False
    )
    if known.returncode != 0:
        pytest.fail(
            f"the previous release {sha} (PREVIOUS_RELEASE in hack/versions.env) is not in "
            f"the repository at {REPO_ROOT}; the upgrade test needs a full clone of main "
            "(git fetch --unshallow)"
        )
    done = subprocess.run(
        [*git, "archive", sha, "keycloak_controller", "crds", "deploy"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def install(endpoint: ControlPlaneEndpoint, tree: Path) -> None:
    """What an operator runs: a server-side apply of the release's deploy/default."""
    kubectl = [str(kube_binaries().kubectl), "--kubeconfig", endpoint.kubeconfig]
    rendered = subprocess.run(
        [*kubectl, "kustomize", str(tree / "deploy" / "default")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    applied = subprocess.run(
        [*kubectl, "apply", "--server-side", "--force-conflicts", "-f", "-"],
        input=rendered.stdout,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert applied.returncode == 0, applied.stderr
    established = subprocess.run(
        [*kubectl, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert established.returncode == 0, established.stderr


def identity(endpoint: ControlPlaneEndpoint) -> rbac.ControllerIdentity:
    """A token of the ServiceAccount that install() made, once its RBAC is in force."""
    token, expires_at = rbac.request_token(endpoint, rbac.SYSTEM_NAMESPACE, rbac.SERVICE_ACCOUNT)
    who = rbac.ControllerIdentity(
        endpoint.host,
        endpoint.ca_cert,
        rbac.SYSTEM_NAMESPACE,
        rbac.SERVICE_ACCOUNT,
        token,
        expires_at,
    )
    api = who.api_client()
    wait_until(
        lambda: rbac.can_i(
            api, "watch", "keycloakclients", group=GROUP_VERSION[0], namespace="default"
        ),
        30,
        "the controller's RBAC",
    )
    return who


class ReleaseProcess(ControllerProcess):
    """`python -m keycloak_controller.cli run` from the package in `tree`, same venv.

    The working directory and PYTHONPATH are the tree, so its package is imported,
    not the editable install of this checkout. Logs JSON at debug level.
    """

    def __init__(
        self,
        who: rbac.ControllerIdentity,
        namespace: str,
        lease: str,
        tree: Path,
        workdir: Path,
        name: str,
    ) -> None:
        self.name = name
        kubeconfig = who.kubeconfig(workdir / f"{name}.kubeconfig")
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEYCLOAK_CONTROLLER_")}
        env.pop("KUBECONFIG", None)
        env["PYTHONPATH"] = str(tree)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "keycloak_controller.cli", "run",
                    "--kubeconfig", str(kubeconfig),
                    "--namespaces", namespace,
                    "--leader-elect",
                    "--leader-election-namespace", rbac.SYSTEM_NAMESPACE,
                    "--leader-election-id", lease,
                    "--metrics-bind-address", f"127.0.0.1:{self.port}",
                    "--log-format", "json",
                    "--log-level", "debug",
                ],
                stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=tree,
            )  # fmt: skip

    def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        text = requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def reconciled(self, controller: str) -> float:
        """Reconciles of `controller` that ended without an error."""
        found = self.metrics()
        return sum(
            found.get(("controller_runtime_reconcile_total", frozenset(labels)), 0.0)
            for labels in (
                {("controller", controller), ("result", result)}
                for result in ("success", "requeue_after")
            )
        )

    def busy(self) -> bool:
        found = self.metrics()
        return any(
            value
            for (name, _), value in found.items()
            if name in ("workqueue_depth", "controller_runtime_active_workers")
        )


def settled(process: ReleaseProcess, counts: dict[str, int]) -> bool:
    """Every object reconciled at least once and nothing in flight or queued, twice over
    a second (a watch event of the last status write may still be on its way)."""

    def quiet() -> bool:
        if process.busy():
            return False
        return all(process.reconciled(CONTROLLER_OF[p]) >= n for p, n in counts.items())

    if not quiet():
        return False
    before = {p: process.reconciled(CONTROLLER_OF[p]) for p in counts}
    time.sleep(1.0)
    return quiet() and before == {p: process.reconciled(CONTROLLER_OF[p]) for p in counts}


def annotations_of(obj: dict[str, Any]) -> dict[str, str]:
    return dict(obj["metadata"].get("annotations") or {})


def conditions(obj: dict[str, Any]) -> dict[str, tuple[str, str, int | None]]:
    """type -> (status, lastTransitionTime, observedGeneration)."""
    return {
        c["type"]: (c["status"], c["lastTransitionTime"], c.get("observedGeneration"))
        for c in (obj.get("status") or {}).get("conditions") or []
    }


@dataclass
class StatusWatch:
    """Every version of the test's CRs the apiserver shows from a resourceVersion on."""

    endpoint: ControlPlaneEndpoint
    namespace: str
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    relists: int = 0

    def start(self, versions: dict[str, str]) -> None:
        for plural, version in versions.items():
            thread = threading.Thread(target=self._run, args=(plural, version), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self, plural: str, version: str) -> None:
        custom = k8s.CustomObjectsApi(self.endpoint.api_client())
        try:
            while not self._stop.is_set():
                try:
                    for event in watch.Watch().stream(
                        custom.list_namespaced_custom_object,
                        *GROUP_VERSION,
                        self.namespace,
                        plural,
                        resource_version=version,
                        timeout_seconds=2,
                        allow_watch_bookmarks=False,
                    ):
                        obj = event["object"]
                        version = obj["metadata"]["resourceVersion"]
                        self.seen.append((plural, obj))
                except k8s.ApiException as error:
                    # A CRD whose schema changed gets new storage, and a watch from
                    # before may be told 410 Gone: list again and go on from there.
                    # Every listed object counts as seen; only a flap that began and
                    # ended inside that gap could pass unseen.
                    if error.status != 410:
                        raise
                    listed = custom.list_namespaced_custom_object(
                        *GROUP_VERSION, self.namespace, plural
                    )
                    self.seen.extend((plural, obj) for obj in listed["items"])
                    version = listed["metadata"]["resourceVersion"]
                    self.relists += 1
        except BaseException as error:  # reported by stop(), not lost in a thread
            self.errors.append(error)

    def saw(self, wanted: Callable[[dict[str, Any]], bool]) -> set[tuple[str, str]]:
        """The objects of which some seen version is `wanted` (a dead watch fails here)."""
        assert not self.errors, self.errors
        return {(p, o["metadata"]["name"]) for p, o in list(self.seen) if wanted(o)}

    def stop(self) -> list[tuple[str, dict[str, Any]]]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        assert not self.errors, self.errors
        return list(self.seen)


def list_versions(kube: Kube, namespace: str) -> tuple[dict[str, str], dict[tuple[str, str], Any]]:
    """Each kind's list resourceVersion, and each object's conditions and generation."""
    versions: dict[str, str] = {}
    state: dict[tuple[str, str], Any] = {}
    for plural in PLURALS:
        listed: dict[str, Any] = kube.custom.list_namespaced_custom_object(
            *GROUP_VERSION, namespace, plural
        )
        versions[plural] = listed["metadata"]["resourceVersion"]
        for obj in listed["items"]:
            state[(plural, obj["metadata"]["name"])] = (
                conditions(obj),
                obj["metadata"]["generation"],
                (obj.get("status") or {}).get("observedGeneration"),
            )
    return versions, state


def client_credentials_token(endpoint: KeycloakEndpoint, realm: str, secret: dict[str, str]) -> Any:
    response = requests.post(
        f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": secret["client-id"],
            "client_secret": secret["client-secret"],
        },
        timeout=30,
    )
    return response.status_code


@pytest.fixture
def upgrade_plane(tmp_path: Path) -> Iterator[ControlPlaneEndpoint]:
    plane = ControlPlane(tmp_path / "control-plane")
    try:
        endpoint = plane.start()
        wait_for_default_namespace(endpoint)
        yield endpoint
    finally:
        plane.stop()


@pytest.fixture
def processes() -> Iterator[list[ReleaseProcess]]:
    started: list[ReleaseProcess] = []
    yield started
    for process in started:
        process.kill()


def test_upgrade_from_the_previous_release_writes_nothing_and_flaps_nothing(
    upgrade_plane: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    processes: list[ReleaseProcess],
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    sha = previous_release()
    old_tree = extract_release(sha, tmp_path / "previous" / "tree")
    new_tree = REPO_ROOT
    imported = subprocess.run(
        [sys.executable, "-c", "import keycloak_controller; print(keycloak_controller.__file__)"],
        env={**os.environ, "PYTHONPATH": str(old_tree)},
        cwd=old_tree,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(imported.stdout.strip()).is_relative_to(old_tree), imported.stdout

    # 1. The previous release, installed and running, makes everything.
    install(upgrade_plane, old_tree)
    kube = Kube(upgrade_plane)
    ns = kube.namespace(unique_name("upgrade"))
    lease = unique_name("lease")
    old = ReleaseProcess(identity(upgrade_plane), ns, lease, old_tree, tmp_path, "previous")
    processes.append(old)
    wait_until(old.leading, TIMEOUT, f"the previous release to lead\n{old.tail()}")

    realm_name = unique_name("realm")
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    kube.secret(ns, "alice-password", {"password": "Upgrade-1-alice"})
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    kube.create("keycloakrealms", ns, realm_object("realm", "kc", realm_name, **SECTIONS))
    # The clients after the realm is Ready: Keycloak gives a new client the realm's
    # default client scopes of that moment, and a client does not wait for its
    # realm's sections (parents.py), so made together it may miss `tier`.
    wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm Ready")
    kube.create(
        "keycloakclients",
        ns,
        client_object("api", "realm", "api", flows={"serviceAccounts": True}),
    )
    kube.create(
        "keycloakclients",
        ns,
        client_object(
            "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
        ),
    )
    kube.create(
        "keycloakusers",
        ns,
        user_object(
            "alice",
            "realm",
            "alice",
            email="alice@example.test",
            firstName="Alice",
            lastName="Upgrade",
            groups=["/eng"],
            realmRoles=["editor"],
            password={"secretRef": {"name": "alice-password", "key": "password"}},
        ),
    )
    objects = [
        ("keycloaks", "kc"),
        ("keycloakrealms", "realm"),
        ("keycloakclients", "api"),
        ("keycloakclients", "login"),
        ("keycloakusers", "alice"),
    ]
    counts = {p: sum(1 for q, _ in objects if q == p) for p in PLURALS}
    for plural, name in objects:
        wait_until(
            lambda p=plural, n=name: kube.is_ready(p, ns, n),
            TIMEOUT,
            f"{plural}/{name} Ready under the previous release\n{old.tail()}",
        )
    wait_until(lambda: settled(old, counts), TIMEOUT, "the previous release to settle")
    assert old.writes(), "the previous release's audit trail shows none of its writes"
    secrets_before = {
        name: kube.core.read_namespaced_secret(name, ns) for name in CREDENTIALS_SECRETS
    }
    versions, before = list_versions(kube, ns)
    assert set(before) == set(objects)
    status = StatusWatch(upgrade_plane, ns)
    status.start(versions)
    made_at = time.monotonic()

    # 2. Stop it, upgrade CRDs and RBAC, start this tree's controller.
    assert old.stop() == 0, old.tail()
    old_writes = len(old.writes())
    install(upgrade_plane, new_tree)
    new = ReleaseProcess(identity(upgrade_plane), ns, lease, new_tree, tmp_path, "current")
    processes.append(new)
    wait_until(new.leading, TIMEOUT, f"the new controller to lead\n{new.tail()}")
    wait_until(lambda: settled(new, counts), TIMEOUT, f"the new controller to settle\n{new.tail()}")
    switched_at = time.monotonic()
    reconciles = {p: new.reconciled(CONTROLLER_OF[p]) for p in PLURALS}
    # The watch is live: an annotation on every object (which the controller also
    # reconciles, still without writing) shows up in it before it stops.
    for plural, name in objects:
        kube.patch(plural, ns, name, {"metadata": {"annotations": {PROBE: "1"}}})
    wait_until(
        lambda: status.saw(lambda o: PROBE in annotations_of(o)) == set(objects),
        TIMEOUT,
        "the watch to see the probe annotations",
    )
    wait_until(lambda: settled(new, counts), TIMEOUT, f"the new controller to settle\n{new.tail()}")
    seen = status.stop()

    # Zero Keycloak writes by the new controller, per its audit trail.
    writes = [(w["method"], w["path"], w["cr_kind"], w["change"]) for w in new.writes()]
    assert writes == [], f"the new controller wrote to Keycloak after the upgrade: {writes}"
    assert len(old.writes()) == old_writes  # and the old one none after its stop

    # No condition moved: every version of every CR the watch saw has the same
    # conditions (status, lastTransitionTime, observedGeneration) as before the switch.
    for plural, obj in seen:
        name = obj["metadata"]["name"]
        expected_conditions, _, _ = before[(plural, name)]
        assert conditions(obj) == expected_conditions, (plural, name, obj.get("status"))
        generation = obj["metadata"]["generation"]
        assert (obj.get("status") or {}).get("observedGeneration") == generation, (plural, name)
    _, after = list_versions(kube, ns)
    assert after == before
    for plural, name in objects:
        assert kube.is_ready(plural, ns, name), (plural, name)

    # The credentials Secrets were not touched at all.
    for name, secret in secrets_before.items():
        now = kube.core.read_namespaced_secret(name, ns)
        assert now.data == secret.data, name
        assert now.metadata.resource_version == secret.metadata.resource_version, name

    # What the old release made still works under the new controller.
    claims = log_in(keycloak, realm_name, "alice", "Upgrade-1-alice")
    assert claims is not None and claims["tier"] == "gold"
    assert "editor" in claims["realm_access"]["roles"]
    api_secret = kube.secret_data(ns, "api-credentials")
    assert api_secret is not None
    assert client_credentials_token(keycloak, realm_name, api_secret) == 200

    # The new controller's trail is live: a spec change is written and recorded.
    kube.patch("keycloakclients", ns, "api", {"spec": {"description": "after the upgrade"}})
    wait_until(lambda: kube.is_ready("keycloakclients", ns, "api"), TIMEOUT, "api edited")
    recorded = [
        w for w in new.writes() if w["cr_kind"] == "KeycloakClient" and w["cr_name"] == "api"
    ]
    assert recorded, new.tail()

    print(
        f"\nupgrade from {sha[:12]}: the previous release made {len(objects)} objects with "
        f"{old_writes} Keycloak writes; after the switch the new controller made 0 writes, "
        f"(reconciles per kind: {reconciles}); the watch saw {len(seen)} CR versions "
        f"({status.relists} relists), no condition moved; {made_at - started:.1f}s to install "
        "and run the previous release, "
        f"{switched_at - made_at:.1f}s from its stop to the new controller settled"
    )
