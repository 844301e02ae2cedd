"""The package layout: stages, and imports that follow the data flow.

citegraph's sub-packages are the stages data flows through (sources -> store -> graphs -> analysis ->
outputs; see ``citegraph/__init__.py``). These tests read every module's imports from its source (the
``ast``, so imports inside functions and ``TYPE_CHECKING`` blocks count too, and
``importlib.import_module("citegraph...")`` with a literal name) and fail on an import against the flow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "citegraph"

#: Modules beside the stages: shared by all of them (core), and the command line on top.
CORE = {"citegraph", "citegraph._version", "citegraph.errors", "citegraph.doi", "citegraph.config"}
STAGES = ("store", "sources", "graphs", "analysis", "outputs")

#: What each stage may import (besides itself). The store knows no stage; the sources fill the store;
#: graphs read the store; analyses read graphs; outputs show analyses. Nothing imports the CLI, and nothing
#: imports a source but the CLI.
ALLOWED = {
    "core": {"core"},
    "store": {"core", "store"},
    "sources": {"core", "store", "sources"},
    "graphs": {"core", "store", "graphs"},
    "analysis": {"core", "store", "graphs", "analysis"},
    "outputs": {"core", "store", "graphs", "analysis", "outputs"},
    "cli": {"core", *STAGES},
    "deprecated": {"core", "deprecated"},
}

#: Third-party packages a stage must not import: only outputs draw.
FORBIDDEN_THIRD_PARTY = {stage: {"matplotlib"} for stage in ("core", "store", "sources", "graphs", "analysis")}


def stage_of(module: str) -> str:
    """The stage a ``citegraph`` module belongs to.

    Raises ``ValueError`` for a module outside every stage (a new top-level module must join one).
    """
    if module in CORE:
        return "core"
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in STAGES:
        return parts[1]
    if len(parts) >= 2 and parts[1] == "cli":
        return "cli"
    if len(parts) >= 2 and parts[1] == "_deprecated":
        return "deprecated"
    raise ValueError(f"{module} belongs to no stage: move it into one of {', '.join(STAGES)} (or the core)")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(module: str, source: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for every import in ``source``, relative imports resolved."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from citegraph.analysis import rank`` imports a module of that stage either way
            yield node.lineno, target
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
              and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


def violations(modules: dict[str, tuple[str, bool]]) -> list[str]:
    """Every import against the flow in ``{module: (source, is_package)}``, as readable lines."""
    out = []
    for module, (source, is_package) in sorted(modules.items()):
        stage = stage_of(module)
        for line, target in imported(module, source, is_package):
            top = target.split(".")[0]
            if top == "citegraph":
                if target == "citegraph.cli" or target.startswith("citegraph.cli."):
                    if stage != "cli":
                        out.append(f"{module}:{line} imports the command line ({target}): nothing may")
                    continue
                try:
                    to = stage_of(target)
                except ValueError as exc:
                    out.append(f"{module}:{line}: {exc}")
                    continue
                if to not in ALLOWED[stage]:
                    out.append(f"{module}:{line} ({stage}) imports {target} ({to}): {stage} may import only "
                               f"{', '.join(sorted(ALLOWED[stage]))}")
            elif top in FORBIDDEN_THIRD_PARTY.get(stage, ()):
                out.append(f"{module}:{line} ({stage}) imports {target}: only outputs draw")
    return out


def package_modules() -> dict[str, tuple[str, bool]]:
    return {module_name(p): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
            for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_belongs_to_a_stage() -> None:
    modules = package_modules()
    assert len(modules) > 40
    for module in modules:
        stage_of(module)  # raises for a module outside the stages
    top_level = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top_level == ["__init__.py", "_version.py", "cli.py", "config.py", "doi.py", "errors.py"]
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == [
        "_deprecated", "analysis", "graphs", "outputs", "sources", "store"]


def test_imports_follow_the_flow() -> None:
    assert violations(package_modules()) == []


@pytest.mark.parametrize("module, added, expected", [
    ("citegraph.analysis.rank", "from citegraph.sources.crossref import CrossrefSource",
     "citegraph.analysis.rank:{n} (analysis) imports citegraph.sources.crossref (sources)"),
    ("citegraph.store.database", "from citegraph.graphs.citation import citation_graph",
     "citegraph.store.database:{n} (store) imports citegraph.graphs.citation (graphs)"),
    ("citegraph.graphs.citation", "    from citegraph.analysis import rank",
     "citegraph.graphs.citation:{n} (graphs) imports citegraph.analysis (analysis)"),
    ("citegraph.outputs.plots", "import citegraph.cli",
     "citegraph.outputs.plots:{n} imports the command line (citegraph.cli)"),
    ("citegraph.analysis.clusters", "import matplotlib.pyplot as plt",
     "citegraph.analysis.clusters:{n} (analysis) imports matplotlib.pyplot: only outputs draw"),
    ("citegraph.sources.fetch", "x = importlib.import_module('citegraph.outputs.report')",
     "citegraph.sources.fetch:{n} (sources) imports citegraph.outputs.report (outputs)"),
    ("citegraph.analysis.pipeline", "from ..outputs import tables",
     "citegraph.analysis.pipeline:{n} (analysis) imports citegraph.outputs (outputs)"),
])
def test_an_import_against_the_flow_fails(module: str, added: str, expected: str) -> None:
    modules = package_modules()
    source, is_package = modules[module]
    if added.startswith("    "):  # inside a function: still an import of the module
        source += "\n\ndef _late() -> None:\n" + added + "\n"
    else:
        source += "\n" + added + "\n"
    modules[module] = (source, is_package)
    line = source.rstrip("\n").count("\n") + 1
    found = violations(modules)
    assert len(found) == 1 and found[0].startswith(expected.format(n=line)), found


def test_a_module_outside_the_stages_fails() -> None:
    modules = package_modules()
    modules["citegraph.helpers"] = ("import json\n", False)
    with pytest.raises(ValueError, match=r"citegraph.helpers belongs to no stage"):
        violations(modules)


def test_every_stage_says_what_it_holds_and_may_import() -> None:
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "May import" in doc, stage
