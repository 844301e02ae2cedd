"""Tests of citegraph.outputs.export: every format written from a hand-made hostile graph and read back by an
independent parser (lxml, networkx, igraph, csv, bibtexparser, rispy), plus the real commonmeta data."""

from __future__ import annotations

import csv
import json
import math
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import igraph
import lxml.etree as etree
import networkx as nx
import pytest
import rispy

from citegraph.errors import UsageError
from citegraph.outputs import export as ex
from citegraph.store import Store
from citegraph.store.records import parse_work

GRAPHML_NS = {"g": "http://graphml.graphdrawing.org/xmlns"}
GEXF_NS = {"x": "http://gexf.net/1.3", "viz": "http://gexf.net/1.3/viz"}

HOSTILE_DOI = "10.1234/<a>;b?c#d"
ESCAPE_DOI = "10.1/../../../escape"  # a DOI that looks like a relative path
QUOTE_DOI = '10.1234/say"hi"\\there'
BIG_TITLE = "x" * 50_000 + " " + "y" * 50_000  # 100 KB


# -- hand-made fixtures ----------------------------------------------------------

def hand_made_hostile_graph(order_seed: int | None = None) -> nx.DiGraph:
    """A hand-made hostile citation graph (not real data): every awkward value an export must survive.

    With ``order_seed``, nodes and edges are inserted in a shuffled order (same graph otherwise).
    """
    nodes: list[tuple[str, dict[str, Any]]] = [
        (HOSTILE_DOI, {
            "doi": HOSTILE_DOI.upper(),
            "title": "Ctl\x00A\x0bB\x1fC <>&\"' <script>alert(1)</script> and <i>italic</i>",
            "authors": ["Doe, Jane", "O'Brien, Pat", "Ünal, Ä"],
            "year": 2001, "score": 3, "flag": True, "mixed": True, "note": None, "id": "shadow",
            "citations_local": 2, "journal": "J. <Hostile>; Studies, \"Quoted\"",
        }),
        ("10.1234/rtl", {
            "title": "\u0639\u0631\u0628\u064a \u05e2\u05d1\u05e8\u05d9\u05ea \u202edesrever\u202c text",
            "year": 1999, "score": 0.25, "flag": False, "mixed": 7, "empty": "   ", "nan": float("nan"),
            "citations_local": 1, "label": "\u05e2\u05d1\u05e8\u05d9\u05ea 1999",
        }),
        ("10.1234/big", {"title": BIG_TITLE, "score": None, "subjects": {"b", "a"}, "citations_local": 0}),
        ("10.1234/emoji\U0001f600", {
            "title": "\U0001d518\U0001d52b\U0001d526 \U0001f600\U0001f9ea astral", "year": 2020, "score": 12,
            "label": "Emoji, 2020; \"x\"", "flag": True, "citations_local": 1,
        }),
        (ESCAPE_DOI, {"title": "path-like DOI", "year": 2010.0, "citations_local": 0}),
        (QUOTE_DOI, {"title": "quote and backslash \\ in DOI", "citations_local": 0}),
    ]
    edges: list[tuple[str, str, dict[str, Any]]] = [
        (HOSTILE_DOI, "10.1234/rtl", {"weight": 1, "sources": ["crossref", "opencitations"], "id": 5}),
        ("10.1234/rtl", "10.1234/big", {"weight": 2.5, "asserted_by": "publisher"}),
        ("10.1234/big", HOSTILE_DOI, {}),
        ("10.1234/emoji\U0001f600", HOSTILE_DOI, {"weight": 3, "sources": "crossref"}),
        ("10.1234/rtl", HOSTILE_DOI, {"weight": 1}),  # mutual with the first edge
        (ESCAPE_DOI, QUOTE_DOI, {"weight": 1}),
        (QUOTE_DOI, "10.1234/emoji\U0001f600", {"weight": 1}),
    ]
    if order_seed is not None:
        rng = random.Random(order_seed)
        rng.shuffle(nodes)
        rng.shuffle(edges)
    G = nx.DiGraph()
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    return G


def hand_made_rankings() -> list[dict[str, Any]]:
    """Hand-made ranking rows shaped like Analysis.rankings (not real data)."""
    return [
        {"rank": 1, "doi": HOSTILE_DOI.upper(), "label": "ignored", "title": "ignored", "year": 1, "composite": 0.9,
         "pagerank": 0.5, "cluster": 9},
        {"rank": 2, "doi": "10.1234/RTL", "composite": 0.4, "pagerank": 0.25, "cluster": None},
    ]


HAND_MADE_CLUSTERS = {HOSTILE_DOI: 1, "10.1234/rtl": 2, "10.1234/big": 1, "10.1234/emoji\U0001f600": 2,
                      ESCAPE_DOI: 3, QUOTE_DOI: 3}


@pytest.fixture
def hostile() -> nx.DiGraph:
    return ex.export_graph(hand_made_hostile_graph(), rankings=hand_made_rankings(), cluster_of=HAND_MADE_CLUSTERS)


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def kind_of(H: nx.Graph, name: str, *, edge: bool = False) -> type:
    rows = [d for _, _, d in H.edges(data=True)] if edge else [d for _, d in H.nodes(data=True)]
    kinds = {type(d[name]) for d in rows if name in d}
    assert len(kinds) == 1, (name, kinds)
    return kinds.pop()


# -- text helpers -----------------------------------------------------------------

def test_clean_text_drops_only_what_xml_forbids() -> None:
    assert ex.clean_text("a\x00b\x08c\x0b\x0cd\x1fe\ufffe\uffff\ud800f") == "abcdef"
    kept = "tab\tnl\ncr\r \u202e\u05d0 \U0001f600 \x7f\x85 <&>"
    assert ex.clean_text(kept) == kept


def test_strip_markup() -> None:
    assert ex.strip_markup("<i>E. coli</i> in H<sub>2</sub>O &amp; 1 < 2 > 0") == "E. coli in H2O & 1 < 2 > 0"
    assert ex.strip_markup("<script>alert(1)</script>  x") == "alert(1) x"
    jats = ('<jats:title>Abstract</jats:title><jats:p>First <jats:italic>it</jats:italic>.</jats:p>'
            '<jats:p>Second.</jats:p>')
    assert ex.strip_markup(jats, abstract=True) == "First it. Second."
    assert ex.strip_markup(jats) == "Abstract First it. Second."


# -- export_graph -------------------------------------------------------------------

def test_export_graph_makes_every_attribute_one_clean_scalar_type(hostile: nx.DiGraph) -> None:
    H = hostile
    assert H.is_directed() and list(H.nodes) == sorted(H.nodes)
    a = H.nodes[HOSTILE_DOI]
    assert a["title"] == "CtlABC <>&\"' <script>alert(1)</script> and <i>italic</i>"
    assert a["authors"] == "Doe, Jane; O'Brien, Pat; Ünal, Ä"
    assert a["id_attr"] == "shadow" and "id" not in a and "note" not in a
    assert a["label"] == HOSTILE_DOI and a["name"] == HOSTILE_DOI      # fallbacks: the key
    assert (a["composite"], a["pagerank"], a["rank"], a["cluster"]) == (0.9, 0.5, 1, 1)   # cluster_of wins
    assert a["year"] == 2001                                             # descriptive ranking columns ignored
    rtl = H.nodes["10.1234/rtl"]
    assert rtl["title"] == "\u0639\u0631\u0628\u064a \u05e2\u05d1\u05e8\u05d9\u05ea \u202edesrever\u202c text"
    assert "empty" not in rtl and "nan" not in rtl
    assert rtl["name"] == rtl["label"] == "\u05e2\u05d1\u05e8\u05d9\u05ea 1999"
    assert H.nodes["10.1234/big"]["title"] == BIG_TITLE and H.nodes["10.1234/big"]["subjects"] == "a; b"
    assert "score" not in H.nodes["10.1234/big"]
    # one type per attribute: int/float -> float, bool/int mix -> str, bools stay bools
    assert kind_of(H, "score") is float and H.nodes[HOSTILE_DOI]["score"] == 3.0
    assert kind_of(H, "year") is float                                   # 2010.0 on one node
    assert kind_of(H, "mixed") is str and (a["mixed"], rtl["mixed"]) == ("true", "7")
    assert kind_of(H, "flag") is bool and kind_of(H, "cluster") is int and kind_of(H, "label") is str
    for _, d in H.nodes(data=True):
        assert isinstance(d["label"], str) and isinstance(d["name"], str)
        assert all(isinstance(v, (bool, int, float, str)) and v is not None for v in d.values())
    # edges: weight everywhere, one type, lists joined, reserved names renamed
    assert kind_of(H, "weight", edge=True) is float
    assert H.edges["10.1234/big", HOSTILE_DOI]["weight"] == 1.0
    first = H.edges[HOSTILE_DOI, "10.1234/rtl"]
    assert first == {"weight": 1.0, "sources": "crossref; opencitations", "id_attr": 5}


def test_export_graph_is_independent_of_insertion_order_and_idempotent() -> None:
    one = ex.export_graph(hand_made_hostile_graph())
    two = ex.export_graph(hand_made_hostile_graph(order_seed=7))
    assert list(one.nodes(data=True)) == list(two.nodes(data=True))
    assert list(one.edges(data=True)) == list(two.edges(data=True))
    again = ex.export_graph(one)
    assert list(again.nodes(data=True)) == list(one.nodes(data=True))


def test_export_graph_refuses_multigraphs_and_colliding_keys() -> None:
    with pytest.raises(UsageError, match="multigraph"):
        ex.export_graph(nx.MultiDiGraph([("a", "b"), ("a", "b")]))
    G = nx.Graph()
    G.add_nodes_from(["10.1/a\x00", "10.1/a"])
    with pytest.raises(UsageError, match=r"both become '10.1/a'"):
        ex.export_graph(G)


def test_export_graph_undirected_orients_edges() -> None:
    G = nx.Graph()  # hand-made
    G.add_edge("b", "a", weight=0.5)
    G.add_edge("c", "a")
    H = ex.export_graph(G)
    assert not H.is_directed()
    assert [(u, v) for u, v, _ in ex._edges(H)] == [("a", "b"), ("a", "c")]
    assert kind_of(H, "weight", edge=True) is float


# -- GraphML ----------------------------------------------------------------------

def graphml_types(path: Path) -> dict[tuple[str, str], str]:
    root = etree.parse(str(path)).getroot()
    keys = root.findall("g:key", GRAPHML_NS)
    ids = [k.get("id") for k in keys]
    assert len(ids) == len(set(ids)), "key ids must be unique"
    declared = [(k.get("for"), k.get("attr.name")) for k in keys]
    assert len(declared) == len(set(declared)), "each attribute declared once"
    assert all(k.get("attr.type") in ("boolean", "long", "double", "string") for k in keys)
    return {(k.get("for"), k.get("attr.name")): k.get("attr.type") for k in keys}


def check_igraph_attr(expected: dict[str, Any], got: dict[str, Any], types: dict[str, str]) -> None:
    for name, kind in types.items():
        value = got[name]
        if name not in expected:  # igraph fills what is absent with its default
            assert (math.isnan(value) if kind in ("long", "double") else value in ("", False)), (name, value)
        elif kind == "boolean":
            assert value is expected[name]
        elif kind in ("long", "double"):
            assert isinstance(value, float) and value == float(expected[name])
        else:
            assert value == expected[name]


def test_graphml_round_trips_through_networkx_and_igraph(hostile: nx.DiGraph, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    assert ex.write_graphml(hostile, path) == [path]
    types = graphml_types(path)
    assert types[("node", "flag")] == "boolean" and types[("node", "score")] == "double"
    assert types[("node", "cluster")] == "long" and types[("node", "mixed")] == "string"
    assert types[("edge", "weight")] == "double"
    text = path.read_text(encoding="utf-8")
    assert "None" not in text and "nan" not in text and "<script>" not in text
    root = etree.parse(str(path)).getroot()
    assert root.find("g:graph", GRAPHML_NS).get("edgedefault") == "directed"

    back = nx.read_graphml(path)
    assert back.is_directed()
    assert dict(back.nodes(data=True)) == dict(hostile.nodes(data=True))
    for u, v, d in hostile.edges(data=True):
        assert back.edges[u, v] == d
    for _, d in back.nodes(data=True):                                  # types too, not just ==
        for k, v in d.items():
            assert type(v) is kind_of(hostile, k)

    g = igraph.Graph.Read_GraphML(str(path))
    assert g.is_directed() and (g.vcount(), g.ecount()) == (hostile.number_of_nodes(), hostile.number_of_edges())
    node_types = {name: kind for (domain, name), kind in types.items() if domain == "node"}
    edge_types = {name: kind for (domain, name), kind in types.items() if domain == "edge"}
    assert set(g.vs.attributes()) == set(node_types) | {"id"}
    for vertex in g.vs:
        attrs = vertex.attributes()
        check_igraph_attr(hostile.nodes[attrs["id"]], attrs, node_types)
    for edge in g.es:
        u, v = g.vs[edge.source]["id"], g.vs[edge.target]["id"]
        check_igraph_attr(hostile.edges[u, v], edge.attributes(), edge_types)


def test_graphml_undirected_and_clashing_key_names(tmp_path: Path) -> None:
    G = nx.Graph()  # hand-made: "kind" on nodes and edges, a name that is not an XML name token
    G.add_node("a", kind="paper", **{"odd name/x": 1})
    G.add_edge("a", "b", kind="cites")
    path = ex.write_graphml(G, tmp_path / "u.graphml")[0]
    types = graphml_types(path)
    assert types[("edge", "kind")] == types[("node", "kind")] == "string"
    assert etree.parse(str(path)).getroot().find("g:graph", GRAPHML_NS).get("edgedefault") == "undirected"
    back = nx.read_graphml(path)
    assert not back.is_directed() and back.edges["a", "b"]["kind"] == "cites"
    assert back.nodes["a"]["odd name/x"] == 1 and back.nodes["a"]["kind"] == "paper"
    g = igraph.Graph.Read_GraphML(str(path))
    assert not g.is_directed() and g.es[0]["kind"] == "cites"


# -- GEXF -------------------------------------------------------------------------

def test_gexf_round_trips_with_start_years(hostile: nx.DiGraph, tmp_path: Path) -> None:
    path = ex.write_gexf(hostile, tmp_path / "g.gexf")[0]
    root = etree.parse(str(path)).getroot()
    assert root.get("version") == "1.3" and root.tag == "{http://gexf.net/1.3}gexf"
    graph = root.find("x:graph", GEXF_NS)
    assert (graph.get("mode"), graph.get("timeformat"), graph.get("defaultedgetype")) == (
        "dynamic", "integer", "directed")
    assert root.find("x:meta", GEXF_NS).get("lastmodifieddate") is None   # no date: byte-stable
    for cls in ("node", "edge"):
        declared = graph.findall(f"x:attributes[@class='{cls}']/x:attribute", GEXF_NS)
        titles = [a.get("title") for a in declared]
        assert titles == sorted(set(titles)) and "id_attr" in titles     # declared once each, per class
        assert [a.get("id") for a in declared] == titles
        assert all(a.get("type") in ("boolean", "long", "double", "string") for a in declared)
    colours = {n.get("id"): n.find("viz:color", GEXF_NS) for n in graph.findall("x:nodes/x:node", GEXF_NS)}
    assert all(c is not None for c in colours.values())
    assert colours[HOSTILE_DOI].attrib == colours["10.1234/big"].attrib != colours["10.1234/rtl"].attrib

    back = nx.read_gexf(path, version="1.3")
    assert back.is_directed() and sorted(back.nodes) == sorted(hostile.nodes)
    for key, d in hostile.nodes(data=True):
        got = dict(back.nodes[key])
        assert got.pop("start", None) == (int(d["year"]) if "year" in d else None)
        assert got.pop("viz")["size"] > 0
        assert got == d and all(type(got[k]) is type(d[k]) for k in d)
    for u, v, d in hostile.edges(data=True):
        got = dict(back.edges[u, v])
        got.pop("id")
        assert got == d


def test_gexf_static_when_no_years(tmp_path: Path) -> None:
    G = nx.Graph([("a", "b")])  # hand-made
    path = ex.write_gexf(G, tmp_path / "s.gexf")[0]
    graph = etree.parse(str(path)).getroot().find("x:graph", GEXF_NS)
    assert graph.get("mode") == "static" and graph.get("timeformat") is None
    back = nx.read_gexf(path, version="1.3")
    assert not back.is_directed() and back.nodes["a"]["label"] == "a"


# -- CSV, Pajek, JSON, VOSviewer ------------------------------------------------------

def test_csv_tables_for_gephi(hostile: nx.DiGraph, tmp_path: Path) -> None:
    nodes_path, edges_path = ex.write_csv(hostile, tmp_path / "graph.csv")
    assert (nodes_path.name, edges_path.name) == ("graph_nodes.csv", "graph_edges.csv")
    assert not (tmp_path / "graph.csv").exists()
    raw = nodes_path.read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    with nodes_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:2] == ["Id", "Label"] and "id_attr" in rows[0] and "label" not in rows[0]
    assert [r["Id"] for r in rows] == sorted(hostile.nodes)
    for row in rows:
        d = hostile.nodes[row["Id"]]
        assert row["Label"] == d["label"]
        for name, cell in row.items():
            if name not in ("Id", "Label"):
                assert cell == (ex._format(d[name]) if name in d else "")
    with edges_path.open(encoding="utf-8", newline="") as fh:
        edges = list(csv.DictReader(fh))
    assert list(edges[0])[:4] == ["Source", "Target", "Type", "Weight"]
    assert "id_attr" in edges[0]
    assert [(e["Source"], e["Target"]) for e in edges] == sorted(hostile.edges)
    assert {e["Type"] for e in edges} == {"Directed"}
    assert [float(e["Weight"]) for e in edges] == [hostile.edges[u, v]["weight"] for u, v in sorted(hostile.edges)]


def test_csv_renames_columns_gephi_would_take(tmp_path: Path) -> None:
    G = nx.Graph()  # hand-made
    G.add_node("a", Type="x", start=3)
    G.add_edge("a", "b", type="cites", label="l")
    nodes_path, edges_path = ex.write_csv(G, tmp_path / "g.csv")
    assert nodes_path.read_text(encoding="utf-8").splitlines()[0] == "Id,Label,Type,name,start_attr"
    assert edges_path.read_text(encoding="utf-8").splitlines() == [
        "Source,Target,Type,Weight,label_attr,type_attr", "a,b,Undirected,1,l,cites"]


def test_pajek_reads_back(hostile: nx.DiGraph, tmp_path: Path) -> None:
    path = ex.write_pajek(hostile, tmp_path / "g.net")[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"*Vertices {hostile.number_of_nodes()}" and "*Arcs" in lines
    back = nx.read_pajek(path)
    name = {key: key.replace('"', "'").replace("\\", "/") for key in hostile}
    assert sorted(back.nodes) == sorted(name.values())
    assert back.number_of_edges() == hostile.number_of_edges() and back.is_directed()
    for u, v, d in hostile.edges(data=True):
        assert [e["weight"] for e in back[name[u]][name[v]].values()] == [d["weight"]]
    order = sorted(hostile.nodes)
    assert [back.nodes[name[k]]["id"] for k in order] == [str(i) for i in range(1, len(order) + 1)]
    g = igraph.Graph.Read_Pajek(str(path))                                 # a second, independent reader
    assert g.is_directed() and g.vs["name"] == [name[k] for k in order]
    assert sorted((g.vs[e.source]["name"], g.vs[e.target]["name"], e["weight"]) for e in g.es) == sorted(
        (name[u], name[v], d["weight"]) for u, v, d in hostile.edges(data=True))


def test_pajek_undirected_and_names_kept_unique(tmp_path: Path) -> None:
    G = nx.Graph()  # hand-made: two keys equal once quotes are made safe
    G.add_edge('10.1/a"b', "10.1/a'b", weight=2)
    path = ex.write_pajek(G, tmp_path / "u.net")[0]
    assert path.read_text(encoding="utf-8").splitlines() == [
        "*Vertices 2", "1 \"10.1/a'b\"", "2 \"10.1/a'b (2)\"", "*Edges", "1 2 2"]
    back = nx.read_pajek(path)
    assert not back.is_directed() and sorted(back.nodes) == ["10.1/a'b", "10.1/a'b (2)"]


def test_json_node_link_round_trip(hostile: nx.DiGraph, tmp_path: Path) -> None:
    path = ex.write_json(hostile, tmp_path / "g.json")[0]
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [n["id"] for n in data["nodes"]] == sorted(hostile.nodes)
    assert [(e["source"], e["target"]) for e in data["links"]] == sorted(hostile.edges)
    back = nx.node_link_graph(data, edges="links")
    assert back.is_directed() and not back.is_multigraph()
    assert list(back.nodes(data=True)) == list(hostile.nodes(data=True))
    for key, d in back.nodes(data=True):
        assert all(type(v) is type(hostile.nodes[key][k]) for k, v in d.items())
    assert sorted(back.edges(data=True)) == sorted(hostile.edges(data=True))
    assert "\\ud83d" not in path.read_text(encoding="utf-8")   # UTF-8, not escapes


def parse_vos_map(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    return rows[0], rows[1:]


def test_vosviewer_map_and_network(hostile: nx.DiGraph, tmp_path: Path) -> None:
    map_path, net_path = ex.write_vosviewer(hostile, tmp_path / "vos.txt")
    assert (map_path.name, net_path.name) == ("vos_map.txt", "vos_network.txt")
    header, rows = parse_vos_map(map_path)
    assert header == ["id", "label", "description", "url", "cluster", "weight<Citations>", "score<Year>",
                      "score<Composite score>", "score<PageRank>"]
    assert all(len(r) == len(header) for r in rows)
    keys = sorted(hostile.nodes)
    assert [r[0] for r in rows] == [str(i) for i in range(1, len(keys) + 1)]
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    for i, key in enumerate(keys, start=1):
        d, row = hostile.nodes[key], by_id[i]
        assert row["label"] == d["label"].replace('"', "'")
        assert row["cluster"] == str(d["cluster"]) and 1 <= int(row["cluster"]) <= 1000
        assert row["weight<Citations>"] == str(d["citations_local"])
        assert row["score<Year>"] == (str(int(d["year"])) if "year" in d else "")
        assert row["url"].startswith("https://doi.org/") and not re.search(r"[\s<>#?;,\"]", row["url"])
    text = map_path.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert '"Emoji, 2020; \'x\'"' in text                      # , and ; need the quotes
    assert by_id[keys.index(HOSTILE_DOI) + 1]["url"] == "https://doi.org/10.1234/%3CA%3E%3BB%3FC%23D"

    links = [line.split("\t") for line in net_path.read_text(encoding="utf-8").splitlines()]
    pairs = [(int(a), int(b)) for a, b, _ in links]
    assert all(len(link) == 3 for link in links) and pairs == sorted(set(pairs))
    assert all(1 <= a < b <= len(keys) for a, b in pairs)
    strength = {(keys[a - 1], keys[b - 1]): float(s) for (a, b), (_, _, s) in zip(pairs, links, strict=True)}
    mutual = (HOSTILE_DOI, "10.1234/rtl") if HOSTILE_DOI < "10.1234/rtl" else ("10.1234/rtl", HOSTILE_DOI)
    assert strength[mutual] == 2.0                               # a -> b and b -> a added
    assert len(strength) == hostile.number_of_edges() - 1


def test_vosviewer_without_clusters_or_scores(tmp_path: Path) -> None:
    G = nx.Graph()  # hand-made
    G.add_node("a", cluster=1)
    G.add_node("b", cluster=1001)
    G.add_edge("a", "b", weight=-1.0)
    G.add_edge("a", "a", weight=3)
    map_path, net_path = ex.write_vosviewer(G, tmp_path / "v.txt")
    header, rows = parse_vos_map(map_path)
    assert header == ["id", "label", "description", "url"] and len(rows) == 2
    assert net_path.read_text(encoding="utf-8") == ""


# -- files: stability, confinement, atomicity, errors -----------------------------------------

def test_every_graph_format_is_byte_stable_and_writes_only_its_files(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two" / "deeper"
    written: dict[str, list[Path]] = {}
    for fmt in ex.GRAPH_FORMATS:
        name = ex.EXPORT_FORMATS[fmt]
        first = ex.export(fmt, one / name, graph=hand_made_hostile_graph())
        again = ex.export(fmt, one / name, graph=hand_made_hostile_graph())
        other = ex.export(fmt, two / name, graph=hand_made_hostile_graph(order_seed=3))
        assert first == again
        for a, b in zip(first, other, strict=True):
            assert a.read_bytes() == b.read_bytes() and a.name == b.name
        written[fmt] = first
    expected = {p for paths in written.values() for p in paths}
    assert files_under(one) == expected                     # nothing named after a DOI, no temp files left
    assert {p.name for p in expected} == {
        "citegraph.graphml", "citegraph.gexf", "citegraph_nodes.csv", "citegraph_edges.csv", "citegraph.net",
        "citegraph.json", "citegraph_vos_map.txt", "citegraph_vos_network.txt"}
    assert not (tmp_path / "escape").exists() and files_under(tmp_path) == expected | files_under(two)
    for path in (written["graphml"][0], written["gexf"][0]):
        etree.parse(str(path))                                # well-formed


def test_atomic_write_keeps_the_old_file_when_replacing_fails(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "g.json"
    path.write_text("old", encoding="utf-8")

    def fail(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ex.os, "replace", fail)
    with pytest.raises(UsageError, match=r"cannot write .*g.json.*No space left on device"):
        ex.write_json(nx.Graph([("a", "b")]), path)
    assert path.read_text(encoding="utf-8") == "old" and files_under(tmp_path) == {path}


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = ex.write_json(nx.Graph([("a", "b")]), tmp_path / "g.json")[0]
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def test_unknown_format_and_unwritable_paths(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        ex.export("svg", tmp_path / "x.svg", graph=nx.Graph())
    assert "'svg'" in str(info.value) and all(name in str(info.value) for name in ex.EXPORT_FORMATS)
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for fmt in ex.GRAPH_FORMATS:
        with pytest.raises(UsageError, match=r"cannot write .*file/sub"):
            ex.export(fmt, blocker / "sub" / "out.x", graph=nx.Graph([("a", "b")]))
    with Store(":memory:") as store:
        with pytest.raises(UsageError, match="cannot write"):
            ex.export("bibtex", blocker / "refs.bib", store=store, keys=["10.1/a"])
        with pytest.raises(UsageError, match="needs a graph"):
            ex.export("graphml", tmp_path / "g.graphml", store=store)
    with pytest.raises(UsageError, match="needs a store"):
        ex.export("ris", tmp_path / "r.ris", graph=nx.Graph())
    with pytest.raises(UsageError, match="cannot write"):
        ex.write_graphml(nx.Graph([("a", "b")]), tmp_path)            # a folder, not a file
    assert files_under(tmp_path) == {blocker}


def test_doi_url_encodes_what_a_url_cannot_hold() -> None:
    assert ex.doi_url("10.1002/(SICI)1097-0258(19980715)17:13<1495::AID>3.0.CO;2-I") == (
        "https://doi.org/10.1002/(SICI)1097-0258(19980715)17%3A13%3C1495%3A%3AAID%3E3.0.CO%3B2-I")
    assert ex.doi_url('10.1/a b"#?%') == "https://doi.org/10.1/a%20b%22%23%3F%25"


def test_export_formats_table() -> None:
    assert ex.EXPORT_FORMATS == {
        "graphml": "citegraph.graphml", "gexf": "citegraph.gexf", "csv": "citegraph.csv",
        "pajek": "citegraph.net", "json": "citegraph.json", "vosviewer": "citegraph_vos.txt",
        "bibtex": "citegraph.bib", "ris": "citegraph.ris"}
    assert set(ex.GRAPH_FORMATS) | set(ex.REFERENCE_FORMATS) == set(ex.EXPORT_FORMATS)


# -- BibTeX and RIS ---------------------------------------------------------------------

_UNESCAPE = re.compile(r"\\(textbackslash|textbraceleft|textbraceright|textasciitilde|textasciicircum)\{\}"
                       r"|\\([&%$#_])")
_MACROS = {"textbackslash": "\\", "textbraceleft": "{", "textbraceright": "}", "textasciitilde": "~",
           "textasciicircum": "^"}


def bib_decode(value: str) -> str:
    """Undo citegraph's BibTeX escapes (test-side, written from the documented escape table)."""
    return _UNESCAPE.sub(lambda m: _MACROS[m.group(1)] if m.group(1) else m.group(2), value)


def hand_made_record(doi: str, **fields: Any) -> dict[str, Any]:
    """A hand-made Crossref-shaped record (not real data)."""
    record: dict[str, Any] = {"DOI": doi, "type": "journal-article", "issued": {"date-parts": [[2018, 3]]}}
    record.update(fields)
    return record


HAND_MADE_RECORDS = [
    hand_made_record("10.5555/Noise.1", title=["Noise in <i>E. coli</i>: R&amp;D"],
                     author=[{"family": "Smith", "given": "Jane", "sequence": "first"},
                             {"family": "Doe", "given": "J. R.", "suffix": "Jr."}],
                     **{"container-title": ["J. Noise & Signal"], "volume": "12", "issue": "3",
                        "page": "101-119", "publisher": "Hand & Made", "ISSN": ["1234-5678", "8765-4321"],
                        "abstract": "<jats:title>Abstract</jats:title><jats:p>We <jats:italic>test</jats:italic>"
                                    " 50% of $x_1$ {braces} ~^ \\ #1.</jats:p>"}),
    hand_made_record("10.5555/noise.2", title=["The noise strikes back"],
                     author=[{"family": "Smith", "given": "John"}]),
    hand_made_record("10.5555/noise.3", title=["Noise, again"], author=[{"family": "Smith", "given": "A"}]),
    hand_made_record("10.5555/chapter", type="book-chapter", title=["A chapter"],
                     author=[{"family": "Müller-Łęcki", "given": "Zoë"}], **{"container-title": ["The Book"]}),
    hand_made_record("10.5555/thesis", type="dissertation", title=["On theses"], author=[{"name": "WHO Group"}],
                     institution=[{"name": "Uni of Hand, Made"}], issued={"date-parts": [[None]]}),
    hand_made_record("10.5555/report", type="report", title=["Report and more"], publisher="Agency"),
    hand_made_record("10.5555/conf", type="proceedings-article", title=["Conference talk"],
                     author=[{"given": "Madonna"}], **{"container-title": ["Proc. Things"]}),
    hand_made_record("10.5555/book", type="book", title=["Big book"], ISBN=["978-3-16-148410-0"],
                     author=[{"family": "Writer", "given": "W"}], publisher="Press"),
    hand_made_record("10.5555/preprint", type="posted-content", title=["\u05e2\u05d1\u05e8\u05d9\u05ea \U0001f600"],
                     author=[{"family": "\u05db\u05d4\u05df", "given": "A"}]),
]
RANKED = ["10.5555/noise.2", "10.5555/noise.1", "10.5555/chapter", "10.9999/cited-only", "10.5555/noise.3",
          "10.5555/thesis", "10.5555/report", "10.5555/conf", "10.5555/book", "10.5555/preprint",
          "10.5555/NOISE.1", HOSTILE_DOI]
EXPECTED_KEYS = ["smith2018noisea", "smith2018noiseb", "mullerlecki2018chapter", "doi10_9999_cited_only",
                 "smith2018noisec", "whondtheses", "anon2018report", "madonna2018conference", "writer2018big",
                 "anon2018", "doi10_1234_a_b_c_d"]
EXPECTED_TYPES = ["article", "article", "incollection", "misc", "article", "phdthesis", "techreport",
                  "inproceedings", "book", "misc", "misc"]


@pytest.fixture
def hand_made_store(tmp_path: Path) -> Iterator[Store]:
    """A store of the hand-made records above."""
    with Store(tmp_path / "hand-made.sqlite") as store:
        store.add_works([parse_work(r, source="hand-made") for r in HAND_MADE_RECORDS])
    with Store(tmp_path / "hand-made.sqlite", readonly=True) as store:
        yield store


def cited_only_graph() -> nx.DiGraph:
    """Hand-made: what a citation graph knows of a cited-only work."""
    G = nx.DiGraph()
    G.add_node("10.9999/cited-only", doi="10.9999/Cited-Only", title="Cited <b>only</b>", year=1990,
               journal="Old J.", resolved=False)
    return G


def test_citation_keys_collide_in_given_order(hand_made_store: Store) -> None:
    keys = ex.citation_keys(hand_made_store, RANKED)
    assert list(keys.values()) == EXPECTED_KEYS
    assert ex.citation_keys(hand_made_store, ["10.5555/noise.2"]) == {"10.5555/noise.2": "smith2018noise"}


def test_bibtex_of_hand_made_records(hand_made_store: Store, tmp_path: Path) -> None:
    path = ex.write_bibtex(hand_made_store, RANKED, tmp_path / "refs.bib", graph=cited_only_graph())[0]
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == EXPECTED_KEYS
    assert [e.entry_type for e in library.entries] == EXPECTED_TYPES
    entries = {e.key: {f.key: f.value for f in e.fields} for e in library.entries}
    noise = entries["smith2018noiseb"]
    assert {k: bib_decode(v) for k, v in noise.items()} == {
        "author": "Smith, Jane and Doe, Jr., J. R.", "title": "Noise in E. coli: R&D", "journal": "J. Noise & Signal",
        "volume": "12", "number": "3", "pages": "101--119", "year": "2018", "publisher": "Hand & Made",
        "issn": "1234-5678, 8765-4321", "doi": "10.5555/Noise.1", "url": "https://doi.org/10.5555/Noise.1",
        "abstract": "We test 50% of $x_1$ {braces} ~^ \\ #1."}
    assert noise["abstract"] == (r"We test 50\% of \$x\_1\$ \textbraceleft{}braces\textbraceright{} "
                                 r"\textasciitilde{}\textasciicircum{} \textbackslash{} \#1.")
    assert entries["mullerlecki2018chapter"]["author"] == "Müller-Łęcki, Zoë"
    assert entries["mullerlecki2018chapter"]["booktitle"] == "The Book"
    assert entries["whondtheses"]["author"] == "{WHO Group}" and entries["whondtheses"]["school"] == "Uni of Hand, Made"
    assert "year" not in entries["whondtheses"]
    assert entries["anon2018report"]["institution"] == "Agency" and "author" not in entries["anon2018report"]
    assert entries["madonna2018conference"]["author"] == "{Madonna}"
    assert entries["writer2018big"]["isbn"] == "978-3-16-148410-0"
    assert entries["anon2018"]["title"] == "\u05e2\u05d1\u05e8\u05d9\u05ea \U0001f600"
    assert entries["doi10_9999_cited_only"] == {"title": "Cited only", "howpublished": "Old J.", "year": "1990",
                                                "doi": "10.9999/Cited-Only",
                                                "url": "https://doi.org/10.9999/Cited-Only"}
    assert entries["doi10_1234_a_b_c_d"] == {"doi": HOSTILE_DOI, "url": ex.doi_url(HOSTILE_DOI)}
    assert {p.name for p in files_under(tmp_path) if not p.name.startswith("hand-made.sqlite")} == {"refs.bib"}


def test_ris_of_hand_made_records(hand_made_store: Store, tmp_path: Path) -> None:
    path = ex.write_ris(hand_made_store, RANKED, tmp_path / "refs.ris")[0]
    text = path.read_text(encoding="utf-8")
    records = text.strip("\n").split("\n\n")
    assert len(records) == len(EXPECTED_KEYS)
    for record in records:
        lines = record.split("\n")
        assert lines[0].startswith("TY  - ") and lines[-1] == "ER  - "
        assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .+", line) for line in lines[:-1])
    entries = rispy.loads(text)
    assert [e["id"] for e in entries] == EXPECTED_KEYS
    assert [e["type_of_reference"] for e in entries] == ["JOUR", "JOUR", "CHAP", "GEN", "JOUR", "THES", "RPRT",
                                                         "CPAPER", "BOOK", "GEN", "GEN"]
    noise = entries[1]
    assert noise["authors"] == ["Smith, Jane", "Doe, J. R., Jr."]
    assert (noise["title"], noise["secondary_title"], noise["start_page"], noise["end_page"]) == (
        "Noise in E. coli: R&D", "J. Noise & Signal", "101", "119")
    assert (noise["year"], noise["doi"], noise["issn"], noise["publisher"]) == (
        "2018", "10.5555/Noise.1", "1234-5678, 8765-4321", "Hand & Made")
    assert noise["abstract"] == "We test 50% of $x_1$ {braces} ~^ \\ #1."
    assert entries[3] == {"type_of_reference": "GEN", "id": "doi10_9999_cited_only", "doi": "10.9999/cited-only",
                          "urls": ["https://doi.org/10.9999/cited-only"]}           # no graph: DOI only
    assert entries[5]["authors"] == ["WHO Group"] and entries[5]["publisher"] == "Uni of Hand, Made"
    assert entries[10]["doi"] == HOSTILE_DOI


def test_bibtex_and_ris_are_byte_stable(hand_made_store: Store, tmp_path: Path) -> None:
    for fmt in ex.REFERENCE_FORMATS:
        first = ex.export(fmt, tmp_path / "a" / "refs", store=hand_made_store, keys=RANKED)[0].read_bytes()
        again = ex.export(fmt, tmp_path / "b" / "refs", store=hand_made_store, keys=iter(RANKED))[0].read_bytes()
        assert first == again
    default = ex.export("ris", tmp_path / "all.ris", store=hand_made_store)[0]
    assert len(rispy.loads(default.read_text(encoding="utf-8"))) == len(HAND_MADE_RECORDS)


# -- real data --------------------------------------------------------------------------

@pytest.mark.shared
def test_real_commonmeta_bibtex_and_ris(commonmeta_store: Path, tmp_path: Path) -> None:
    with Store(commonmeta_store, readonly=True) as store:
        works = list(store.works())
        keys = [w["doi"] for w in works]
        bib = ex.write_bibtex(store, keys, tmp_path / "real.bib")[0]
        ris = ex.write_ris(store, keys, tmp_path / "real.ris")[0]
    assert len(works) == 50
    library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
    assert library.failed_blocks == [] and len(library.entries) == len(works)
    assert len({e.key for e in library.entries}) == len(works)
    bib_by_doi = {e.fields_dict["doi"].value.lower(): e for e in library.entries}
    ris_by_doi = {e["doi"].lower(): e for e in rispy.loads(ris.read_text(encoding="utf-8"))}
    for w in works:
        assert w["doi"] in bib_by_doi and w["doi"] in ris_by_doi
        title = ex.strip_markup(w["title"]) if w["title"] else None
        entry = bib_by_doi[w["doi"]]
        assert (bib_decode(entry.fields_dict["title"].value) if "title" in entry.fields_dict else None) == title
        assert ris_by_doi[w["doi"]].get("title") == title
        assert entry.key == ris_by_doi[w["doi"]]["id"]


@pytest.mark.shared
def test_real_commonmeta_analysis_graphml(commonmeta_analysis: Any, tmp_path: Path) -> None:
    a = commonmeta_analysis
    H = ex.export_graph(a.citation, rankings=a.rankings, cluster_of=a.cluster_of)
    path = ex.export("graphml", tmp_path / "real.graphml", graph=H)[0]
    types = graphml_types(path)
    assert types[("node", "cluster")] == "long" and types[("node", "year")] == "long"
    assert types[("node", "composite")] == "double" and types[("node", "is_seed")] == "boolean"
    back = nx.read_graphml(path)
    assert (back.number_of_nodes(), back.number_of_edges()) == (500, 450)
    assert all(type(d["cluster"]) is int for _, d in back.nodes(data=True) if "cluster" in d)
    assert {k: d["cluster"] for k, d in back.nodes(data=True) if "cluster" in d} == {
        k: v for k, v in a.cluster_of.items() if k in a.citation}
    ranked = {row["doi"].lower(): row["composite"] for row in a.rankings}
    assert all(back.nodes[k]["composite"] == ranked[k] for k in back if k in ranked)
    g = igraph.Graph.Read_GraphML(str(path))
    assert (g.vcount(), g.ecount()) == (500, 450) and g.is_directed()
    assert sorted(g.vs["id"]) == sorted(a.citation.nodes)
