"""`spec.localization.messages` as a realm section: the realm's own message texts.

One child set per listed locale, keyed by message key, authoritative within
that locale (texts of listed locales that are not listed are removed); locales
the spec does not list are never read or written.
"""

from __future__ import annotations

import re

from keycloak_controller.api.realm import KeycloakRealmSpec

from . import reasons
from .childset import ChildSet, Removal, SetOps
from .plan import Change
from .realm_section import RealmSection

Text = tuple[str, str]  # (key, text)
LOCALE = re.compile(r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$")
MAX_KEY = 255


def texts(locale: str) -> ChildSet[Text, Text]:
    return ChildSet(
        name=f"localization.messages[{locale}]",
        removal=Removal.AUTHORITATIVE,
        desired_key=lambda t: t[0],
        actual_key=lambda t: t[0],
        equal=lambda d, a: d[1] == a[1],
    )


def check_messages(messages: dict[str, dict[str, str]]) -> None:
    for locale, bundle in messages.items():
        if not LOCALE.match(locale):
            raise reasons.Problem(
                reasons.INVALID_SPEC,
                f"spec.localization.messages: {locale!r} is not a locale (e.g. en, de, pt-BR)",
            )
        for key in bundle:
            if not key or len(key) > MAX_KEY or "/" in key:
                raise reasons.Problem(
                    reasons.INVALID_SPEC,
                    f"spec.localization.messages[{locale}]: {key[:40]!r} is not a message key "
                    f"(1-{MAX_KEY} characters, no '/')",
                )


class LocalizationSection(RealmSection):
    name = "localization.messages"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.localization is not None and spec.localization.messages is not None

    def messages(self) -> dict[str, dict[str, str]]:
        assert self.spec.localization is not None
        return self.spec.localization.messages or {}

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        self.observed = {
            locale: admin.realms.localization_texts(realm, locale) for locale in self.messages()
        }

    def plan(self) -> list[Change]:
        messages = self.messages()
        check_messages(messages)
        admin, realm = self.scope.admin, self.scope.realm
        changes: list[Change] = []
        for locale in sorted(messages):
            children = texts(locale)

            def put(text: Text, locale: str = locale) -> None:
                admin.realms.set_localization_texts(realm, locale, {text[0]: text[1]})

            def delete(text: Text, locale: str = locale) -> None:
                admin.realms.delete_localization_text(realm, locale, text[0])

            def update(text: Text, _current: Text, locale: str = locale) -> None:
                put(text, locale)

            ops: SetOps[Text, Text] = SetOps(create=put, delete=delete, update=update)
            desired = sorted(messages[locale].items())
            plan = children.plan(desired, sorted(self.observed.get(locale, {}).items()))
            changes.extend(children.changes(plan, ops))
        return changes
