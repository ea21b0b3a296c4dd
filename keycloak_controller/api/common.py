"""Types shared by the kinds: references, selectors, conditions, policies, metadata."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import MAX_LIST, MAX_NAME, SpecModel, StatusModel, cel, exactly_one, list_map, list_set
from .base import Rule as CelRule

GROUP = "keycloak-controller.dev"
VERSION = "v1alpha1"
ApiVersion = Literal["keycloak-controller.dev/v1alpha1"]
API_VERSION: ApiVersion = "keycloak-controller.dev/v1alpha1"

# DNS-1123 subdomain (Secret, ConfigMap and most object names).
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# DNS-1123 label (namespace names).
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

ObjectName = Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
NamespaceName = Annotated[str, Field(min_length=1, max_length=63, pattern=DNS_LABEL)]


# --- references ---------------------------------------------------------------


class NamespacedReference(SpecModel):
    """A reference to an object of this API, by name and optional namespace."""

    name: ObjectName = Field(description="Name of the referenced object.")
    namespace: NamespaceName | None = Field(
        default=None,
        description="Namespace of the referenced object. Unset: this object's own namespace.",
    )

    def namespace_or(self, own_namespace: str) -> str:
        return self.namespace or own_namespace


class KeycloakReference(NamespacedReference):
    """The Keycloak object (kind Keycloak) that serves this realm."""


class RealmReference(NamespacedReference):
    """The KeycloakRealm object this client belongs to."""


class SecretKeySelector(SpecModel):
    """A key of a Secret in this object's namespace."""

    name: ObjectName = Field(description="Name of the Secret, in this object's namespace.")
    key: str = Field(
        min_length=1,
        max_length=253,
        pattern=r"^[-._a-zA-Z0-9]+$",
        description="Key within the Secret's data.",
    )


class ConfigMapKeySelector(SpecModel):
    """A key of a ConfigMap in this object's namespace."""

    name: ObjectName = Field(description="Name of the ConfigMap, in this object's namespace.")
    key: str = Field(
        min_length=1,
        max_length=253,
        pattern=r"^[-._a-zA-Z0-9]+$",
        description="Key within the ConfigMap's data.",
    )


class CABundleSource(SpecModel):
    """PEM-encoded CA certificates, from exactly one of a Secret or a ConfigMap key."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                exactly_one("secretKeyRef", "configMapKeyRef"),
                "set exactly one of secretKeyRef or configMapKeyRef",
            )
        )
    )

    secret_key_ref: SecretKeySelector | None = Field(
        default=None, description="A Secret key holding the PEM bundle."
    )
    config_map_key_ref: ConfigMapKeySelector | None = Field(
        default=None, description="A ConfigMap key holding the PEM bundle."
    )


# --- label selectors and namespace selection --------------------------------------


class SelectorOperator(enum.StrEnum):
    """How a label selector requirement compares the label's value."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


class LabelSelectorRequirement(SpecModel):
    """A label selector requirement (metav1.LabelSelectorRequirement)."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0)"
                " : (!has(self.values) || size(self.values) == 0)",
                "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist",
            )
        )
    )

    key: str = Field(min_length=1, max_length=317, description="The label key.")
    operator: SelectorOperator = Field(description="In, NotIn, Exists or DoesNotExist.")
    values: list[Annotated[str, Field(max_length=63)]] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Values for In and NotIn; empty for Exists and DoesNotExist.",
    )

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator is SelectorOperator.IN:
            return present and labels[self.key] in self.values
        if self.operator is SelectorOperator.NOT_IN:
            return not present or labels[self.key] not in self.values
        if self.operator is SelectorOperator.EXISTS:
            return present
        return not present


class LabelSelector(SpecModel):
    """A label selector (metav1.LabelSelector). An empty selector matches everything."""

    match_labels: dict[str, Annotated[str, Field(max_length=63)]] = Field(
        default_factory=dict,
        description="Labels that must all be present with these values.",
    )
    match_expressions: list[LabelSelectorRequirement] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Requirements that must all hold.",
    )

    def matches(self, labels: Mapping[str, str]) -> bool:
        if any(labels.get(k) != v for k, v in self.match_labels.items()):
            return False
        return all(r.matches(labels) for r in self.match_expressions)


class NamespaceSelection(SpecModel):
    """Namespaces chosen by name and/or by label; a namespace matching either is selected."""

    namespaces: list[NamespaceName] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Namespaces selected by name.",
        json_schema_extra=list_set(),
    )
    namespace_selector: LabelSelector | None = Field(
        default=None,
        description=(
            "Namespaces selected by their labels. An empty selector ({}) selects every namespace."
        ),
    )

    def matches(self, namespace: str, labels: Mapping[str, str]) -> bool:
        if self.namespaces and namespace in self.namespaces:
            return True
        return self.namespace_selector is not None and self.namespace_selector.matches(labels)

    @property
    def needs_labels(self) -> bool:
        """Whether matching needs the namespace's labels (i.e. a Namespace read)."""
        return self.namespace_selector is not None


# --- policies ---------------------------------------------------------------------


class DeletionPolicy(enum.StrEnum):
    """What happens to the Keycloak object when this custom resource is deleted."""

    DELETE = "Delete"
    RETAIN = "Retain"


class ManagementPolicy(enum.StrEnum):
    """How far the controller manages the Keycloak object."""

    MANAGE = "Manage"
    OBSERVE = "Observe"


class ManagedObjectSpec(SpecModel):
    """Fields every kind that owns a Keycloak object carries."""

    deletion_policy: DeletionPolicy = Field(
        default=DeletionPolicy.DELETE,
        description=(
            "Delete: the Keycloak object is deleted with this resource, if this resource owns "
            "it. Retain: it is left in Keycloak."
        ),
    )
    management_policy: ManagementPolicy = Field(
        default=ManagementPolicy.MANAGE,
        description=(
            "Manage: create the object, correct drift and delete it per deletionPolicy. "
            "Observe: read only; never writes to Keycloak; the InSync condition lists the "
            "differing field paths."
        ),
    )
    adopt_existing: bool = Field(
        default=False,
        description=(
            "Adopt an object that already exists in Keycloak and that no other resource owns. "
            "Adoption itself writes nothing: an object (or listed child) that matches the "
            "spec is left as it is, and this resource's ownership stamp rides along with the "
            "first write it needs. Until then, of two resources of one kind for the same "
            "object the one created first keeps it (the other: OwnershipConflict). A "
            "KeycloakRealm records the children it adopted in status.adopted, so one removed "
            "from the spec is deleted (which lists: docs/adopting.md). When false, such an "
            "object is left untouched and Ready is False with reason OwnershipConflict."
        ),
    )


# --- conditions and status --------------------------------------------------------

ConditionStatus = Literal["True", "False", "Unknown"]


class StatusCondition(StatusModel):
    """One aspect of the object's state (metav1.Condition)."""

    type: str = Field(
        max_length=316,
        pattern=(
            r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
        ),
        description="Type of condition in CamelCase, e.g. Ready, Reconciling or Stalled.",
    )
    status: ConditionStatus = Field(description="True, False or Unknown.")
    observed_generation: int | None = Field(
        default=None,
        ge=0,
        description="The metadata.generation that the condition was set for.",
        json_schema_extra={"format": "int64"},
    )
    last_transition_time: dt.datetime = Field(
        description="When the condition last changed status.",
    )
    reason: str = Field(
        min_length=1,
        max_length=1024,
        pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        description="Why the condition is in this state: a CamelCase word.",
    )
    message: str = Field(
        max_length=32768, description="A human-readable explanation with what to do next."
    )


class ResourceStatus(StatusModel):
    """Status fields every kind carries."""

    observed_generation: int | None = Field(
        default=None,
        ge=0,
        description="The metadata.generation that the controller last processed.",
        json_schema_extra={"format": "int64"},
    )
    conditions: list[StatusCondition] = Field(
        default_factory=list,
        max_length=32,
        description=(
            "Ready is always present; Reconciling and Stalled are present only when True."
        ),
        json_schema_extra=list_map("type"),
    )

    def condition(self, type_: str) -> StatusCondition | None:
        return next((c for c in self.conditions if c.type == type_), None)

    def is_ready(self, generation: int | None = None) -> bool:
        """Ready=True, and for `generation` when one is given."""
        ready = self.condition("Ready")
        if ready is None or ready.status != "True":
            return False
        return generation is None or ready.observed_generation == generation


# --- the object envelope ------------------------------------------------------------


class ObjectMeta(BaseModel):
    """The metadata fields the controller reads; everything else is kept as is."""

    model_config = ConfigDict(
        alias_generator=None, serialize_by_alias=True, extra="allow", validate_by_name=True
    )

    name: str = ""
    namespace: str = ""
    uid: str = ""
    generation: int = 0
    resource_version: str = Field(default="", alias="resourceVersion")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    finalizers: list[str] = Field(default_factory=list)
    deletion_timestamp: dt.datetime | None = Field(default=None, alias="deletionTimestamp")


class ResourceNames(BaseModel):
    """How a kind is named to the apiserver and to kubectl."""

    model_config = ConfigDict(frozen=True)

    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    categories: tuple[str, ...] = ("keycloak",)


class PrinterColumn(BaseModel):
    """An additionalPrinterColumns entry."""

    model_config = ConfigDict(frozen=True)

    name: str
    json_path: str
    type: str = "string"
    description: str = ""
    priority: int = 0


READY_COLUMNS: tuple[PrinterColumn, ...] = (
    PrinterColumn(
        name="Ready",
        json_path='.status.conditions[?(@.type=="Ready")].status',
        description="Whether the object is in sync with Keycloak.",
    ),
    PrinterColumn(
        name="Reason",
        json_path='.status.conditions[?(@.type=="Ready")].reason',
        description="Why the object is (not) Ready.",
    ),
)
TRAILING_COLUMNS: tuple[PrinterColumn, ...] = (
    PrinterColumn(
        name="Age",
        json_path=".metadata.creationTimestamp",
        type="date",
        description="Time since the object was created.",
    ),
    PrinterColumn(
        name="Message",
        json_path='.status.conditions[?(@.type=="Ready")].message',
        description="What to do next, when not Ready.",
        priority=1,
    ),
)


class CustomResource(BaseModel):
    """The envelope of a custom object as the apiserver returns it.

    `Kind.model_validate(obj)` parses a dict from the kubernetes client;
    `model_dump(mode="json", exclude_none=True)` gives a dict to send back.
    """

    model_config = ConfigDict(
        alias_generator=None, serialize_by_alias=True, validate_by_name=True, extra="allow"
    )

    names: ClassVar[ResourceNames]
    printer_columns: ClassVar[tuple[PrinterColumn, ...]]

    api_version: ApiVersion = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)

    @classmethod
    def spec_model(cls) -> type[SpecModel]:
        annotation: Any = cls.model_fields["spec"].annotation
        return annotation  # type: ignore[no-any-return]

    @classmethod
    def status_model(cls) -> type[ResourceStatus]:
        annotation: Any = cls.model_fields["status"].annotation
        return annotation  # type: ignore[no-any-return]


__all__ = [
    "API_VERSION",
    "GROUP",
    "MAX_NAME",
    "VERSION",
    "CABundleSource",
    "ConfigMapKeySelector",
    "CustomResource",
    "DeletionPolicy",
    "KeycloakReference",
    "LabelSelector",
    "LabelSelectorRequirement",
    "ManagedObjectSpec",
    "ManagementPolicy",
    "NamespaceSelection",
    "NamespacedReference",
    "ObjectMeta",
    "PrinterColumn",
    "RealmReference",
    "ResourceNames",
    "ResourceStatus",
    "SecretKeySelector",
    "StatusCondition",
]
