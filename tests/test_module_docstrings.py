"""Every module and package says what it owns in its first lines (a house rule).

The engine's folders are its architecture: a package without a docstring, or a module
whose purpose is only in its name, is the first step to two modules owning one concept.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = ("engine", "api", "cli", "forms", "bench")


def modules() -> list[Path]:
    return sorted(
        path
        for root in SOURCE_ROOTS
        for path in (REPO / root).rglob("*.py")
        if "node_modules" not in path.parts
    )


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(path.relative_to(REPO))
        for path in modules()
        if len((ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").split()) < 4
    ]
    assert not missing, f"these modules need a top docstring saying what they own: {missing}"
