"""The core package's folders keep their roles: each imports only from the folders below it.

domain (decisions) <- messages (renderings) <- workflow (steps), which reach AWS through ports.py;
adapters implement the ports and are built by the composition root. docs/code-map.md draws it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "layers" / "core" / "datasync_scheduler"
PACKAGE = "datasync_scheduler"

# What each folder (or top-level module) may import from the package.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "domain": frozenset({"domain"}),
    "messages": frozenset({"domain", "messages"}),
    "ports": frozenset({"domain"}),
    "workflow": frozenset({"domain", "messages", "ports", "workflow", "composition"}),
    "adapters": frozenset({"domain", "ports", "adapters"}),
    "composition": frozenset({"domain", "ports", "adapters", "composition"}),
}

# Steps that still name an adapter's own error or constant rather than a port's: each is a known
# debt, listed so that a new one fails here.
KNOWN_ADAPTER_IMPORTS = frozenset(
    {
        ("workflow/analyze_run.py", "adapters.execution_logs"),
        ("workflow/slack_delivery.py", "adapters.slack_webhook"),
        ("workflow/summarize_batch.py", "adapters.notification_topic"),
    }
)


def _folder(path: Path) -> str:
    relative = path.relative_to(CORE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported(path: Path) -> set[str]:
    """The package's modules `path` imports, as dotted names below the package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
            below = node.module.split(".")[1:]
            if below:
                found.add(".".join(below))
            else:  # `from datasync_scheduler import x`
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".", 1)[1] for alias in node.names if alias.name.startswith(PACKAGE + "."))
    return found


def _modules() -> list[Path]:
    return sorted(path for path in CORE.rglob("*.py") if _folder(path) != "__init__")


def test_every_module_of_the_core_package_sits_in_a_folder_with_a_role() -> None:
    assert {_folder(path) for path in _modules()} == set(MAY_IMPORT)


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(CORE)))
def test_a_module_imports_only_from_the_folders_its_role_allows(path: Path) -> None:
    folder = _folder(path)
    relative = path.relative_to(CORE).as_posix()
    wrong = sorted(
        module
        for module in _imported(path)
        if module.split(".")[0] not in MAY_IMPORT[folder] and (relative, module) not in KNOWN_ADAPTER_IMPORTS
    )
    assert wrong == [], f"{relative} ({folder}) imports {wrong}"


def test_the_domain_and_the_messages_make_no_aws_call() -> None:
    """Pure: no boto3 client, no I/O. botocore's DataSync model is read as data (`domain/datasync_model.py`)."""
    for path in _modules():
        if _folder(path) in ("domain", "messages"):
            tree = ast.parse(path.read_text())
            names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
            names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
            assert not {name for name in names if name.split(".")[0] == "boto3"}, path
