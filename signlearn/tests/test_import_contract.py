"""The direction of dependency between the apps, read from the source (every import, at any depth).

ml < accounts < lessons < registry < practice < progress < api: an app imports only apps below it.
Where a lower app must cause work in a higher one it sends a signal that the higher app connects in its
AppConfig.ready. `signlearn` is two things: core modules every app may use (media, limits, errors,
headers, processes, throttling, ...) that import no app, and the glue that wires the apps together
(settings, URLs, the Celery app, health checks, management commands).

The tests follow the same direction: an app's tests and conftest.py files import only that app and the
apps below it, so the import graph of the apps has no cycle with the tests counted too. A test that needs
a higher app lives in that app's tests; a fixture a higher app's tests need is imported by its conftest
from the lower app's. Test helpers every app's tests share live in `signlearn.testing` (it imports no
app). `signlearn/tests` (the project-wide tests) and the root conftest.py sit above every app and may
import anything; no app's tests import them. Tests may use the glue (the Celery app, to drive a real
worker): the glue check below is for app code.
"""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from conftest import REPO_DIR

LAYERS = ["ml", "accounts", "lessons", "registry", "practice", "progress", "api"]
GLUE = ("signlearn.urls", "signlearn.settings", "signlearn.celery", "signlearn.wsgi", "signlearn.health")
GLUE_PACKAGES = ("signlearn.management",)
TOP_LEVEL = {*LAYERS, "signlearn"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_test_file(path: Path) -> bool:
    return "tests" in path.relative_to(REPO_DIR).parts or path.name == "conftest.py"


def source_files(package: str, *, tests: bool = False) -> list[Path]:
    """The package's modules, without migrations; its test modules and conftest.py files only if `tests`.
    signlearn's own tests (project-wide, above every app) are never included."""
    return [
        path
        for path in (REPO_DIR / package).rglob("*.py")
        if "migrations" not in path.parts
        and (tests or not is_test_file(path))
        and not path.relative_to(REPO_DIR).parts[:2] == ("signlearn", "tests")
    ]


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
        found.update((name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in TOP_LEVEL)
    return found


def is_glue(module: str) -> bool:
    return module in GLUE or module.startswith(GLUE + GLUE_PACKAGES)


def allowed(importer: str, imported: str) -> bool:
    """Whether module `importer` (dotted) may import the top-level package `imported`."""
    package = importer.split(".")[0]
    if package == imported:
        return True
    if package == "signlearn":
        return is_glue(importer) or imported == "ml"
    if package == "ml":
        return False  # ml is a library: no Django, no app
    if imported == "signlearn":
        return True  # only its core modules: checked below, a glue module is never imported by an app
    return imported in LAYERS and LAYERS.index(imported) < LAYERS.index(package)


def violations(*, tests: bool = False) -> list[str]:
    found = []
    for package in sorted(TOP_LEVEL):
        for path in source_files(package, tests=tests):
            importer = module_name(path)
            for imported, line in sorted(imported_top_levels(path)):
                if not allowed(importer, imported):
                    found.append(f"{path.relative_to(REPO_DIR)}:{line} ({importer} -> {imported})")
    return found


def glue_imported_by_apps() -> list[str]:
    found = []
    for package in LAYERS:
        for path in source_files(package):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.level == 0
                    and node.module
                    and is_glue(node.module)
                ):
                    found.append(f"{path.relative_to(REPO_DIR)}:{node.lineno} imports {node.module}")
    return found


def project_test_imports_by_apps() -> list[str]:
    """Imports of signlearn's project-wide tests from an app's tests (they sit above every app)."""
    found = []
    for package in LAYERS:
        for path in source_files(package, tests=True):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                found += [
                    f"{path.relative_to(REPO_DIR)}:{node.lineno} imports {name}"
                    for name in names
                    if name == "signlearn.tests" or name.startswith("signlearn.tests.")
                ]
    return found


def package_graph() -> dict[str, set[str]]:
    """Which of the apps (and ml) each imports, every module counted: tests and conftest.py files too."""
    graph: dict[str, set[str]] = {package: set() for package in LAYERS}
    for package in LAYERS:
        for path in source_files(package, tests=True):
            graph[package].update(
                imported
                for imported, _ in imported_top_levels(path)
                if imported in LAYERS and imported != package
            )
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph (its nodes in order), or [] when it has none."""
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        return list(error.args[1])
    return []


def test_no_app_imports_one_above_it():
    assert violations() == []


def test_no_app_test_or_conftest_imports_an_app_above_it():
    # A test that needs a higher app lives in that app's tests (e.g. grading that counts XP: progress).
    assert violations(tests=True) == []


def test_the_app_import_graph_has_no_cycle_with_the_tests_counted():
    assert cycle_in(package_graph()) == []


def test_app_tests_never_import_the_project_wide_tests():
    # Helpers shared by the tests of several apps live in signlearn.testing, which imports no app.
    assert project_test_imports_by_apps() == []


def test_apps_use_signlearn_core_never_its_glue():
    # signlearn.celery is the worker's entry point; tasks use celery.shared_task, never the app object.
    assert glue_imported_by_apps() == []


@pytest.mark.parametrize(
    ("importer", "imported", "ok"),
    [
        ("practice.services", "lessons", True),
        ("lessons.selectors", "progress", False),
        ("registry.services.export", "practice", False),
        ("practice.views", "api", False),
        ("api.urls", "progress", True),
        ("ml.inference", "registry", False),
        ("ml.inference", "signlearn", False),
        ("signlearn.media", "practice", False),
        ("signlearn.media", "ml", True),
        ("signlearn.urls", "api", True),
        ("signlearn.management.commands.runstack", "lessons", True),
        ("progress.views", "signlearn", True),
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
        ("signlearn/testing/worker.py", True),
        ("signlearn/tests/test_client_phrase.py", False),
        ("practice/migrations/0001_initial.py", False),
    ],
)
def test_the_contract_covers_app_tests_and_conftests_but_not_the_project_wide_tests(path, included):
    package = path.split("/")[0]
    assert (REPO_DIR / path in source_files(package, tests=True)) is included


def test_the_cycle_check_finds_a_cycle():
    assert cycle_in({"ml": set(), "practice": {"ml", "progress"}, "progress": {"practice"}}) != []
    assert cycle_in({"ml": set(), "practice": {"ml"}, "progress": {"practice", "ml"}}) == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("def f():\n    from progress.rules import TOP_K\n    import os\n")
    assert imported_top_levels(source) == {("progress", 2)}
