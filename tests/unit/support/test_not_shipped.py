"""The test environment stays out of what ships: the package, hence the wheel and the image."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.config import REPO_ROOT

PACKAGE = REPO_ROOT / "keycloak_controller"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_package_has_no_testing_subpackage() -> None:
    assert not (PACKAGE / "testing").exists()
    assert not list(PACKAGE.rglob("pytest_plugin.py"))
    assert not list(PACKAGE.rglob("devenv.py"))


def test_nothing_in_the_package_imports_tests() -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(
            name for name in imported_modules(path) if name == "tests" or name.startswith("tests.")
        )
        for path in PACKAGE.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_image_copies_only_the_package() -> None:
    copies = [
        line.split()[1:-1]
        for line in (REPO_ROOT / "Containerfile").read_text().splitlines()
        if line.startswith("COPY") and "--from=" not in line
    ]
    sources = {source for sources in copies for source in sources}
    assert sources == {"pyproject.toml", "README.md", "hack/constraints.txt", "keycloak_controller"}
