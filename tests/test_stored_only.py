"""The stored works only (``stored_only``, ``--stored-only``): the graph between the records of a store.

Checked on a real Web of Science export (the coffee/obesity corpus, first file: 500 records citing each other
and 30,000 other works) against the whole graph's induced subgraph, and on a hand-made unit-test store
for the seeds and merges.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from citegraph.cli import cli
from citegraph.doi import normalize_doi
from citegraph.graphs.build import GraphOptions, build_graph, filter_graph
from citegraph.graphs.citation import citation_graph
from citegraph.graphs.cooccurrence import coupling_graph
from citegraph.sources.importing import import_exports
from citegraph.sources.seeds import Seed
from citegraph.store import Store
from citegraph.store.records import parse_work


@pytest.fixture(scope="module")
def wos_store(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    export = shared_dir / "corpora" / "coffee-obesity-wos" / "data_1_500.txt"
    if not export.is_file():
        pytest.skip("../shared/corpora/coffee-obesity-wos not found: the real WoS export is needed")
    path = tmp_path_factory.mktemp("stored") / "coffee.sqlite"
    with Store(path) as store:
        import_exports(store, [export])
    return path


def test_the_stored_works_graph_is_the_whole_graphs_induced_subgraph(wos_store: Path) -> None:
    with Store(wos_store, readonly=True) as s:
        whole = citation_graph(s)
        local = citation_graph(s, stored_only=True)
        records = [doi for (doi,) in s.execute("SELECT doi FROM works ORDER BY doi")]
    stored = [n for n, d in whole.nodes(data=True) if d["resolved"]]
    assert list(local.nodes) == stored == records and len(records) == 500
    assert whole.number_of_nodes() > 15_000  # the cited works outside the export, left out of `local`
    induced = whole.subgraph(stored)
    assert list(local.edges) == sorted(induced.edges) and local.number_of_edges() > 200
    assert all(local.edges[e] == induced.edges[e] for e in local.edges)
    # every attribute is the whole graph's but the label, made unique among these 500 works only
    for node, attrs in local.nodes(data=True):
        same = {k: v for k, v in whole.nodes[node].items() if k != "label"}
        assert {k: v for k, v in attrs.items() if k != "label"} == same, node
        assert attrs["citations_local"] == local.in_degree(node) == whole.in_degree(node)
    labels = [d["label"] for _, d in local.nodes(data=True)]
    assert len(set(labels)) == len(labels)
    # the filter gives the same graph, labels as the whole graph made them
    filtered = filter_graph(whole, stored_only=True)
    assert list(filtered.nodes) == stored and sorted(filtered.edges) == list(local.edges)


def test_coupling_of_the_stored_works_counts_every_shared_reference(wos_store: Path) -> None:
    o = GraphOptions(normalise="count", stored_only=True)
    with Store(wos_store, readonly=True) as s:
        whole = citation_graph(s)
        coupled = build_graph(s, "coupling", o, citation=whole)
        cocited = build_graph(s, "cocitation", o, citation=whole)
    full = coupling_graph(whole, normalise="count")
    assert coupled.number_of_nodes() == 500  # the stored works: every one of them cites something
    assert {tuple(sorted(e)): d["count"] for *e, d in coupled.edges(data=True)} == \
        {tuple(sorted(e)): d["count"] for *e, d in full.edges(data=True)}  # all coupling pairs are stored works
    assert all(whole.nodes[n]["resolved"] for n in cocited)
    assert cocited.number_of_nodes() < 500 < whole.number_of_nodes()


def test_a_seed_without_a_record_and_merged_aliases(tmp_path: Path) -> None:
    # hand-made unit-test records (not Crossref data): a cites b and the missing seed m; c duplicates b
    works = [{"DOI": "10.5555/a", "reference": [{"key": "1", "DOI": "10.5555/b"}, {"key": "2", "DOI": "10.5555/m"},
                                                {"key": "3", "DOI": "10.5555/c"}]},
             {"DOI": "10.5555/b", "title": ["B"]}, {"DOI": "10.5555/c", "title": ["B"]}]
    with Store(tmp_path / "s.sqlite") as s:
        s.add_works([parse_work(w, source="hand-made") for w in works])
        s.add_seeds([Seed(doi=normalize_doi("10.5555/m"), source="hand-made"),
                     Seed(doi=normalize_doi("10.5555/a"), source="hand-made")])
        s.add_merges([("10.5555/c", "10.5555/b", "hand-made")])
        whole = citation_graph(s)
        local = citation_graph(s, stored_only=True)
        unmerged = citation_graph(s, stored_only=True, merged=False)
    assert whole.nodes["10.5555/m"]["is_seed"] and not whole.nodes["10.5555/m"]["resolved"]
    assert list(local.edges) == [("10.5555/a", "10.5555/b")] and "10.5555/m" not in local
    assert sorted(unmerged.edges) == [("10.5555/a", "10.5555/b"), ("10.5555/a", "10.5555/c")]
    assert "10.5555/m" not in filter_graph(whole, stored_only=True)  # a seed with no record goes too
    assert "10.5555/m" in filter_graph(whole, largest_component=True)  # (other filters keep seeds)
    assert nx.utils.graphs_equal(filter_graph(whole, stored_only=True), whole.subgraph(local.nodes))


def test_the_command_line_option(wos_store: Path) -> None:
    runner = CliRunner()
    whole = runner.invoke(cli, ["--store", str(wos_store), "graph", "--json"])
    local = runner.invoke(cli, ["--store", str(wos_store), "graph", "--json", "--stored-only"])
    assert whole.exit_code == 0 and local.exit_code == 0, local.output
    a, b = json.loads(whole.output), json.loads(local.output)
    assert b["nodes"] == 500 < a["nodes"] and 200 < b["edges"] < a["edges"]
