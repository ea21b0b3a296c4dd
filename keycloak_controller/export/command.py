"""`keycloak-controller export`: where the admin login comes from, and where the YAML goes.

Credentials, in order: --credentials-file (two lines, or `username=`/`password=`
lines), --credentials-secret NAMESPACE/NAME (keys username and password, read with
the current kubeconfig), else KEYCLOAK_ADMIN_USERNAME / KEYCLOAK_ADMIN_PASSWORD. The
password is wrapped in `Secret` at once and never printed.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from pathlib import Path

from keycloak_controller.keycloak.auth import PasswordCredentials
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import KeycloakError
from keycloak_controller.keycloak.secrets import Secret

from . import bundle
from .exporter import ExportOptions, export_realm

ENV_USERNAME = "KEYCLOAK_ADMIN_USERNAME"
ENV_PASSWORD = "KEYCLOAK_ADMIN_PASSWORD"  # noqa: S105 - a variable name


class CredentialsError(Exception):
    """No usable admin login (the message never holds a value)."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="write an existing realm as KeycloakRealm/KeycloakClient/KeycloakUser manifests",
        description="Export realms as manifests (reads only; secret values are never written).",
    )
    export.add_argument(
        "--url", default=os.environ.get("KEYCLOAK_URL"), help="Keycloak base URL (or $KEYCLOAK_URL)"
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--realm", action="append", help="a realm to export (repeatable)")
    which.add_argument("--all-realms", action="store_true", help="every realm but master")
    export.add_argument("--namespace", default="default", help="namespace of the objects")
    export.add_argument("--keycloak-name", default="keycloak", help="name of the Keycloak object")
    export.add_argument("--output", type=Path, help="directory to write; unset: YAML on stdout")
    export.add_argument("--include-builtin-clients", action="store_true")
    export.add_argument("--users", action="store_true", help="also export KeycloakUsers")
    export.add_argument("--adopt", action="store_true", help="mark every object adoptExisting")
    export.add_argument("--credentials-file", type=Path)
    export.add_argument("--credentials-secret", help="NAMESPACE/NAME of a Secret")
    export.add_argument("--kubeconfig", help="kubeconfig for --credentials-secret")


def credentials(args: argparse.Namespace) -> PasswordCredentials:
    if args.credentials_file is not None:
        lines = [
            line.strip() for line in args.credentials_file.read_text().splitlines() if line.strip()
        ]
        pairs = dict(line.split("=", 1) for line in lines if "=" in line)
        username = pairs.get("username") or (lines[0] if len(lines) >= 2 else None)
        password = pairs.get("password") or (lines[1] if len(lines) >= 2 else None)
        if not username or not password:
            raise CredentialsError(f"{args.credentials_file}: expected a username and a password")
        return PasswordCredentials(username, Secret(password))
    if args.credentials_secret:
        namespace, _, name = args.credentials_secret.partition("/")
        if not name:
            raise CredentialsError("--credentials-secret: expected NAMESPACE/NAME")
        from kubernetes import client as k8s
        from kubernetes import config as kube_config

        kube_config.load_kube_config(args.kubeconfig)  # type: ignore[no-untyped-call]
        data = k8s.CoreV1Api().read_namespaced_secret(name, namespace).data or {}
        if "username" not in data or "password" not in data:
            raise CredentialsError(f"Secret {namespace}/{name}: needs keys username and password")
        return PasswordCredentials(
            base64.b64decode(data["username"]).decode(),
            Secret(base64.b64decode(data["password"]).decode()),
        )
    username, password = os.environ.get(ENV_USERNAME), os.environ.get(ENV_PASSWORD)
    if not username or not password:
        raise CredentialsError(
            f"no admin login: set {ENV_USERNAME} and {ENV_PASSWORD}, --credentials-file or "
            "--credentials-secret"
        )
    return PasswordCredentials(username, Secret(password))


def run(args: argparse.Namespace) -> int:
    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if not args.url:
        progress("export: --url (or KEYCLOAK_URL) is required")
        return 2
    try:
        login = credentials(args)
    except CredentialsError as error:
        progress(f"export: {error}")
        return 2
    options = ExportOptions(
        namespace=args.namespace,
        keycloak_name=args.keycloak_name,
        include_builtin_clients=args.include_builtin_clients,
        include_users=args.users,
        adopt=args.adopt,
    )
    try:
        with KeycloakAdmin(args.url, login) as admin:
            realms = args.realm or sorted(
                r.realm for r in admin.realms.list() if r.realm and r.realm != "master"
            )
            secret = bundle.object_name(options.keycloak_name, "admin")
            documents = [
                bundle.keycloak_document(options.keycloak_name, options.namespace, args.url, secret)
            ]
            documents += bundle.secret_documents(
                options.namespace,
                [
                    bundle.SecretStub(secret, "username", "an admin username"),
                    bundle.SecretStub(secret, "password", "its password"),
                ],
            )
            names = bundle.Names()
            for realm in realms:
                documents += export_realm(admin, realm, options, names, progress).documents
    except KeycloakError as error:
        # The transport's messages name the request, never a credential.
        progress(f"export: {error}")
        return 1
    if args.output is None:
        sys.stdout.write(bundle.render_stream(documents))
    else:
        bundle.write_directory(args.output, options.namespace, documents)
        progress(f"export: wrote {len(documents)} objects and kustomization.yaml to {args.output}")
    return 0
