"""One label rule everywhere ("Surname Year", a/b for collisions) and RPYS peaks named by identifiable works.

Project issue 17. Hand-made records (labelled as such) test each rule; the recorded Crossref data in ``../shared``
(skipped without it) checks the rule at scale.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from citegraph.analysis.pipeline import Analysis, analyse
from citegraph.analysis.rpys import peak_works, reference_years_from_store, rpys, rpys_peaks, rpys_start
from citegraph.graphs.citation import (
    citation_graph,
    family_name,
    node_label,
    text_author,
    text_title,
    text_year,
    unique_labels,
)
from citegraph.outputs import plots
from citegraph.outputs.export import export_graph, write_graphml
from citegraph.store import Store
from citegraph.store.records import parse_work

DOI_LABEL = re.compile(r"^10\.\d{4,9}/")
INITIALS_FIRST = re.compile(r"^(?:[A-Z]\.?){1,3}\s+[A-Z][a-z]+ \d{4}[a-z]?$")  # "S Polasky 2011", "MI Krzywinski 2009"


# -- the family name in every author format -------------------------------------------------------------------


@pytest.mark.parametrize(("written", "surname"), [
    ("S Polasky", "Polasky"),            # Crossref reference author, initials first
    ("Reye RDK", "Reye"),                # Vancouver: initials after
    ("MI Krzywinski", "Krzywinski"),
    ("Krzywinski M.", "Krzywinski"),
    ("M. I. Krzywinski", "Krzywinski"),
    ("J.-P. Sartre", "Sartre"),
    ("DIK Sjøberg", "Sjøberg"),
    ("Krzywinski", "Krzywinski"),        # Crossref family name of a stored work
    ("Doe, Jane", "Doe"),                # "Family, Given" display name
    ("van Dijk", "van Dijk"),            # imported WoS/Scopus surnames with particles
    ("Di Pierro", "Di Pierro"),
    ("JN och Dag", "och Dag"),
    ("Gardner J W", "Gardner"),          # WoS cited author with two initials
    ("ROMEDER", "Romeder"),              # old WoS capitals
    ("Acheson", "Acheson"),              # imported reference: a surname already
    ("Smith J, Jones K", "Smith"),       # a list of authors: the first
    ("D. D. Van Slyke and others", "Van Slyke"),
    ("R Core Team", "R Core Team"),      # organisations stay whole
    ("WHO Europe", "WHO Europe"),
    ("[Anonymous]", None),
    ("", None),
    (None, None),
])
def test_family_name_in_every_author_format(written: str | None, surname: str | None) -> None:
    assert family_name(written) == surname


def test_node_label_surname_year_then_title_then_doi() -> None:
    assert node_label("S Polasky", 2011, "10.5555/x") == "Polasky 2011"
    assert node_label("Reye RDK", 1963, "10.5555/x") == "Reye 1963"
    assert node_label(None, 2006, "10.5555/x", "Global burden of disease and risk factors") == \
        "Global burden of disease and ri… 2006"
    assert node_label(None, None, "10.5555/x", "Short title") == "Short title"
    assert node_label(None, 2006, "10.5555/x") == "10.5555/x"
    assert node_label("[Anonymous]", 2006, "10.5555/x", "  ") == "10.5555/x"


def test_unique_labels_letters_in_key_order() -> None:
    labels = {f"10.5555/k{i:02d}": "Smith 2010" for i in range(28)} | {"10.5555/z": "Doe 2001"}
    out = unique_labels(labels)
    assert [out[f"10.5555/k{i:02d}"] for i in (0, 1, 25, 26, 27)] == [
        "Smith 2010a", "Smith 2010b", "Smith 2010z", "Smith 2010aa", "Smith 2010ab"]
    assert out["10.5555/z"] == "Doe 2001" and len(set(out.values())) == len(out)


@pytest.mark.parametrize(("text", "year", "title", "author"), [
    ("Polasky S, Nelson E, Pennington D (2011) The impact of land-use change on ecosystem services. "
     "Environ Resour Econ 48:219-242", 2011, "The impact of land-use change on ecosystem services", "Polasky"),
    ("Reye RDK, Morgan G, Baral J. Encephalopathy and fatty degeneration of the viscera. Lancet. 1963;2:749-52.",
     1963, "Encephalopathy and fatty degeneration of the viscera", "Reye"),
    ("Krzywinski, M. et al. Circos: an information aesthetic for comparative genomics. Genome Res. 19, "
     "1639-1645 (2009).", 2009, "Circos: an information aesthetic for comparative genomics", "Krzywinski"),
    ("Hudson, C. M., and R. Shine. 2015. Virgins in the vanguard: low reproductive frequency in invasion front "
     "toads. Biological Journal of the Linnean Society.", 2015,
     "Virgins in the vanguard: low reproductive frequency in invasion front toads", "Hudson"),
    ("Yang WY, 2010, NEW ENGL J MED, V362, P1090, DOI 10.1056/NEJMoa0908292", 2010, None, "Yang"),  # WoS: no title
    ("Renear AH. Strategic reading, ontologies, and the future of scientific publishing. Science. 19721;325:828",
     None, "Strategic reading, ontologies, and the future of scientific publishing", "Renear"),  # malformed year
])
def test_citation_strings_are_read(text: str, year: int | None, title: str | None, author: str | None) -> None:
    # hand-written citation strings in the formats Crossref deposits carry (not Crossref data)
    assert (text_year(text), text_title(text), text_author(text)) == (year, title, author)


# -- labels of the citation graph ---------------------------------------------------------------------------------


def _record(doi: str, *, family: str | None = None, year: int | None = None, title: str | None = None,
            refs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A hand-made Crossref-like record (not Crossref data)."""
    record: dict[str, Any] = {"DOI": doi, "reference": refs or []}
    if family:
        record["author"] = [{"family": family, "given": "A", "sequence": "first"}]
    if year:
        record["issued"] = {"date-parts": [[year]]}
    if title:
        record["title"] = [title]
    return record


def _store(path: Path, records: list[dict[str, Any]]) -> Path:
    with Store(path) as store:
        store.add_works([parse_work(r, source="hand-made") for r in records])
    return path


@pytest.fixture
def labelled(tmp_path: Path) -> nx.DiGraph:
    """Hand-made records whose cited works carry their authors in the formats the issue lists."""
    records = [
        _record("10.5555/citing1", family="Acheson", year=2020, refs=[
            {"key": "1", "DOI": "10.5555/polasky", "author": "S Polasky", "year": "2011"},
            {"key": "2", "DOI": "10.5555/reye", "author": "Reye RDK", "year": "1963"},
            {"key": "3", "DOI": "10.5555/circos", "author": "MI Krzywinski", "year": "2009"},
            {"key": "4", "DOI": "10.5555/hive", "author": "Krzywinski M.", "year": "2009"},
            {"key": "5", "DOI": "10.5555/renear", "unstructured":
                "Renear AH, Palmer CL (2009) Strategic reading, ontologies, and the future of scientific publishing. "
                "Science 325:828"},
            {"key": "6", "DOI": "10.5555/notitle", "year": "2012"},
            {"key": "7", "DOI": "10.5555/gbd", "year": "2006", "article-title": "Global burden of disease"},
        ]),
        _record("10.5555/citing2", family="van Dijk", year=2021, refs=[
            {"key": "1", "DOI": "10.5555/circos", "author": "Krzywinski M", "year": "2009"},  # same work, other format
            {"key": "2", "DOI": "10.5555/polasky", "unstructured": "Polasky S (2011) Land use. Econ 48:219"},
        ]),
        _record("10.5555/smith-b", family="Smith", year=2010, title="Second study of citation networks"),
        _record("10.5555/smith-a", family="Smith", year=2010, title="First study of citation networks"),
        _record("10.5555/untitled", year=2015),
    ]
    with Store(_store(tmp_path / "labels.sqlite", records), readonly=True) as store:
        return citation_graph(store)


def test_labels_follow_the_rule(labelled: nx.DiGraph) -> None:
    label = {n: d["label"] for n, d in labelled.nodes(data=True)}
    assert label["10.5555/polasky"] == "Polasky 2011"  # not "S Polasky 2011"
    assert label["10.5555/reye"] == "Reye 1963"  # not "Reye RDK 1963"
    assert label["10.5555/renear"] == "Renear 2009"  # year read from the citation string
    assert labelled.nodes["10.5555/renear"]["title"].startswith("Strategic reading, ontologies")
    assert label["10.5555/citing1"] == "Acheson 2020" and label["10.5555/citing2"] == "van Dijk 2021"
    # one author written "MI Krzywinski" and "Krzywinski M.": one name; two works of 2009: a and b by key
    assert (label["10.5555/circos"], label["10.5555/hive"]) == ("Krzywinski 2009a", "Krzywinski 2009b")
    assert (label["10.5555/smith-a"], label["10.5555/smith-b"]) == ("Smith 2010a", "Smith 2010b")
    assert label["10.5555/gbd"] == "Global burden of disease 2006"  # a title before the DOI
    assert label["10.5555/notitle"] == "10.5555/notitle"  # nothing but a year: the DOI
    assert label["10.5555/untitled"] == "10.5555/untitled"
    assert len(set(label.values())) == len(label)
    assert not [t for t in label.values() if INITIALS_FIRST.match(t)]


def test_every_output_uses_the_graphs_labels(labelled: nx.DiGraph, tmp_path: Path) -> None:
    # the exports take the citation graph's label as is (Gephi/Cytoscape "label" and "name")
    out = write_graphml(export_graph(labelled), tmp_path / "g.graphml")
    back = nx.read_graphml(out[0])
    assert {n: d["label"] for n, d in back.nodes(data=True)} == {n: d["label"] for n, d in labelled.nodes(data=True)}


# -- RPYS ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def lumped(tmp_path: Path) -> Analysis:
    """Hand-made records: 2012 is a peak whose most common references carry only a year (the issue's lump of 11)."""
    year_only = [{"key": f"y{i}", "year": "2012"} for i in range(11)]
    named = [{"key": f"n{i}", "DOI": "10.5555/named2012", "author": "MI Krzywinski", "year": "2012"} for i in range(2)]
    records = [
        _record(f"10.5555/c{i}", family="Roe", year=2020, refs=[
            *({"key": f"a{j}", "DOI": f"10.5555/base{i}-{j}", "year": str(2000 + (i + j) % 20)} for j in range(4)),
            {"key": "c", "unstructured": "Doe J (2012) Classic methods. J Stud 3:1", "year": "20121"},  # malformed
        ] + (year_only + named + [{"key": "b", "DOI": "10.5555/old", "year": "1761"}] if i == 0 else []))
        for i in range(30)  # 164 references, one of them (< 1%) from 1761
    ]
    with Store(_store(tmp_path / "rpys.sqlite", records), readonly=True) as store:
        return analyse(store)


def test_rpys_peak_is_named_by_an_identifiable_work(lumped: Analysis) -> None:
    assert 2012 in lumped.peaks
    works = lumped.peak_works[2012]
    assert works[0] == ("Doe 2012: Classic methods", 30)  # year read from the string, where the field was "20121"
    assert works[1] == ("10.5555/named2012", 2)
    assert not [w for year in lumped.peaks for w, _ in lumped.peak_works[year] if "undescribed" in w]
    count = next(r.references for r in lumped.rpys if r.year == 2012)
    assert count == 11 + 2 + 30 + 5  # the year-only references still count (5: base works of 2012)
    fig = plots.rpys_chart(lumped)
    ax = fig.axes[0]
    text = [t.get_text() for t in ax.texts if t.get_gid() == "peak-label"]
    assert f"2012: Doe 2012: Classic methods · 30 of {count}" in text
    assert not [t for t in text if "undescribed" in t]


def test_rpys_axis_starts_at_a_sensible_year_and_marks_the_peaks(lumped: Analysis) -> None:
    assert lumped.rpys[0].year == 1761  # the data reach back...
    start = rpys_start(lumped.rpys)
    assert start == 2000  # ...but that one of 164 references is less than 1%: the axis starts at 2000
    ax = plots.rpys_chart(lumped).axes[0]
    assert ax.get_xlim()[0] == pytest.approx(1999)
    assert "the first 1% of references, from 1761" in ax.figure.get_supxlabel()
    (marks,) = [c for c in ax.collections if c.get_gid() == "peaks"]
    assert sorted(int(x) for x, _ in marks.get_offsets()) == sorted(p for p in lumped.peaks if p >= 2000) == [2012]
    every = plots.rpys_chart(lumped, start=1761).axes[0]  # the option: every year
    assert every.get_xlim()[0] == pytest.approx(1760)


def test_reference_years_use_matches_and_leave_year_only_references_unnamed(tmp_path: Path) -> None:
    refs = [{"key": "1", "year": "2012"}, {"key": "2", "unstructured": "[Anonymous], 2012, NUTRIENTS"},
            {"key": "3", "author": "S Polasky", "year": "2011"}]
    with Store(_store(tmp_path / "s.sqlite", [_record("10.5555/a", year=2020, refs=refs)]), readonly=True) as store:
        got = reference_years_from_store(store)
    assert got == [(2012, None, None), (2012, None, None), (2011, None, "Polasky 2011")]
    assert peak_works(got, 2012) == []
    variants = [(2020, None, "R Core Team 2020: R: a language"), (2020, None, "R Core Team 2020: R: A  language")]
    assert peak_works(variants, 2020) == [("R Core Team 2020: R: A  language", 2)]  # one work, however written


# -- real data (recorded Crossref works in ../shared) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_labels(shared_corpus: Path) -> tuple[nx.DiGraph, list[tuple[int, str | None, str | None]]]:
    with Store(shared_corpus, readonly=True) as store:
        return citation_graph(store), reference_years_from_store(store)


@pytest.mark.shared
def test_fewer_doi_labels_on_the_crossref_data(
    shared_labels: tuple[nx.DiGraph, list[tuple[int, str | None, str | None]]],
) -> None:
    G, refs = shared_labels
    labels = {n: str(d["label"]) for n, d in G.nodes(data=True)}
    by_doi = sum(1 for t in labels.values() if DOI_LABEL.match(t))
    # measured on these 19,810 nodes: 3,445 (17.4%) labelled by a bare DOI before issue 17, 2,351 (11.9%) after
    assert by_doi / len(labels) < 0.125
    named = [t for t in labels.values() if not DOI_LABEL.match(t)]
    assert len(set(named)) == len(named)  # a and b for collisions
    assert not [t for t in named if INITIALS_FIRST.match(t) and "Consortium" not in t]  # no "S Polasky 2011"
    with_year = [(str(d["year"]), labels[n]) for n, d in G.nodes(data=True) if d.get("year")]
    assert all(year in label for year, label in with_year if not DOI_LABEL.match(label))
    rows = rpys(y for y, _, _ in refs)
    for year in rpys_peaks(rows):
        assert all(w and "undescribed" not in w for w, _ in peak_works(refs, year))
    start = rpys_start(rows)
    assert start is not None and rows[0].year < 1800 < start  # the axis no longer starts in the 1760s


def test_the_rpys_start_reaches_the_saved_figure(lumped: Analysis, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``plot --rpys-from`` / ``save_figures(rpys_from=...)`` hands its year to the RPYS figure only."""
    given: dict[str, dict[str, Any]] = {}
    for name in ("rpys", "publications"):
        drawer = plots.FIGURES[name]

        def spy(analysis: Analysis, _drawer: Any = drawer, _name: str = name, **kwargs: Any) -> Any:
            given[_name] = kwargs
            return _drawer(analysis, **kwargs)

        monkeypatch.setitem(plots.FIGURES, name, spy)
    plots.save_figures(lumped, tmp_path, formats=["svg"], names=["rpys", "publications"], rpys_from=1990)
    assert given["rpys"]["start"] == 1990 and "start" not in given["publications"]
    plots.save_figures(lumped, tmp_path, formats=["svg"], names=["rpys"])
    assert "start" not in given["rpys"]
