"""The direction of dependency between the apps, read from the source (every import, at any depth).

ml < accounts < lessons < registry < practice < progress < api: an app imports only apps below it.
Where a lower app must cause work in a higher one it sends a signal that the higher app connects in its
AppConfig.ready. `signlearn` is two things: core modules every app may use (media, limits, errors,
headers, processes, throttling, ...) that import no app, and the glue that wires the apps together
(settings, URLs, the Celery app, health checks, management commands).
"""

import ast
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


def source_files(package: str) -> list[Path]:
    return [
        path
        for path in (REPO_DIR / package).rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts and path.name != "conftest.py"
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


def violations() -> list[str]:
    found = []
    for package in sorted(TOP_LEVEL):
        for path in source_files(package):
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


def test_no_app_imports_one_above_it():
    assert violations() == []


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


def test_the_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("def f():\n    from progress.rules import TOP_K\n    import os\n")
    assert imported_top_levels(source) == {("progress", 2)}
