"""Export benchmark: `keycloak-controller export` of a realm with many clients.

Run: .venv/bin/python bench/export_scale.py [--clients 2000] [--quick] [--shared-env]

Creates a realm with N confidential clients (each with a protocol mapper and a
client role, so every client costs the export its real reads), then times the
export of that realm into a directory, as the command does it (reads only, paged
client list). By default a private control plane and Keycloak are started (as
keycloak_bench.py does); --shared-env uses the Keycloak of
KEYCLOAK_CONTROLLER_TESTENV_RUN instead. The realm is deleted afterwards.
Prints one JSON line: clients, documents, seconds, Admin API requests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keycloak_bench import log, start_env

from keycloak_controller.export import bundle
from keycloak_controller.export.exporter import ExportOptions, export_realm
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.metrics import REQUESTS
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    RealmRepresentation,
    RoleRepresentation,
)
from keycloak_controller.keycloak.transport import TransportSettings
from tests.support.config import canonical_keycloak_version
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.shared import RUN_DIR_ENV, SharedEnvironment


@contextmanager
def keycloak(args: argparse.Namespace) -> Iterator[KeycloakEndpoint]:
    if args.shared_env:
        run_dir = os.environ.get(RUN_DIR_ENV)
        if not run_dir:
            raise SystemExit(f"--shared-env needs {RUN_DIR_ENV}")
        yield SharedEnvironment(Path(run_dir)).keycloak(canonical_keycloak_version())
        return
    workdir = Path(tempfile.mkdtemp(prefix="keycloak-controller-export-bench-"))
    log(f"starting a private control plane and Keycloak in {workdir}")
    env = start_env(workdir)
    try:
        yield env.kc
    finally:
        env.plane.stop()
        env.keycloak.stop()


def populate(admin: KeycloakAdmin, realm: str, count: int) -> None:
    admin.realms.create(RealmRepresentation(realm=realm, enabled=True))

    def one(i: int) -> None:
        uuid_ = admin.clients.create(
            realm,
            ClientRepresentation.model_validate(
                {
                    "clientId": f"app-{i:05d}",
                    "redirectUris": [f"https://app-{i}.example.test/*"],
                    "protocolMappers": [
                        {
                            "name": "aud",
                            "protocol": "openid-connect",
                            "protocolMapper": "oidc-audience-mapper",
                            "config": {"included.client.audience": f"app-{i:05d}"},
                        }
                    ],
                }
            ),
        )
        admin.roles.create(realm, RoleRepresentation(name="user"), client_uuid=uuid_)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(count)))


def requests_sent(instance: str) -> float:
    return sum(
        s.value
        for metric in REQUESTS.collect()
        for s in metric.samples
        if s.name.endswith("_total") and s.labels.get("instance") == instance
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="200 clients: a smoke run")
    parser.add_argument("--shared-env", action="store_true", help=f"use {RUN_DIR_ENV}")
    args = parser.parse_args()
    count = 200 if args.quick else args.clients
    realm = f"export-bench-{uuid.uuid4().hex[:6]}"
    settings = TransportSettings(read_timeout=180.0)
    with (
        keycloak(args) as kc,
        KeycloakAdmin.with_password(
            kc.base_url, kc.admin_username, kc.admin_password, settings=settings
        ) as admin,
    ):
        log(f"creating realm {realm} with {count} clients")
        populate(admin, realm, count)
        try:
            instance = admin.transport.instance
            before = requests_sent(instance)
            started = time.monotonic()
            result = export_realm(
                admin, realm, ExportOptions(namespace="bench"), bundle.Names(), log
            )
            with tempfile.TemporaryDirectory() as out:
                bundle.write_directory(Path(out), "bench", result.documents)
            seconds = time.monotonic() - started
            figure = {
                "benchmark": "export_scale",
                "clients": count,
                "documents": len(result.documents),
                "seconds": round(seconds, 2),
                "admin_api_requests": requests_sent(instance) - before,
            }
            print(json.dumps(figure))
        finally:
            admin.realms.delete(realm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
