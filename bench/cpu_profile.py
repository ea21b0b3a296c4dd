"""The controller's own CPU per reconciled client, and where it goes.

Run (against the shared test environment, or any run dir tests/support made):

    export KEYCLOAK_CONTROLLER_TESTENV_RUN=... KEYCLOAK_CONTROLLER_TESTENV_DIR=...
    .venv/bin/python bench/cpu_profile.py [--clients 200] [--profile] [--top 30]
    .venv/bin/python bench/cpu_profile.py --per-request   # no environment needed

Runs the controllers in-process (as the deploy/default ServiceAccount, logging
JSON at info level like the CLI, to /dev/null), makes one Ready realm, then
creates N confidential KeycloakClients (the cold-convergence bench's spec) and
waits until every one is Ready and the queues are idle and the Events sent.

CPU is counted for the controller's threads only: the process's CPU time minus
the main thread's (which creates the CRs and polls for Ready). That moves far
less with load than wall-clock time, but still by some 10 % on a busy shared
machine; the call count of `--profile` is steadier. It also counts the
apiserver and Keycloak requests the controller made per client.

`--profile` runs every controller thread under its own cProfile and prints the
merged top functions by own time and by cumulative time. The profiler roughly
quadruples the CPU, so the CPU figure of a profiled run is not comparable with an
unprofiled one; compare unprofiled runs for before/after.

`--per-request` times each HTTP layer's own CPU per request with the wire
stubbed out (see `per_request_overhead`).

The namespace, its CRs and the Keycloak realm are removed at the end.
See docs/performance.md, "Controller CPU per client", for the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import sys
import threading
import time
import timeit
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from kubernetes import client as k8s

# tests.support (the real components) is not installed; it lives in the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.transport import KeycloakTransport
from keycloak_controller.runtime import logging as runtime_logging
from keycloak_controller.runtime.kubeapi import KubeApi
from tests.support.config import canonical_keycloak_version
from tests.support.controller_harness import (
    GROUP_VERSION,
    Kube,
    client_object,
    controller_run,
    create_ready_realm,
    wait_idle,
)
from tests.support.crds import install_crds
from tests.support.shared import RUN_DIR_ENV, SharedEnvironment

# --- request counters ----------------------------------------------------------------

KUBE_REQUESTS: Counter[str] = Counter()
KEYCLOAK_REQUESTS: Counter[str] = Counter()
_count_lock = threading.Lock()


def _count_requests() -> None:
    """Wrap the two senders so the run can say how many requests a client cost."""
    kube_send = KubeApi._send
    kc_send = KeycloakTransport._send

    def counted_kube(self: KubeApi, method: str, path: str, **kwargs: Any) -> Any:
        # /api(s)/.../namespaces/<ns>/<plural>[/<name>[/status]]
        parts = path.strip("/").split("/")
        what = parts[parts.index("namespaces") + 2] if "namespaces" in parts[:-2] else path
        if parts[-1] == "status":
            what += "/status"
        with _count_lock:
            KUBE_REQUESTS[f"{method} {what}"] += 1
        return kube_send(self, method, path, **kwargs)

    def counted_kc(self: KeycloakTransport, method: str, *args: Any, **kwargs: Any) -> Any:
        with _count_lock:
            KEYCLOAK_REQUESTS[method] += 1
        return kc_send(self, method, *args, **kwargs)

    KubeApi._send = counted_kube  # type: ignore[method-assign]
    KeycloakTransport._send = counted_kc  # type: ignore[method-assign]


# --- per-thread profiles ---------------------------------------------------------------

PROFILES: list[cProfile.Profile] = []
_measuring = False
_local = threading.local()


def _measured_cpu() -> float:
    """The profilers' clock: this thread's CPU time since measuring began, 0 before.

    cProfile sees only the thread that enabled it, so each thread runs under a
    profiler of its own from its start; this clock keeps the realm's setup (and
    waits, which cost no CPU) out of the times. The listed call counts include the
    setup; the calls per client do not."""
    if not _measuring:
        return 0.0
    base = getattr(_local, "base", None)
    if base is None:
        base = _local.base = time.thread_time()
    return time.thread_time() - base


def _profile_threads() -> None:
    original = threading.Thread.run

    def run(self: threading.Thread) -> None:
        profile = cProfile.Profile(_measured_cpu)
        PROFILES.append(profile)
        profile.runcall(original, self)

    threading.Thread.run = run  # type: ignore[method-assign]


def _set_measuring(on: bool) -> None:
    global _measuring
    _measuring = on


def _calls(profile: cProfile.Profile) -> int:
    return sum(entry.callcount for entry in profile.getstats())


class _Snapshot:
    """What pstats.Stats reads, taken from a profiler that is still running in its
    own thread (`create_stats` would disable it, and only in the calling thread)."""

    def __init__(self, profile: cProfile.Profile) -> None:
        # Counted from the raw entries: pstats keys functions by file, line and name,
        # so generated functions that share them (dataclass __init__s) overwrite
        # each other there.
        self.calls = _calls(profile)
        profile.snapshot_stats()
        self.stats = profile.stats

    def create_stats(self) -> None:
        pass


def merged(snapshots: list[_Snapshot], out: io.StringIO) -> pstats.Stats | None:
    live = [s for s in snapshots if s.stats]
    if not live:
        return None
    stats = pstats.Stats(live[0], stream=out)  # type: ignore[arg-type]
    for snapshot in live[1:]:
        stats.add(snapshot)  # type: ignore[arg-type]
    return stats


def report(stats: pstats.Stats, out: io.StringIO, top: int, dump: Path | None) -> str:
    if dump is not None:
        stats.dump_stats(dump)  # for pstats' browser: python -m pstats FILE
    stats.strip_dirs()
    for key in ("tottime", "cumulative"):
        out.write(f"\n=== top {top} by {key} ===\n")
        stats.sort_stats(key).print_stats(top)
    return out.getvalue()


# --- per request, above the wire -------------------------------------------------------


def per_request_overhead() -> None:
    """Each HTTP layer's own CPU per request with the wire stubbed out: the pool (or
    the requests adapter) answers at once, so only this code and the libraries above
    the socket run. Best of several repeats, so load shows less than in a full run."""
    import requests as rq

    from keycloak_controller.keycloak.auth import PasswordCredentials
    from keycloak_controller.keycloak.secrets import Secret

    class Answer:
        status, reason, data = 200, "OK", b'{"metadata": {"name": "n"}}'

        def release_conn(self) -> None:
            pass

    config = k8s.Configuration()
    config.host = "https://apiserver"
    config.api_key = {"BearerToken": "t"}
    api_client = k8s.ApiClient(config)
    pool: Any = api_client.rest_client.pool_manager
    pool.urlopen = pool.request = lambda *a, **k: Answer()
    kube = KubeApi(api_client)
    status = {"metadata": {"resourceVersion": "1"}, "status": {"observedGeneration": 1}}

    class Adapter(rq.adapters.BaseAdapter):
        def send(self, request: Any, **kwargs: Any) -> rq.Response:  # type: ignore[override]
            response = rq.Response()
            response.status_code, response._content = 200, b"[]"
            response.request, response.url = request, request.url
            return response

        def close(self) -> None:
            pass

    transport = KeycloakTransport("http://keycloak", PasswordCredentials("a", Secret("b")))
    transport.session.mount("http://", Adapter())
    transport.tokens.access_token = lambda: Secret("token")  # type: ignore[method-assign]
    transport.rate.acquire = lambda: None  # type: ignore[method-assign]
    # The adapter's response has no raw socket to read cookies from.
    import requests.sessions

    requests.sessions.extract_cookies_to_jar = lambda *a, **k: None
    params = {"clientId": "a", "first": 0, "max": 20}

    def best(call: Any, number: int = 1000) -> float:
        return (
            1e6
            * min(timeit.repeat(call, number=number, repeat=7, timer=time.process_time))
            / number
        )

    rows = {
        "apiserver GET": lambda: kube.get("/api/v1/namespaces/n/secrets/s"),
        "apiserver PATCH status": lambda: kube.request(
            "PATCH",
            "/apis/g/v1/namespaces/n/x/y/status",
            body=status,
            content_type="application/merge-patch+json",
        ),
        "Keycloak GET": lambda: transport.request_json(
            "GET", "/admin/realms/r/clients", params=params
        ),
        "Keycloak POST (audited)": lambda: transport.request(
            "POST", "/admin/realms/r/clients", json={"clientId": "a"}
        ),
    }
    for name, call in rows.items():
        print(f"{name:26s} {best(call):7.1f} us of CPU above the wire")


# --- the run ---------------------------------------------------------------------------


def controller_cpu() -> float:
    """CPU seconds of every thread but this (main) one, finished threads included."""
    return time.process_time() - time.thread_time()


def ready(obj: dict[str, Any]) -> bool:
    generation = obj["metadata"].get("generation")
    status = obj.get("status") or {}
    return status.get("observedGeneration") == generation and any(
        c["type"] == "Ready" and c["status"] == "True" and c.get("observedGeneration") == generation
        for c in status.get("conditions") or []
    )


def count_ready(custom: k8s.CustomObjectsApi, namespace: str) -> int:
    listed: Any = custom.list_namespaced_custom_object(*GROUP_VERSION, namespace, "keycloakclients")
    return sum(1 for obj in listed["items"] if ready(obj))


def cleanup(kube: Kube, namespace: str, admin: KeycloakAdmin, realm: str) -> None:
    """Drop the finalizers (the controllers are stopped) and delete what the run made.

    Objects are deleted one kind at a time: a control plane without a namespace
    controller (the test environment's) never empties a deleted namespace."""
    for plural in ("keycloakclients", "keycloakrealms", "keycloaks"):
        listed: Any = kube.custom.list_namespaced_custom_object(*GROUP_VERSION, namespace, plural)
        for obj in listed["items"]:
            if obj["metadata"].get("finalizers"):
                name = obj["metadata"]["name"]
                kube.patch(plural, namespace, name, {"metadata": {"finalizers": None}})
        kube.custom.delete_collection_namespaced_custom_object(*GROUP_VERSION, namespace, plural)
    kube.core.delete_collection_namespaced_secret(namespace)
    kube.core.delete_collection_namespaced_event(namespace)
    kube.core.delete_namespace(namespace)
    for attempt in range(5):
        try:
            admin.realms.delete(realm)
            return
        except Exception as error:  # a loaded Keycloak can take a while
            if "404" in str(error) or attempt == 4:
                print(f"realm {realm}: {error}", file=sys.stderr)
                return
            time.sleep(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile every controller thread")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", type=Path, help="with --profile: write the merged stats here")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--per-request",
        action="store_true",
        help="only time each HTTP layer per request with the wire stubbed (no environment)",
    )
    args = parser.parse_args(argv)
    if args.per_request:
        sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
        runtime_logging.configure(logging.INFO, sink, log_format="json")
        per_request_overhead()
        return 0

    env = SharedEnvironment(Path(os.environ[RUN_DIR_ENV]))
    endpoint = env.control_plane()
    keycloak = env.keycloak(canonical_keycloak_version())
    install_crds(endpoint)
    # As the CLI does: JSON at info level (audit records included), here to /dev/null.
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    runtime_logging.configure(logging.INFO, sink, log_format="json")
    _count_requests()
    if args.profile:
        _profile_threads()

    kube = Kube(endpoint)
    suffix = uuid.uuid4().hex[:8]
    namespace = kube.namespace(f"cpu-profile-{suffix}")
    realm_name = f"cpu-profile-{suffix}"
    admin = KeycloakAdmin.with_password(
        keycloak.base_url, keycloak.admin_username, keycloak.admin_password
    )
    try:
        with controller_run(endpoint, [namespace]) as run:
            create_ready_realm(kube, namespace, keycloak, realm_name, timeout=120)
            wait_idle(run.manager, 60)
            run.controllers.context.events.flush()
            KUBE_REQUESTS.clear()
            KEYCLOAK_REQUESTS.clear()
            _set_measuring(True)
            calls_before = sum(_calls(p) for p in list(PROFILES))
            cpu_before = controller_cpu()
            wall_before = time.monotonic()
            for i in range(args.clients):
                body = client_object(
                    f"app-{i}",
                    "realm",
                    f"app-{i}",
                    accessType="Confidential",
                    redirectUris=[f"https://app-{i}.example.com/callback"],
                )
                kube.create("keycloakclients", namespace, body)
            deadline = time.monotonic() + args.timeout
            while count_ready(kube.custom, namespace) < args.clients:
                if time.monotonic() > deadline:
                    raise TimeoutError("not every client became Ready")
                time.sleep(0.5)
            wall = time.monotonic() - wall_before
            wait_idle(run.manager, 60)
            run.controllers.context.events.flush()
            cpu = controller_cpu() - cpu_before
            # Taken while the clocks still run: stopping them first would give the
            # calls in progress negative times.
            snapshots = [_Snapshot(p) for p in list(PROFILES)] if args.profile else []
            _set_measuring(False)
            kube_requests, keycloak_requests = dict(KUBE_REQUESTS), dict(KEYCLOAK_REQUESTS)
    finally:
        cleanup(kube, namespace, admin, realm_name)
        admin.close()

    n = args.clients
    print(
        f"clients: {n}, wall {wall:.1f} s (load-dependent), load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"controller CPU: {cpu:.2f} s = {1000 * cpu / n:.2f} ms per client"
        + (" (profiled: not comparable)" if args.profile else "")
    )
    print(
        f"apiserver requests per client: {sum(kube_requests.values()) / n:.2f} "
        + ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(kube_requests.items()))
    )
    print(
        f"Keycloak requests per client: {sum(keycloak_requests.values()) / n:.2f} "
        + ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(keycloak_requests.items()))
    )
    if args.profile:
        out = io.StringIO()
        stats = merged(snapshots, out)
        if stats is None:
            print("(no profile data)")
            return 1
        # Deterministic where CPU seconds are not: on a loaded machine the same run
        # varies by a third in CPU time, hardly at all in calls.
        calls = sum(s.calls for s in snapshots) - calls_before
        print(f"Python function calls per client: {calls / n:.0f}")
        print(report(stats, out, args.top, args.dump))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
