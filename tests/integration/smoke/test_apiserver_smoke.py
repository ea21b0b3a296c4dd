"""The real kube-apiserver serves a CRD, stores a custom object and watches it."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable

from kubernetes import client as k8s
from kubernetes import watch

from tests.support.config import kube_binaries, pinned_versions
from tests.support.controlplane import ControlPlaneEndpoint

GROUP = "smoke.keycloak-controller.dev"


def _crd(plural: str) -> dict[str, object]:
    kind = plural.capitalize().replace("-", "")
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "plural": plural,
                "singular": plural,
                "kind": kind,
                "listKind": f"{kind}List",
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"colour": {"type": "string"}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def _wait_established(api: k8s.ApiextensionsV1Api, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        crd = api.read_custom_resource_definition(name)
        conditions = crd.status.conditions or []
        if any(c.type == "Established" and c.status == "True" for c in conditions):
            return
        time.sleep(0.1)
    raise AssertionError(f"CRD {name} never became Established")


def test_custom_object_arrives_on_a_watch(
    control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    api_client = control_plane.api_client()
    plural = unique_name("widgets").replace("-", "")
    crd = k8s.ApiextensionsV1Api(api_client)
    crd.create_custom_resource_definition(_crd(plural))
    try:
        _wait_established(crd, f"{plural}.{GROUP}")
        custom = k8s.CustomObjectsApi(api_client)
        listed = custom.list_namespaced_custom_object(GROUP, "v1", "default", plural)
        assert listed["items"] == []

        name = unique_name("w")
        custom.create_namespaced_custom_object(
            GROUP,
            "v1",
            "default",
            plural,
            {
                "apiVersion": f"{GROUP}/v1",
                "kind": plural.capitalize(),
                "metadata": {"name": name},
                "spec": {"colour": "teal"},
            },
        )

        seen = None
        stream = watch.Watch().stream(
            custom.list_namespaced_custom_object,
            GROUP,
            "v1",
            "default",
            plural,
            resource_version=listed["metadata"]["resourceVersion"],
            timeout_seconds=30,
        )
        for event in stream:
            seen = event
            break
        assert seen is not None
        assert seen["type"] == "ADDED"
        assert seen["object"]["metadata"]["name"] == name
        assert seen["object"]["spec"] == {"colour": "teal"}
    finally:
        crd.delete_custom_resource_definition(f"{plural}.{GROUP}")


def test_server_reports_the_pinned_release(control_plane: ControlPlaneEndpoint) -> None:
    info = k8s.VersionApi(control_plane.api_client()).get_code()
    assert info.git_version == pinned_versions()["KUBERNETES_VERSION"]

    out = subprocess.run(
        [
            str(kube_binaries().kubectl),
            "--kubeconfig",
            control_plane.kubeconfig,
            "version",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    versions = json.loads(out.stdout)
    assert versions["serverVersion"]["gitVersion"] == info.git_version
    assert versions["clientVersion"]["gitVersion"] == info.git_version


def test_rbac_is_enforced(
    control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    """A ServiceAccount with no bindings is denied; the admin is allowed."""
    core = k8s.CoreV1Api(control_plane.api_client())
    namespace = unique_name("rbac")
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    core.create_namespaced_service_account(
        namespace, k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name="nobody"))
    )
    authz = k8s.AuthorizationV1Api(control_plane.api_client())

    def allowed(user: str, groups: list[str]) -> bool:
        review = authz.create_subject_access_review(
            k8s.V1SubjectAccessReview(
                spec=k8s.V1SubjectAccessReviewSpec(
                    user=user,
                    groups=groups,
                    resource_attributes=k8s.V1ResourceAttributes(
                        namespace=namespace, verb="get", resource="secrets"
                    ),
                )
            )
        )
        return bool(review.status.allowed)

    assert not allowed(f"system:serviceaccount:{namespace}:nobody", ["system:serviceaccounts"])
    assert allowed("admin", ["system:masters"])
