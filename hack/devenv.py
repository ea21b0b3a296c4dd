"""`make dev`: the product running locally against real components.

Starts etcd, kube-apiserver and the canonical Keycloak, installs `crds/`,
stores the Keycloak admin credentials in a Secret, applies `deploy/samples/`,
then runs the controller in the foreground until Ctrl-C, and stops everything.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import yaml
from kubernetes import client as k8s

# The components come from the test support package, which is not installed:
# it lives in the checkout, beside this script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.config import REPO_ROOT, canonical_keycloak_version, kube_binaries
from tests.support.controlplane import (
    ControlPlane,
    ControlPlaneEndpoint,
    wait_for_default_namespace,
)
from tests.support.keycloak_server import KeycloakEndpoint, KeycloakServer
from tests.support.shared import testenv_root

ADMIN_SECRET_NAME = "keycloak-admin"  # noqa: S105 - the Secret's name, not a password
SAMPLES_NAMESPACE = "default"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def manifests(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name != "kustomization.yaml")


def kubectl(endpoint: ControlPlaneEndpoint, *args: str, stdin: str | None = None) -> None:
    command = [str(kube_binaries().kubectl), "--kubeconfig", endpoint.kubeconfig, *args]
    subprocess.run(command, check=True, timeout=120, input=stdin, text=True)


def samples_for(keycloak: KeycloakEndpoint, paths: list[Path]) -> str:
    """The samples, with the Keycloak URL pointed at the one this run started."""
    documents = []
    for path in paths:
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") == "Keycloak":
                document["spec"]["external"]["url"] = keycloak.base_url
            if document:
                documents.append(document)
    return yaml.safe_dump_all(documents)


def store_admin_secret(endpoint: ControlPlaneEndpoint, keycloak: KeycloakEndpoint) -> None:
    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    secret = k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name=ADMIN_SECRET_NAME, namespace=SAMPLES_NAMESPACE),
        data={"username": b64(keycloak.admin_username), "password": b64(keycloak.admin_password)},
    )
    k8s.CoreV1Api(endpoint.api_client()).create_namespaced_secret(SAMPLES_NAMESPACE, secret)


def controller_command(endpoint: ControlPlaneEndpoint) -> list[str] | None:
    """The controller's run command, once `keycloak-controller run` exists."""
    from keycloak_controller import cli

    if "run" not in cli.build_parser().format_help():
        return None
    return [
        sys.executable,
        "-m",
        "keycloak_controller.cli",
        "run",
        "--kubeconfig",
        endpoint.kubeconfig,
    ]


def main() -> int:
    workdir = testenv_root() / "dev"
    shutil.rmtree(workdir, ignore_errors=True)
    started = time.monotonic()

    plane = ControlPlane(workdir / "controlplane")
    keycloak = KeycloakServer(canonical_keycloak_version(), workdir / "keycloak")
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        say(f"starting etcd and kube-apiserver {kube_binaries().version}")
        endpoint = plane.start()
        wait_for_default_namespace(endpoint)
        say(f"starting Keycloak {keycloak.version} (logs: {workdir / 'keycloak'})")
        kc = keycloak.start()
        store_admin_secret(endpoint, kc)

        crds = manifests(REPO_ROOT / "crds")
        if crds:
            say(f"installing {len(crds)} CRDs from crds/")
            kubectl(endpoint, "apply", "--server-side", *[f"-f={p}" for p in crds])
            kubectl(
                endpoint, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"
            )
        samples = manifests(REPO_ROOT / "deploy" / "samples")
        if crds and samples:
            say(f"applying {len(samples)} samples from deploy/samples/")
            kubectl(
                endpoint,
                "apply",
                "-n",
                SAMPLES_NAMESPACE,
                "-f",
                "-",
                stdin=samples_for(kc, samples),
            )

        credentials = workdir / "keycloak-admin.env"
        credentials.write_text(
            f"KEYCLOAK_URL={kc.base_url}\nKEYCLOAK_ADMIN={kc.admin_username}\n"
            f"KEYCLOAK_ADMIN_PASSWORD={kc.admin_password}\n"
        )
        credentials.chmod(0o600)
        say(f"ready in {time.monotonic() - started:.0f}s")
        print(
            f"\n  export KUBECONFIG={endpoint.kubeconfig}\n"
            f"  kubectl get keycloak -A\n\n"
            f"  Keycloak admin console: {kc.base_url}/admin/ "
            f"(credentials in {credentials} and Secret {SAMPLES_NAMESPACE}/{ADMIN_SECRET_NAME})\n",
            flush=True,
        )

        command = controller_command(endpoint)
        if command is None:
            say("no `keycloak-controller run` yet; the environment stays up until Ctrl-C")
            while not stopping:
                time.sleep(0.5)
            return 0
        say("running the controller (Ctrl-C stops everything)")
        controller = subprocess.Popen(command, env=dict(os.environ, KUBECONFIG=endpoint.kubeconfig))
        while not stopping and controller.poll() is None:
            time.sleep(0.5)
        if controller.poll() is None:
            controller.send_signal(signal.SIGTERM)
            controller.wait(timeout=30)
        return controller.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        say("stopping Keycloak, kube-apiserver and etcd")
        keycloak.stop()
        plane.stop()


if __name__ == "__main__":
    sys.exit(main())
