"""The direction of dependency between the project's packages, read from the source (every import, at
any depth, tests and conftest.py files included).

ml < core < accounts < lessons < registry < practice < progress < api < signlearn: a package imports only
packages below it. `ml` is the recogniser (no Django); `core` is what every app builds on and imports no
app (media serving, limits, errors, headers, throttling, processes, and `core.testing`, the helpers every
app's tests share); `signlearn` wires everything together (settings, URLs, the Celery app, health checks,
management commands, the command-line client, the project-wide tests). Where a lower app must cause work
in a higher one it sends a signal that the higher app connects in its AppConfig.ready.

A test that needs a higher app lives in that app's tests; a fixture a higher app's tests need is imported
by its conftest from the lower app's. Tests find the Celery app through core.testing (celery's current
app), never by importing signlearn.
"""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from conftest import REPO_DIR

LAYERS = ["ml", "core", "accounts", "lessons", "registry", "practice", "progress", "api", "signlearn"]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files(package: str) -> list[Path]:
    """The package's modules, its tests and conftest.py files included, without migrations."""
    return [path for path in (REPO_DIR / package).rglob("*.py") if "migrations" not in path.parts]


def imported_top_levels(path: Path) -> set[tuple[str, int]]:
    """(top-level package, line) for each absolute import of a project package in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update((name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in LAYERS)
    return found


def allowed(importer: str, imported: str) -> bool:
    """Whether module `importer` (dotted) may import the top-level package `imported`."""
    package = importer.split(".")[0]
    return package == imported or LAYERS.index(imported) < LAYERS.index(package)


def violations() -> list[str]:
    found = []
    for package in LAYERS:
        for path in source_files(package):
            importer = module_name(path)
            for imported, line in sorted(imported_top_levels(path)):
                if not allowed(importer, imported):
                    found.append(f"{path.relative_to(REPO_DIR)}:{line} ({importer} -> {imported})")
    return found


def package_graph() -> dict[str, set[str]]:
    """Which of the project's packages each imports, every module counted."""
    graph: dict[str, set[str]] = {package: set() for package in LAYERS}
    for package in LAYERS:
        for path in source_files(package):
            graph[package].update(
                imported for imported, _ in imported_top_levels(path) if imported != package
            )
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph (its nodes in order), or [] when it has none."""
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        return list(error.args[1])
    return []


def test_no_package_imports_one_above_it():
    # A test that needs a higher app lives in that app's tests (e.g. grading that counts XP: progress).
    assert violations() == []


def test_the_import_graph_has_no_cycle():
    assert cycle_in(package_graph()) == []


@pytest.mark.parametrize(
    ("importer", "imported", "ok"),
    [
        ("practice.services", "lessons", True),
        ("lessons.selectors", "progress", False),
        ("registry.services.activation", "practice", False),
        ("practice.views", "api", False),
        ("api.urls", "progress", True),
        ("ml.inference", "registry", False),
        ("ml.inference", "signlearn", False),
        ("core.media", "practice", False),
        ("core.media", "ml", True),
        ("signlearn.urls", "api", True),
        ("signlearn.management.commands.runstack", "lessons", True),
        ("progress.views", "signlearn", False),
        ("progress.views", "core", True),
        ("signlearn.tests.test_client_phrase", "practice", True),
    ],
)
def test_the_contract_itself(importer, imported, ok):
    assert allowed(importer, imported) is ok


@pytest.mark.parametrize(
    ("path", "included"),
    [
        ("practice/tests/test_worker.py", True),
        ("practice/conftest.py", True),
        ("registry/tests/conftest.py", True),
        ("core/testing/worker.py", True),
        ("practice/migrations/0001_initial.py", False),
    ],
)
def test_the_contract_covers_tests_and_conftests_but_not_migrations(path, included):
    package = path.split("/")[0]
    assert (REPO_DIR / path in source_files(package)) is included


def test_the_cycle_check_finds_a_cycle():
    assert cycle_in({"ml": set(), "practice": {"ml", "progress"}, "progress": {"practice"}}) != []
    assert cycle_in({"ml": set(), "practice": {"ml"}, "progress": {"practice", "ml"}}) == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("def f():\n    from progress.rules import TOP_K\n    import os\n")
    assert imported_top_levels(source) == {("progress", 2)}
