"""The layering contracts in pyproject.toml: domain modules never import Flask; only the store talks to sqlite-utils."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import grimp

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


SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|"
                 r"UNIQUE|TRIGGER|VIEW)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)|PRAGMA\s|BEGIN\s+IMMEDIATE|VACUUM"
                 # and the pieces a statement is put together from elsewhere: a join, an order, a condition
                 r"|JOIN\s+\w+\s+\w+\s+ON|ORDER\s+BY|GROUP\s+BY)\b|\b\w+\.\w+\s*(=|!=|>=|<=|<|>|IN)\s*[(?]",
                 re.S)
DATA_ACCESS = {"query", "query_one", "execute", "insert", "update"}


def _outside_data() -> list[Path]:
    return [p for p in sorted((ROOT / "homevisit").rglob("*.py")) if "data" not in p.relative_to(ROOT).parts[1:2]]


def test_no_module_outside_the_data_package_writes_sql():
    """#17: every SQL statement lives in ``homevisit/data`` (one query module per table); a service asks for
    what it needs by name. The check reads every string in the code (docstrings too) and every call."""
    found = []
    for path in _outside_data():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {SQL.search(node.value).group(0)[:40]!r}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DATA_ACCESS
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "store"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} store.{node.func.attr}()")
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "db":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} db[...] (a sqlite-utils table)")
    assert found == []


def test_the_sql_check_sees_sql_in_a_service():
    """The check above is not blind: it finds a statement written the way the services used to."""
    sample = 'rows = store.query(db, "SELECT id FROM children WHERE team_id = ?", (t,))\nstore.insert(db, "x", {})\n'
    tree = ast.parse(sample)
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert any(SQL.search(s) for s in strings)
    calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert "query" in calls and "insert" in calls
    assert not SQL.search("Select the child's team from the list, then update the form")
    fragments = ["FROM actions a JOIN children c ON c.id = a.child_id", "WHERE {where} ORDER BY k.occurred_on",
                 "c.team_id = ? AND substr(s.held_at, 1, 10) >= ?", "v.id IN (?, ?)"]
    assert all(SQL.search(f) for f in fragments)
    assert not SQL.search("Order by date, then join the lists. See section 4.2 = the guidance (a.b)")


def test_no_import_cycles_between_modules():
    """#17: no two modules of the project import each other, directly or round a loop."""


    graph = grimp.build_graph("homevisit")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and graph.find_shortest_chain(importer=imported, imported=module):
                cycles.append(f"{module} <-> {imported}")
    assert cycles == []


def test_the_readme_layout_names_every_module_where_it_is():
    """#17: a newcomer reads the README's layout and finds each module in the package it names; every file it
    names is there. (The data package's per-table query modules are named by example.)"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    bullets = dict(re.findall(r"^  - `(\w+)/` (.*?)(?=^  - `|^\S|\Z)", layout, re.S | re.M))
    packages = sorted(p.name for p in (ROOT / "homevisit").iterdir() if (p / "__init__.py").exists())
    assert sorted(bullets) == packages
    for package, text in bullets.items():
        named = set(re.findall(r"`(\w+)\.(?:py|toml)`", text)) | {d.strip("/") for d in re.findall(r"`(\w+/)`", text)}
        present = {p.stem for p in (ROOT / "homevisit" / package).iterdir()
                   if (p.suffix in (".py", ".toml") and p.stem != "__init__") or (p / "__init__.py").exists()}
        assert named - present == set(), f"{package}: the README names files that are not there"
        if package != "data":
            assert present - named == set(), f"{package}: modules the README does not name"
        else:
            assert {"store", "database"} <= named
