"""The shape of the code: data flows one way, read → fetch → parse → dedup → extract → write.

Every import in the package is walked, at module level and inside functions alike (a lazy import
is still a dependency). A stage's modules import only from their own stage, from
``transforms.common`` and from ``schemas``; ``common`` imports only itself and ``schemas``;
``schemas`` imports nothing else of newsbeam; nothing below the API imports the API package
``newsbeam`` itself. And no import cycle remains anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: Repository folders and the package names they install as.
PACKAGES = {
    "newsbeam": "newsbeam",
    "pipeline": "newsbeam.pipeline",
    "transforms": "newsbeam.transforms",
    "schemas": "newsbeam.schemas",
}
STAGES = ("read", "fetch", "parse", "dedup", "extract", "write")


def module_name(path: Path) -> str:
    folder, *rest = path.relative_to(ROOT).with_suffix("").parts
    parts = [PACKAGES[folder], *rest]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for folder in PACKAGES for p in (ROOT / folder).rglob("*.py")}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The newsbeam modules ``path`` (module ``name``) imports, wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # ``from pkg import mod`` imports the module; ``from mod import name`` the module itself.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found.update(t for t in targets if t == "newsbeam" or t.startswith("newsbeam."))
    return found


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    known = set(modules)
    return {name: imports_of(path, name, known) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]):
    """One import cycle as a list of modules (first repeated last), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def layer_of(module: str) -> str:
    """``schemas``, ``common``, a stage's name, ``pipeline`` or ``api`` (the package ``newsbeam``)."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] not in ("pipeline", "transforms", "schemas"):
        return "api"
    if parts[1] == "transforms":
        return parts[2] if len(parts) > 2 else "transforms"
    return parts[1]


def allowed(source: str, target: str) -> bool:
    """Whether a module of layer ``source`` may import one of layer ``target``."""
    if source == "api":
        return True
    if target == "api":
        return False  # nothing below the API imports it: the API sits on top
    if source == "pipeline":
        return True
    if source == "schemas":
        return target == "schemas"
    if source in ("common", "transforms"):
        return target in ("common", "schemas")
    return target in (source, "common", "schemas")  # a stage: itself, common, schemas


def test_the_walk_sees_the_whole_package():
    graph = import_graph()
    assert {f"newsbeam.transforms.{stage}" for stage in STAGES} <= set(graph)
    assert "newsbeam.transforms.read.specs" in graph["newsbeam.transforms.read"]
    assert "newsbeam.transforms.common.records" in graph["newsbeam.transforms.parse.article"]
    # a lazy import inside a function counts too
    assert "newsbeam.transforms.extract.places" in graph["newsbeam.transforms.extract"]


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


@pytest.mark.parametrize(
    "graph, cycle",
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"b"}}, ["b", "b"]),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, None),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, cycle):
    assert find_cycle(graph) == cycle


def test_every_import_goes_down_the_layers():
    wrong = [
        f"{source} imports {target}"
        for source, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if not allowed(layer_of(source), layer_of(target))
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "source, target, ok",
    [
        ("newsbeam.transforms.parse.article", "newsbeam.transforms.read.specs", False),
        ("newsbeam.transforms.fetch", "newsbeam.transforms.parse.body", False),
        ("newsbeam.transforms.read", "newsbeam.transforms.fetch", False),
        ("newsbeam.transforms.common.errors", "newsbeam.transforms.write", False),
        ("newsbeam.transforms.parse.article", "newsbeam.pipeline.run", False),
        ("newsbeam.schemas.articles", "newsbeam.transforms.common.records", False),
        ("newsbeam.pipeline.run", "newsbeam", False),
        ("newsbeam.transforms.parse.article", "newsbeam.transforms.parse.body", True),
        ("newsbeam.transforms.parse.article", "newsbeam.transforms.common.records", True),
        ("newsbeam.transforms.write", "newsbeam.schemas.runs", True),
        ("newsbeam.pipeline.run", "newsbeam.transforms.read", True),
        ("newsbeam", "newsbeam.pipeline.run", True),
    ],
)
def test_the_layer_rule(source, target, ok):
    assert allowed(layer_of(source), layer_of(target)) is ok


def test_each_stage_has_its_composite_transform_at_its_front_door():
    import importlib

    import apache_beam as beam

    front = {
        "read": "ReadInputs",
        "fetch": "FetchPages",
        "parse": "ParseArticles",
        "dedup": "Deduplicate",
        "extract": "ExtractFromText",
        "write": "WriteTables",
    }
    for stage, name in front.items():
        package = importlib.import_module(f"newsbeam.transforms.{stage}")
        assert issubclass(getattr(package, name), beam.PTransform), stage
        assert name in package.__all__, stage
