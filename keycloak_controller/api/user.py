"""`KeycloakUser`: one user in a realm, with its password taken from a Secret.

Layers, as for the other kinds: placement (`realmRef`), identity (`username`,
immutable), Kubernetes integrations (the password Secret) and typed settings:
the profile, then access (roles, groups, identity-provider links).

Every list or map field states its removal policy in its description, one of
the three that the generic child-set planner implements:
- authoritative: what is not listed is removed;
- additive: the listed entries are kept equal, others are left alone;
- unset (null): not managed at all.

The password is never stored outside its Secret. `status.password` records
where it was last set from and a slow salted digest of it (see
`password_digest`), so the controller can tell that a Managed password must be
set again without keeping the password.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from .base import (
    MAX_LIST,
    MAX_NAME,
    MAX_TEXT,
    SpecModel,
    StatusModel,
    cel,
    immutable,
    list_map,
    list_set,
)
from .base import Rule as CelRule
from .common import (
    READY_COLUMNS,
    TRAILING_COLUMNS,
    CustomResource,
    ManagedObjectSpec,
    PrinterColumn,
    RealmReference,
    ResourceNames,
    ResourceStatus,
    SecretKeySelector,
)
from .roles import RoleName

ShortText = Annotated[str, Field(max_length=MAX_NAME)]
# A group path as Keycloak shows it: "/parent/child" (a "/" inside a group name
# is written "~/" by Keycloak 26; earlier versions cannot address such groups).
GroupPath = Annotated[str, Field(min_length=2, max_length=MAX_TEXT, pattern=r"^/[^/]+(/[^/]+)*$")]
RequiredAction = Annotated[
    str, Field(min_length=1, max_length=MAX_NAME, pattern=r"^[A-Za-z0-9_.-]+$")
]
AttributeValue = Annotated[str, Field(max_length=MAX_TEXT)]


def _with_rules(extra: dict[str, Any], *rules: CelRule) -> dict[str, Any]:
    """`extra` (from a helper such as `immutable`) with more CEL rules."""
    validations = [*extra["x-kubernetes-validations"], *(r.to_schema() for r in rules)]
    return {**extra, "x-kubernetes-validations": validations}


class PasswordMode(enum.StrEnum):
    """When the controller sets the password from the Secret."""

    INITIAL = "Initial"
    MANAGED = "Managed"


class UserPassword(SpecModel):
    """The user's password, read from a Secret key in this namespace."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "!(self.mode == 'Managed' && self.temporary)",
                "a temporary password is replaced by the user at the first login, so it cannot "
                "be kept equal to the Secret; use mode: Initial with temporary: true",
                field_path=".temporary",
            )
        )
    )

    secret_ref: SecretKeySelector = Field(
        description=(
            "The Secret key that holds the password. The value is sent to Keycloak and never "
            "copied anywhere else (not into status, Events or logs)."
        )
    )
    mode: PasswordMode = Field(
        default=PasswordMode.INITIAL,
        description=(
            "Initial: the password is set once, when the controller creates the user; later "
            "changes (by the user, an admin, or in the Secret) are left alone. Managed: the "
            "password is kept equal to the Secret: it is set again whenever the Secret's value "
            "changes, and when it was changed in Keycloak by anyone else (the user included). "
            "Use Managed for service and test accounts, Initial for people."
        ),
    )
    temporary: bool = Field(
        default=False,
        description=(
            "The user must choose a new password at the next login: Keycloak adds "
            "UPDATE_PASSWORD to the user's required actions (when spec.requiredActions is set, "
            "list it there too, or it is removed). Only with mode: Initial."
        ),
    )


class FederatedIdentity(SpecModel):
    """A link between this user and their account at an identity provider."""

    identity_provider: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The alias of the realm's identity provider, e.g. corporate-oidc.",
    )
    user_id: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The user's id at the identity provider (the 'sub' claim for OIDC).",
    )
    user_name: str = Field(
        min_length=1, max_length=MAX_NAME, description="The user's name at the identity provider."
    )


class KeycloakUserSpec(ManagedObjectSpec):
    """The desired user. Unset fields are left as Keycloak has them."""

    realm_ref: RealmReference = Field(
        description=(
            "The KeycloakRealm this user belongs to. Immutable. A realm in another namespace "
            "must grant this namespace in its spec.clientAuthorizationGrants, and admin roles "
            "(realm-management client roles) need a grant with allowAdminRoles, as for a "
            "KeycloakClient's service account."
        ),
        json_schema_extra=immutable("realmRef"),
    )
    username: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        # Keycloak refuses a NUL in any query parameter (HTTP 400), so a user named with
        # one could be neither found, created nor deleted: refused here.
        pattern=r"^[^\x00]+$",
        description=(
            "The user's username in Keycloak. Immutable. Keycloak stores usernames in lower "
            "case, so uppercase letters are refused rather than silently changed."
        ),
        json_schema_extra=_with_rules(
            immutable("username"),
            CelRule(
                r"!self.matches('\\p{Lu}|\\p{Lt}')",
                "username must be lower case: Keycloak stores usernames in lower case",
            ),
        ),
    )
    email: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The user's email address. Unset: not managed.",
    )
    first_name: ShortText | None = Field(
        default=None, description="The user's first name. Unset: not managed."
    )
    last_name: ShortText | None = Field(
        default=None, description="The user's last name. Unset: not managed."
    )
    enabled: bool = Field(default=True, description="The user can log in.")
    email_verified: bool | None = Field(
        default=None,
        description="The email address is verified. Unset: not managed (Keycloak's default is "
        "false for a new user).",
    )
    attributes: dict[str, list[AttributeValue]] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "User attributes: a map from name to values. Additive: the listed keys are kept "
            "equal to these values; keys not listed are left alone. Unset: not managed. From "
            "Keycloak 24 on, an attribute must be declared in the realm's user profile, or the "
            "profile must allow unmanaged attributes; otherwise Keycloak drops it and the user "
            "stays out of sync. username, email, firstName and lastName are typed fields, and "
            "keys under keycloak-controller.dev/ are the controller's."
        ),
        json_schema_extra=cel(
            CelRule(
                "self.all(k, !(k in ['username', 'email', 'firstName', 'lastName'])"
                " && !k.startsWith('keycloak-controller.dev/'))",
                "attributes must not set username, email, firstName or lastName (use the typed "
                "fields) nor keys under keycloak-controller.dev/ (the controller's own)",
            )
        ),
    )
    required_actions: list[RequiredAction] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Actions the user must complete at the next login, by alias: VERIFY_EMAIL, "
            "UPDATE_PASSWORD, UPDATE_PROFILE, CONFIGURE_TOTP, TERMS_AND_CONDITIONS, ... "
            "Given to the user when the controller creates it, and not enforced afterwards: "
            "Keycloak removes an action once the user completes it, and putting it back would "
            "ask again forever. Editing the list later changes nothing for an existing user. "
            "For a one-time password change use password.temporary. Unset: not managed."
        ),
        json_schema_extra=list_set(),
    )
    password: UserPassword | None = Field(
        default=None,
        description=(
            "The password, from a Secret. Unset: the controller never touches the user's "
            "credentials."
        ),
    )
    realm_roles: list[RoleName] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Realm roles mapped directly to the user, by name. Authoritative: realm roles not "
            "listed are unmapped, except the realm's default-roles-<realm> composite, which is "
            "always kept. Unset: not managed."
        ),
        json_schema_extra=list_set(),
    )
    client_roles: dict[str, list[RoleName]] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Client roles mapped directly to the user: a map from the owning client's clientId "
            "to role names, e.g. {app: [reader]}. Authoritative per client listed: that "
            "client's roles not listed are unmapped ([] unmaps them all); clients not in the "
            "map are left alone. Unset: not managed (independently of realmRoles)."
        ),
    )
    groups: list[GroupPath] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Groups the user is a direct member of, by path, e.g. /engineering/backend. The "
            "groups must exist. Authoritative: memberships not listed are removed. Unset: not "
            "managed; the user keeps the realm's default groups as they were when the "
            "controller created it (after its KeycloakRealm had been reconciled), as in "
            "Keycloak."
        ),
        json_schema_extra=list_set(),
    )
    federated_identities: list[FederatedIdentity] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Links to accounts at the realm's identity providers, one per provider. "
            "Authoritative: links not listed are removed, and a link whose userId or userName "
            "differs is replaced. Unset: not managed (links made at login are left alone)."
        ),
        json_schema_extra=list_map("identityProvider"),
    )


# --- status ----------------------------------------------------------------------

PASSWORD_DIGEST_ALGORITHM = "pbkdf2-sha256"  # noqa: S105 (a name, not a password)
PASSWORD_DIGEST_ITERATIONS = 100_000


def password_salt(uid: str) -> str:
    """The digest salt of the KeycloakUser with this metadata.uid."""
    return f"keycloak-controller.dev/KeycloakUser/{uid}"


def password_digest(password: str, salt: str, iterations: int = PASSWORD_DIGEST_ITERATIONS) -> str:
    """`pbkdf2-sha256$<iterations>$<hex>`: the status.password.digest of `password`.

    Deliberately slow (about 40 ms), because status is readable by everyone who can
    read the KeycloakUser: a fast hash would let them test guesses offline. Compute it
    only when the Secret's resourceVersion differs from the one in status.
    """
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{PASSWORD_DIGEST_ALGORITHM}${iterations}${derived.hex()}"


def password_digest_matches(digest: str, password: str, salt: str) -> bool:
    """Whether `digest` (from status) was made from `password`, in constant time."""
    algorithm, _, rest = digest.partition("$")
    iterations, _, _ = rest.partition("$")
    if algorithm != PASSWORD_DIGEST_ALGORITHM or not iterations.isdigit():
        return False
    return hmac.compare_digest(digest, password_digest(password, salt, int(iterations)))


class PasswordStatus(StatusModel):
    """Where the password was last set from. Never the password itself."""

    secret_name: str | None = Field(
        default=None, description="The Secret the password was last set from."
    )
    secret_key: str | None = Field(default=None, description="The key within that Secret.")
    secret_resource_version: str | None = Field(
        default=None,
        description=(
            "The Secret's metadata.resourceVersion when the password was last set or checked. "
            "While the Secret still has it, the value has not changed."
        ),
    )
    digest: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description=(
            "A slow salted digest of the password (pbkdf2-sha256$<iterations>$<hex>, salted "
            "with this object's uid). The Secret's resourceVersion also changes when only its "
            "labels or other keys change; the digest tells whether the value itself changed, so "
            "a Managed password is set again only then. It is kept here rather than as a "
            "Keycloak user attribute because Keycloak 24+ drops attributes its user profile "
            "does not declare, and users may see their own attributes."
        ),
    )
    credential_created_date: int | None = Field(
        default=None,
        ge=0,
        description=(
            "The createdDate (milliseconds since the epoch) of the password credential the "
            "controller set. A newer one means the password was changed in Keycloak."
        ),
        json_schema_extra={"format": "int64"},
    )

    def same_source(self, secret_name: str, secret_key: str, resource_version: str) -> bool:
        """Whether the password was last set from this very version of this Secret key."""
        return (self.secret_name, self.secret_key, self.secret_resource_version) == (
            secret_name,
            secret_key,
            resource_version,
        )


class KeycloakUserStatus(ResourceStatus):
    """The user's observed state."""

    user_id: str | None = Field(default=None, description="The user's internal id in Keycloak.")
    realm_name: str | None = Field(default=None, description="The realm's name in Keycloak.")
    password: PasswordStatus | None = Field(
        default=None,
        description="Where the password was last set from. Unset: the controller never set it.",
    )


class KeycloakUser(CustomResource):
    """A user in a realm: profile, password from a Secret, roles, groups and IdP links."""

    names: ClassVar[ResourceNames] = ResourceNames(
        kind="KeycloakUser",
        plural="keycloakusers",
        singular="keycloakuser",
        short_names=("kcuser",),
    )
    printer_columns: ClassVar[tuple[PrinterColumn, ...]] = (
        PrinterColumn(
            name="Username", json_path=".spec.username", description="The user's username."
        ),
        PrinterColumn(
            name="Realm",
            json_path=".spec.realmRef.name",
            description="The KeycloakRealm object this user belongs to.",
        ),
        *READY_COLUMNS,
        PrinterColumn(
            name="Email",
            json_path=".spec.email",
            description="The user's email address.",
            priority=1,
        ),
        *TRAILING_COLUMNS,
    )

    kind: Literal["KeycloakUser"] = "KeycloakUser"
    spec: KeycloakUserSpec
    status: KeycloakUserStatus = Field(default_factory=KeycloakUserStatus)


__all__ = [
    "PASSWORD_DIGEST_ITERATIONS",
    "FederatedIdentity",
    "KeycloakUser",
    "KeycloakUserSpec",
    "KeycloakUserStatus",
    "PasswordMode",
    "PasswordStatus",
    "UserPassword",
    "password_digest",
    "password_digest_matches",
    "password_salt",
]
