"""The layering contracts in pyproject.toml: domain modules never import Flask; only the store talks to sqlite-utils."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_hides_an_import_of_the_project_inside_a_function():
    """#17: every module imports the project's modules at the top, so an import cycle cannot hide behind a
    function-level import (the import contracts and Python itself then see every dependency)."""
    import ast

    hidden = []
    for path in sorted((ROOT / "homevisit").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").split(".")[0] in ("homevisit", "forms"):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno} from {inner.module}")
                    if isinstance(inner, ast.Import) and any(a.name.split(".")[0] in ("homevisit", "forms")
                                                             for a in inner.names):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno} import")
    assert hidden == []
