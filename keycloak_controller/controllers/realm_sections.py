"""Every realm section, in the order they are observed, planned and applied."""

from __future__ import annotations

from .realm_roles import RolesSection
from .realm_section import RealmSection

SECTIONS: tuple[type[RealmSection], ...] = (
    RolesSection,
    # groups helper: groups, default groups, default roles, user profile
    # scopes helper: client scopes, realm default/optional scopes, required actions,
    #   organizations
    # realm settings helper: message bundles
)
