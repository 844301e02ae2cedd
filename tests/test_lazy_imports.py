"""The quick commands load no heavy library: each command imports what it uses, when it runs.

``citegraph --help``, ``status`` and ``fetch`` start in a fraction of a second because none of them imports
matplotlib, scikit-learn, igraph, DuckDB, pyarrow or PySpark (nor, for the help and status, SciPy, networkx
or NumPy). Each test runs the real entry point (:func:`citegraph.cli.main`) in a fresh interpreter and reads
its ``sys.modules`` afterwards: the values, not the timings (``bench/startup.py`` measures those).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Never imported by the help, status or fetch.
HEAVY = ("matplotlib", "sklearn", "igraph", "duckdb", "pyarrow", "pyspark")
#: Not imported by the help and status either (the graph and analysis stack).
NUMERIC = ("scipy", "networkx", "numpy", "pandas")

#: Runs ``main()`` once per argv in ``ARGVS`` (a JSON list of lists), then prints the exit codes and the
#: top-level packages in ``sys.modules``.
RUNNER = """
import json, sys
from citegraph.cli import main

codes = []
for argv in json.loads(sys.argv[1]):
    if argv == ["--each-command-help"]:
        from citegraph.cli import cli
        argvs = [[name, "--help"] for name in sorted(cli.commands)]
    else:
        argvs = [argv]
    for one in argvs:
        try:
            main(one)
        except SystemExit as exc:
            codes.append(exc.code or 0)
        else:
            codes.append(0)
print("\\n" + json.dumps({"codes": codes, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""

#: Two hand-made Crossref records (not Crossref data): a work and the work it cites.
RECORDS = [
    {"DOI": "10.5555/lazy.a", "title": ["A hand-made work"], "type": "journal-article",
     "issued": {"date-parts": [[2020]]}, "author": [{"family": "Doe", "given": "Jane"}],
     "reference": [{"key": "r1", "DOI": "10.5555/lazy.b"}], "reference-count": 1},
    {"DOI": "10.5555/lazy.b", "title": ["The work it cites"], "type": "journal-article",
     "issued": {"date-parts": [[2010]]}, "author": [{"family": "Roe", "given": "Rich"}], "reference-count": 0},
]


def loaded_after(*argvs: list[str], cwd: Path) -> set[str]:
    """The top-level packages imported by a fresh interpreter that ran ``citegraph ARGV`` for each argv."""
    proc = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(list(argvs))], capture_output=True,
                          text=True, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["codes"] and set(result["codes"]) == {0}, (result["codes"], proc.stderr[-2000:])
    return set(result["loaded"])


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store made by ``citegraph fetch`` from a hand-made local records file (no network)."""
    records = tmp_path / "works.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    path = tmp_path / "s.sqlite"
    loaded = loaded_after(["-q", "--store", str(path), "fetch", "10.5555/lazy.a", "--from", str(records)],
                          cwd=tmp_path)
    assert path.is_file()
    assert not loaded & {*HEAVY, *NUMERIC}, "fetch imported " + ", ".join(sorted(loaded & {*HEAVY, *NUMERIC}))
    return path


def test_importing_the_package_and_the_cli_loads_no_heavy_library() -> None:
    code = ("import json, sys, citegraph, citegraph.cli, citegraph.store, citegraph.graphs\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                           check=True).stdout))
    assert not loaded & {*HEAVY, *NUMERIC}, sorted(loaded & {*HEAVY, *NUMERIC})
    assert "tenacity" not in loaded  # the store retries its WAL switch with tenacity, imported when it opens to write


def test_the_help_of_every_command_loads_no_heavy_library(tmp_path: Path) -> None:
    loaded = loaded_after(["--help"], ["--version"], ["--each-command-help"], cwd=tmp_path)
    assert not loaded & {*HEAVY, *NUMERIC}, sorted(loaded & {*HEAVY, *NUMERIC})
    assert "citegraph" in loaded and "click" in loaded


def test_fetch_loads_no_heavy_library(store: Path, tmp_path: Path) -> None:
    # the fixture checks the first fetch; again, with everything already stored and the seeds from the store
    loaded = loaded_after(["-q", "--store", str(store), "fetch", "--depth", "1"], cwd=tmp_path)
    assert not loaded & {*HEAVY, *NUMERIC}, sorted(loaded & {*HEAVY, *NUMERIC})


def test_status_loads_no_heavy_library(store: Path, tmp_path: Path) -> None:
    loaded = loaded_after(["--store", str(store), "status"], ["--store", str(store), "status", "--json"],
                          ["--store", str(store), "status", "--seeds"], ["--store", str(store), "config"],
                          cwd=tmp_path)
    assert not loaded & {*HEAVY, *NUMERIC}, sorted(loaded & {*HEAVY, *NUMERIC})
    assert "tenacity" not in loaded  # a read-only store never retries


def test_status_coverage_loads_only_the_coverage_analysis(store: Path, tmp_path: Path) -> None:
    loaded = loaded_after(["--store", str(store), "status", "--coverage", "-o", "coverage.json"], cwd=tmp_path)
    assert not loaded & {*HEAVY, *NUMERIC}, sorted(loaded & {*HEAVY, *NUMERIC})
    assert json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))["seeds"]


def test_analyse_loads_igraph_without_matplotlib(store: Path, tmp_path: Path) -> None:
    """``analyse`` draws nothing: igraph is loaded with its matplotlib import hidden (28 MB less)."""
    loaded = loaded_after(["-q", "--store", str(store), "analyse", "-o", "out"], cwd=tmp_path)
    assert {"igraph", "sklearn", "scipy", "networkx"} <= loaded
    assert not loaded & {"matplotlib", "PIL", "duckdb", "pyarrow", "pyspark"}, sorted(loaded)
    assert (tmp_path / "out" / "rankings.csv").is_file()


def test_matplotlib_still_imports_after_igraph_was_loaded_without_it() -> None:
    code = ("import sys\nfrom citegraph.cli import _import_igraph_without_pyplot\n_import_igraph_without_pyplot()\n"
            "assert 'igraph' in sys.modules and 'matplotlib' not in sys.modules\n"
            "import matplotlib.figure\nprint(type(matplotlib.figure.Figure()).__name__)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["Figure"]


def test_the_graphs_package_loads_its_names_on_first_use() -> None:
    """``citegraph.graphs`` keeps its ``__all__``, ``dir()`` and attributes, importing each module when first used."""
    code = """
import json, sys
import citegraph.graphs as graphs
before = sorted(m for m in sys.modules if m.split(".")[0] in {"numpy", "scipy", "networkx"})
names = list(graphs.__all__)
listed = all(name in dir(graphs) for name in names)
from citegraph.graphs import *  # noqa: F403
from citegraph.graphs import arrays, build
same = all(globals()[name] is getattr(graphs, name) for name in names)
homes = graphs.GraphArrays is arrays.GraphArrays and graphs.build is build and graphs.build_graph is build.build_graph
try:
    graphs.no_such_name
    missing = "no error"
except AttributeError as exc:
    missing = str(exc)
print(json.dumps({"before": before, "names": names, "listed": listed, "same": same, "homes": homes,
                  "missing": missing, "topics": "citegraph.graphs.topics" in sys.modules}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["before"] == []  # the package alone imports no graph module
    assert got["names"] == [
        "DEFAULT_HYBRID_WEIGHTS", "GRAPH_KINDS", "NORMALISATIONS", "CitationMatrix", "GraphArrays", "GraphOptions",
        "Pairs", "build_graph", "build_graph_with_arrays", "citation_graph", "citation_matrix", "cocitation_graph",
        "cocitation_pairs", "cooccurrence_edges", "coupling_graph", "coupling_pairs", "edge_arrays", "edge_index",
        "filter_graph", "graph_summary", "hybrid_graph", "node_label", "topic_documents"]
    assert got["listed"] and got["same"] and got["homes"]
    assert got["missing"] == "module 'citegraph.graphs' has no attribute 'no_such_name'"
    assert got["topics"] is False  # no name of the package loads scikit-learn
