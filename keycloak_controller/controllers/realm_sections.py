"""Every realm section, in the order they are observed, planned and applied."""

from __future__ import annotations

from .realm_client_policies import ClientPoliciesSection
from .realm_client_scopes import ClientScopesSection
from .realm_components import ComponentsSection
from .realm_defaults import DefaultGroupsSection, DefaultRolesSection
from .realm_federation import UserFederationSection
from .realm_flows import AuthenticationFlowsSection
from .realm_groups import GroupsSection
from .realm_identity_providers import IdentityProvidersSection
from .realm_localization import LocalizationSection
from .realm_organizations import OrganizationsSection
from .realm_required_actions import RequiredActionsSection
from .realm_roles import RolesSection
from .realm_scope_defaults import ScopeDefaultsSection
from .realm_section import RealmSection
from .realm_user_profile import UserProfileSection

SECTIONS: tuple[type[RealmSection], ...] = (
    RolesSection,
    # groups helper: groups, default groups, default roles, user profile
    GroupsSection,
    DefaultGroupsSection,
    DefaultRolesSection,
    UserProfileSection,
    # scopes helper: client scopes, realm default/optional scopes, required actions,
    #   organizations
    ClientScopesSection,
    ScopeDefaultsSection,
    RequiredActionsSection,
    # realm settings helper: message bundles
    LocalizationSection,
    # Part 2. Flows first: the realm's bindings, identity providers' first and post
    # broker login flows and LDAP-backed logins name them.
    AuthenticationFlowsSection,
    IdentityProvidersSection,
    UserFederationSection,
    ComponentsSection,
    ClientPoliciesSection,
    # Last: on 24 its change refuses (IncompatibleVersion) after every other section
    # has been applied, so asking for organizations there blocks nothing else.
    OrganizationsSection,
)
