"""The generic child-set planner, once per removal policy, and the changes it yields."""

from __future__ import annotations

from dataclasses import dataclass

from keycloak_controller.controllers.childset import ChildSet, Removal, SetOps
from keycloak_controller.controllers.plan import Plan, Target, Verb


@dataclass(frozen=True)
class Have:
    name: str
    value: str = ""
    owner: str = ""


def child_set(removal: Removal, **kw: object) -> ChildSet[tuple[str, str], Have]:
    return ChildSet(
        name="items",
        removal=removal,
        desired_key=lambda d: d[0],
        actual_key=lambda a: a.name,
        equal=lambda d, a: d[1] == a.value,
        **kw,  # type: ignore[arg-type]
    )


ACTUAL = [
    Have("same", "1", "me"),
    Have("edited", "old", "me"),
    Have("mine", "x", "me"),
    Have("theirs", "y", "other"),
    Have("builtin", "z"),
]
DESIRED = [("same", "1"), ("edited", "new"), ("new", "n")]


def names(items: list[Have]) -> list[str]:
    return [i.name for i in items]


def test_authoritative_removes_everything_not_listed_but_protected() -> None:
    plan = child_set(Removal.AUTHORITATIVE, protected=lambda a: a.name == "builtin").plan(
        DESIRED, ACTUAL
    )
    assert plan.create == [("new", "n")]
    assert [(d[0], a.value) for d, a in plan.update] == [("edited", "old")]
    assert names(plan.delete) == ["mine", "theirs"]


def test_owned_only_removes_only_what_this_resource_created() -> None:
    plan = child_set(Removal.OWNED_ONLY, owned=lambda a: a.owner == "me").plan(DESIRED, ACTUAL)
    assert names(plan.delete) == ["mine"]
    assert plan.create == [("new", "n")] and len(plan.update) == 1


def test_additive_never_removes() -> None:
    plan = child_set(Removal.ADDITIVE).plan(DESIRED, ACTUAL)
    assert plan.delete == [] and plan.create == [("new", "n")]


def test_in_sync_set_plans_nothing() -> None:
    plan = child_set(Removal.AUTHORITATIVE).plan([("same", "1")], [Have("same", "1")])
    assert not plan


def test_changes_run_deletes_first_and_name_their_paths() -> None:
    ran: list[str] = []
    items = child_set(Removal.AUTHORITATIVE)
    plan = items.plan(DESIRED, ACTUAL)
    changes = items.changes(
        plan,
        SetOps(
            create=lambda d: ran.append(f"create {d[0]}"),
            delete=lambda a: ran.append(f"delete {a.name}"),
            update=lambda d, a: ran.append(f"update {d[0]}"),
        ),
    )
    for change in changes:
        change.run()
    assert ran[:3] == ["delete mine", "delete theirs", "delete builtin"]
    assert ran[3:] == ["update edited", "create new"]
    whole = Plan(changes)
    assert whole.paths() == [
        "items[mine] (delete)",
        "items[theirs] (delete)",
        "items[builtin] (delete)",
        "items[edited]",
        "items[new] (create)",
    ]
    assert all(c.target is Target.KEYCLOAK for c in changes)


def test_without_an_update_op_an_item_is_replaced() -> None:
    ran: list[str] = []
    items = child_set(Removal.ADDITIVE)
    changes = items.changes(
        items.plan([("edited", "new")], [Have("edited", "old")]),
        SetOps(create=lambda d: ran.append("create"), delete=lambda a: ran.append("delete")),
    )
    assert [c.verb for c in changes] == [Verb.UPDATE]
    changes[0].run()
    assert ran == ["delete", "create"]


def test_removal_policies_describe_themselves_for_kubectl_explain() -> None:
    assert "not listed is removed" in Removal.AUTHORITATIVE.description
    assert "this resource created" in Removal.OWNED_ONLY.description
    assert "nothing is ever removed" in Removal.ADDITIVE.description
