"""Hostile metadata stays inert: control characters, XML specials, ``<script>`` in titles, right-to-left text,
100 KB titles and DOIs with ``<>;/?#`` go through ``citegraph export`` and ``citegraph report`` into files that
still validate, show the text as text, and are written only where they were asked to be.

The records are HAND-MADE (Crossref-shaped, DOIs under the test prefix 10.5555); they are not Crossref data.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from citegraph.cli import cli
from citegraph.store import Store
from citegraph.store.records import parse_work

TITLES = [
    "<script>alert(1)</script>",
    "</script><script>alert(2)</script>",
    "<img src=x onerror=alert(3)>",
    "Control\x00\x01\x0b\x1f\x7f characters",
    "<i>Italic</i> &amp; <b>bold</b> & a bare ampersand, \"double\" and 'single' quotes",
    "\u202eRTL override\u202c עברית والعربية",
    "$\\frac{1}{0}$ unbalanced $ dollar \\ backslash {brace ^ _ % #",
    "A 100 KB title " + "lorem ipsum " * 8_500,
    "Emoji 🧬 and astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "Lone surrogate \ud800 and noncharacter \uffff",
]
DOIS = [
    "10.5555/<script>alert(4)</script>",
    "10.5555/a;b?c#d",
    "10.5555/../../../escape",
    '10.5555/"quoted"&amp',
    "10.5555/plain-1",
    "10.5555/plain-2",
    "10.5555/rtl-עברית-والعربية",  # (U+202E in a DOI is rejected when parsed: see test_doi)
    "10.5555/long",
    "10.5555/emoji-🧬",
    "10.5555/surrogate",
]


def hostile_records() -> list[dict]:
    """HAND-MADE records: each cites the next two, so the graph has links and clusters."""
    records = []
    for i, (doi, title) in enumerate(zip(DOIS, TITLES, strict=True)):
        records.append({
            "DOI": doi, "title": [title], "type": "journal-article",
            "container-title": [f"Journal <b>{i}</b> & \x07 Co"],
            "author": [{"given": "Ann<script>", "family": f"O'Brien-{i} \u202e"}, {"family": "Müller & Søn"}],
            "issued": {"date-parts": [[2000 + i]]}, "published": {"date-parts": [[2000 + i]]},
            "is-referenced-by-count": i, "references-count": 2,
            "abstract": f"<jats:p>Abstract with <script>alert({i})</script> &lt;tags&gt;</jats:p>",
            "reference": [{"key": f"r{j}", "DOI": DOIS[(i + j) % len(DOIS)]} for j in (1, 2)],
        })
    return records


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.sqlite"
    with Store(path) as store:
        store.add_works([parse_work(r, source="hand-made") for r in hostile_records()])
        assert store.counts()["works"] == len(DOIS)
    return path


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile_store: Path) -> Path:
    """An empty working folder beside the store; every CITEGRAPH_* variable unset."""
    for name in list(os.environ):
        if name.startswith("CITEGRAPH_"):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def invoke(store: Path, *args: str):
    return CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False)


def test_exports_of_hostile_records_validate_and_stay_in_their_folder(workdir: Path, hostile_store: Path) -> None:
    import igraph
    import networkx as nx
    from lxml import etree

    before = files_under(workdir.parent)
    result = invoke(hostile_store, "export")
    assert result.exit_code == 0, result.stderr
    new = files_under(workdir.parent) - before
    assert new and all(p.parent == workdir / "data" for p in new), sorted(map(str, new))
    data = workdir / "data"
    for name in ("citegraph.graphml", "citegraph.gexf"):
        etree.parse(str(data / name))  # well-formed, or lxml raises
        raw = (data / name).read_text(encoding="utf-8")
        assert "<script>" not in raw and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", raw)
    G = nx.read_graphml(data / "citegraph.graphml")
    assert G.number_of_nodes() == len(DOIS) and G.number_of_edges() == 2 * len(DOIS)
    titles = {d["title"] for _, d in G.nodes(data=True)}
    assert any("alert(1)" in t for t in titles)  # kept as text
    assert max(len(t) for t in titles) > 100_000  # the long title is not cut by the export
    g = igraph.Graph.Read_GraphML(str(data / "citegraph.graphml"))
    assert (g.vcount(), g.ecount()) == (len(DOIS), 2 * len(DOIS))
    X = nx.read_gexf(data / "citegraph.gexf", version="1.3")
    assert X.number_of_nodes() == len(DOIS)
    assert sorted(d["start"] for _, d in X.nodes(data=True)) == list(range(2000, 2000 + len(DOIS)))


def test_the_report_shows_hostile_text_inert(workdir: Path, hostile_store: Path) -> None:
    from html.parser import HTMLParser

    before = files_under(workdir.parent)
    result = invoke(hostile_store, "report")
    assert result.exit_code == 0, result.stderr
    new = files_under(workdir.parent) - before
    assert new and all(p.parent in (workdir / "data", workdir / "figures") for p in new), sorted(map(str, new))
    page = (workdir / "data" / "report.html").read_text(encoding="utf-8")

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.scripts: list[dict] = []
            self.handlers: list[tuple[str, str]] = []
            self.urls: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag == "script":
                self.scripts.append(dict(attrs))
            self.handlers += [(tag, k) for k, _ in attrs if k.lower().startswith("on")]
            self.urls += [v for k, v in attrs if k in ("src", "href") and v and re.match(r"(?i)\s*(https?:)?//", v)]

    parser = Collect()
    parser.feed(page)
    # exactly the page's own two scripts: the JSON data block and the code
    assert [s.get("type") for s in parser.scripts] == ["application/json", None], parser.scripts
    assert parser.handlers == []
    assert parser.urls == []  # nothing loaded from elsewhere (DOI links are built by the script)
    # the hostile strings are in the page only as escaped data
    assert "<script>alert" not in page and not re.search(r"<img[^>]*onerror", page)
    assert "alert(1)" in page
