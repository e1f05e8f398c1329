"""No module of indicator_kit imports another that imports it back, however indirectly.

The graph is grimp's (a BSD library that parses every import statement of the package: those
under `if TYPE_CHECKING:` and those inside functions count too), so a cycle cannot be hidden by
moving an import out of sight. A package's `__init__` is a module like the others, and importing
`a.b.m` from outside `a.b` runs `a/b/__init__.py` first: that hidden edge counts too (a package
that re-exports its modules makes every outside user of one of them import all of them).
"""

from __future__ import annotations

import grimp


def import_edges(package: str) -> dict[str, list[str]]:
    """Each module → the modules importing it runs: those it names, and the packages above
    them that it is not inside (their `__init__` runs first)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=False)
    edges = {}
    for module in sorted(graph.modules):
        named = graph.find_modules_directly_imported_by(module)
        above = {
            parent
            for imported in named
            for parent in _parents(imported)
            if parent != module and not module.startswith(parent + ".") and parent in graph.modules
        }
        edges[module] = sorted(named | above)
    return edges


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_cycles(package: str) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each sorted."""
    edges = import_edges(package)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in edges[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in edges:
        if module not in index:
            visit(module)
    return sorted(groups)


def test_no_import_cycles() -> None:
    graph = grimp.build_graph("indicator_kit", exclude_type_checking_imports=False)
    cycles = import_cycles("indicator_kit")
    described = [
        " ↔ ".join(group)
        + "".join(
            f"\n    {a} line {d['line_number']}: {d['line_contents']}"
            for a in group
            for b in group
            for d in graph.get_import_details(importer=a, imported=b)
        )
        for group in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_a_cycle_is_found(tmp_path, monkeypatch) -> None:
    """The detector itself: two modules importing each other, one of them only for typing."""
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic.b import B\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic.a import A\nB = 1\n"
    )
    (package / "c.py").write_text("def f():\n    from cyclic import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic") == [["cyclic.a", "cyclic.b"]]


def test_a_package_that_re_exports_is_a_cycle(tmp_path, monkeypatch) -> None:
    """`top.upper.rule` uses `top.lower.model`, while `top/lower/__init__.py` re-exports a loader
    that uses `top.upper.rule`: importing `top.upper.rule` first fails at run time, although no
    module names the module that imports it."""
    files = {
        "__init__.py": "",
        "lower/__init__.py": "from top.lower.loader import load\n",
        "lower/loader.py": "from top.upper.rule import Rule\nload = Rule\n",
        "lower/model.py": "Row = 1\n",
        "upper/__init__.py": "",
        "upper/rule.py": "from top.lower.model import Row\nRule = Row\n",
    }
    for name, text in files.items():
        (tmp_path / "top" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "top" / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("top") == [["top.lower", "top.lower.loader", "top.upper.rule"]]
