"""citegraph.outputs.report: the self-contained HTML report, checked statically and in a real headless browser.

The browser tests drive Debian's chromium (``/usr/bin/chromium``) with playwright's sync API; they are
skipped when playwright is not importable or chromium is not installed. One browser serves the module.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import string
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pytest

import citegraph.outputs.report as report_module
from citegraph.analysis.coverage import coverage_report
from citegraph.analysis.pipeline import Analysis, analyse
from citegraph.doi import normalize_doi
from citegraph.errors import UsageError
from citegraph.outputs.report import (
    MAX_TEXT,
    clean_text,
    doi_url,
    json_for_html,
    network_layout,
    render_report,
    write_report,
)
from citegraph.sources.seeds import Seed
from citegraph.store import Store
from citegraph.store.records import parse_work

REAL_MAX_NODES = 480  # fewer than the 500 works of the commonmeta graph (the limit is exercised), with links

# Hand-made hostile values (not real records): markup, script, RTL override, controls, a huge title, a nasty DOI.
EVIL_DOI = '10.9999/evil<>";/?#x'
HOSTILE_TITLES = [
    "<script>alert(1)</script>",
    "</script><script>alert(2)</script>",
    "<img src=x onerror=alert(3)>",
    "<i>italic</i> title",
    "RTL \u202eevil txt.exe",
    "ctrl \x00\x01\x07\x1b chars",
    "long " + "x" * 100_000,
]


# ------------------------------------------------------------------------------------------------ fixtures


def tiny_png(path: Path) -> Path:
    """A small PNG drawn with matplotlib's object API (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1.5), dpi=50)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([1990, 2000, 2010], [1, 4, 2])
    ax.set_title("hand-made test figure")
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def tiny_svg(path: Path, body: str = '<circle cx="20" cy="20" r="15" fill="#1f77b4"/>') -> Path:
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">{body}</svg>', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def real_report(commonmeta_analysis: Analysis, commonmeta_store: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the real commonmeta analysis (max 480 nodes), with two hand-made figures and full coverage."""
    folder = tmp_path_factory.mktemp("report")
    figures = [tiny_png(folder / "publications_per_year.png"), tiny_svg(folder / "cluster-sizes.svg")]
    with Store(commonmeta_store, readonly=True) as store:
        coverage = coverage_report(store)
    return write_report(commonmeta_analysis, folder / "out" / "report.html", figures=figures, coverage=coverage,
                        source=str(commonmeta_store), max_nodes=REAL_MAX_NODES)


def hostile_records() -> list[dict[str, Any]]:
    """Hand-made Crossref-shaped records with hostile titles, authors, journals and references."""
    records = []
    for i, title in enumerate(HOSTILE_TITLES):
        records.append({
            "DOI": f"10.9999/h{i}", "title": [title], "type": "journal-article",
            "issued": {"date-parts": [[2000 + i]]}, "container-title": ["J <b>Evil</b> &amp; <svg onload=alert(5)>"],
            "author": [{"family": "<svg onload=alert(4)>", "given": "X"}], "is-referenced-by-count": i,
            "reference": [{"key": "r1", "DOI": EVIL_DOI, "article-title": "</script><script>alert(6)</script>",
                           "year": "1999"},
                          {"key": "r2", "DOI": f"10.9999/h{(i + 1) % len(HOSTILE_TITLES)}"}],
        })
    return records


@pytest.fixture(scope="module")
def hostile_analysis(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    """A hand-made hostile store (7 works + 1 cited DOI, 10.9999/h6 a seed) analysed end to end."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.sqlite"
    with Store(path) as store:
        store.add_works([parse_work(r, source="hand-made") for r in hostile_records()])
        store.add_seeds([Seed(normalize_doi("10.9999/h0"), "hand-made")])
        return analyse(store)


@pytest.fixture(scope="module")
def hostile_report(hostile_analysis: Analysis, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-report")
    evil_svg = tiny_svg(folder / "<img src=x onerror=alert(7)>.svg",
                        '<script>alert(8)</script><circle cx="20" cy="20" r="15" onload="alert(9)"/>')
    return write_report(hostile_analysis, folder / "report.html", figures=[evil_svg],
                        title="<script>alert(10)</script> report", source="</title><script>alert(11)</script>")


def page_data(text: str) -> dict[str, Any]:
    """The JSON data block of a rendered page."""
    match = re.search(r'<script type="application/json" id="citegraph-data">(.*?)</script>', text, re.DOTALL)
    assert match, "no data block"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def works_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    columns = data["works"]["columns"]
    return [dict(zip(columns, row, strict=True)) for row in data["works"]["rows"]]


def network_rows(analysis: Analysis, max_nodes: int) -> list[dict[str, Any]]:
    """The ranking rows the network view should show: the best ``max_nodes``, seeds counted among them."""
    return analysis.rankings[:max_nodes]


# ------------------------------------------------------------------------------------------------ unit tests


def test_clean_text_strips_formatting_tags_and_controls_but_keeps_other_markup_literal() -> None:
    assert clean_text("The <i>E. coli</i> <jats:sub>2</jats:sub> <emph type=\"ital\">x</emph>") == "The E. coli 2 x"
    assert clean_text("<script>alert(1)</script>") == "<script>alert(1)</script>"
    assert clean_text("<img src=x onerror=alert(3)>") == "<img src=x onerror=alert(3)>"
    assert clean_text("a &amp; b &apos;c&apos;") == "a & b 'c'"
    assert clean_text("ctrl \x00\x01\x07\x1b\x7f\x85 chars\u202e") == "ctrl chars\u202e"
    assert clean_text("lone \ud800 surrogate") == "lone surrogate"
    assert clean_text(None) is None and clean_text("  \x00 ") is None
    cut = clean_text("y" * 100_000)
    assert cut is not None and len(cut) == MAX_TEXT and cut.endswith("…")


@pytest.mark.parametrize("doi", [EVIL_DOI, "10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P",
                                 "10.1000/ünï cödé!*'~%2F"])
def test_doi_url_matches_the_doi_module_and_never_leaks_a_query_or_fragment(doi: str) -> None:
    url = doi_url(doi)
    assert url.startswith("https://doi.org/10.")
    assert not set(url[len("https://doi.org/"):]) & set("?#<>\" ")
    if "ü" not in doi:
        assert url == normalize_doi(doi).url


def test_json_for_html_cannot_close_the_script_element_and_round_trips() -> None:
    data = {"t": [*HOSTILE_TITLES[:3], "<!-- x -->", "a\u2028b\u2029c & d"], "n": [1, 0.5, None]}
    text = json_for_html(data)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == data
    with pytest.raises(ValueError):
        json_for_html({"x": float("nan")})


def test_network_layout_is_deterministic_packed_and_seeded() -> None:
    import networkx as nx

    G = nx.Graph([("a", "b"), ("b", "c"), ("d", "e")])  # hand-made: two components and two isolates
    G.add_nodes_from(["f", "g"])
    pos, unit = network_layout(G, seed=3)
    assert network_layout(G, seed=3) == (pos, unit)
    assert network_layout(G, seed=4)[0] != pos
    assert set(pos) == set(G) and all(abs(x) <= 1 and abs(y) <= 1 for x, y in pos.values())
    assert 0 < unit < 1
    centre = lambda n: (pos[n][0] ** 2 + pos[n][1] ** 2) ** 0.5
    assert max(centre(n) for n in "abc") < min(centre(n) for n in "fg")  # isolates around the components


def test_real_report_data_is_lean_sorted_and_complete(real_report: Path, commonmeta_analysis: Analysis) -> None:
    text = real_report.read_text(encoding="utf-8")
    data = page_data(text)
    works = works_of(data)
    a = commonmeta_analysis
    assert data["table"] == len(a.rankings) == 500
    assert [w["rank"] for w in works[:500]] == list(range(1, 501))
    assert [w["doi"] for w in works[:500]] == [r["doi"] for r in a.rankings]
    expected = network_rows(a, REAL_MAX_NODES)
    assert len(data["network"]["nodes"]) == len(expected) == REAL_MAX_NODES
    assert [works[n[0]]["doi"] for n in data["network"]["nodes"]] == [r["doi"] for r in expected]
    keys = {str(r["doi"]).lower() for r in expected}
    links = {(u, v) for u, v in a.citation.edges() if u in keys and v in keys}
    assert len(data["network"]["edges"]) == len(links) > 0
    assert len(data["clusters"]) == len(a.clusters) and data["clusters"][0]["cluster"] == 1
    first = works[0]
    row = a.rankings[0]
    assert first["local"] == row["local"] and first["pagerank"] == float(f"{row['pagerank']:.4g}")
    assert text.index('"authors"') < text.index('"works"')  # keys sorted
    assert len(text.encode("utf-8")) < 400_000


def test_report_is_byte_stable_and_the_layout_seed_matters(commonmeta_analysis: Analysis, tmp_path: Path) -> None:
    first = write_report(commonmeta_analysis, tmp_path / "a.html", max_nodes=480)
    second = write_report(commonmeta_analysis, tmp_path / "b.html", max_nodes=480)
    assert first.read_bytes() == second.read_bytes()
    other = render_report(commonmeta_analysis, max_nodes=480, seed=1)
    assert other != first.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.html"]  # no temporary files left


def test_static_html_is_self_contained_with_only_our_scripts(real_report: Path) -> None:
    import lxml.html

    text = real_report.read_text(encoding="utf-8")
    doc = lxml.html.fromstring(text)
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/json", None]
    assert not doc.xpath("//link") and "@import" not in text
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        assert not [name for name in element.attrib if name.lower().startswith("on")], element.tag
        for name in ("src", "href", "action", "srcset", "poster"):
            value = element.get(name)
            assert value is None or not re.match(r"\s*(https?:)?//", value), (element.tag, name, value)
    assert [img.get("src")[:22] for img in doc.xpath("//img")] == ["data:image/png;base64,", "data:image/svg+xml;bas"]
    assert [c.text_content() for c in doc.xpath("//figcaption")] == ["publications per year", "cluster sizes"]
    csp = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp == ["default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"]
    assert "innerHTML" not in text and "outerHTML" not in text and "insertAdjacentHTML" not in text
    assert "document.write" not in text and "eval(" not in text


def test_static_html_of_hostile_records_keeps_every_value_inert(hostile_report: Path) -> None:
    import lxml.html

    text = hostile_report.read_text(encoding="utf-8")
    doc = lxml.html.fromstring(text)
    assert len(doc.xpath("//script")) == 2
    assert not [e for e in doc.iter() if isinstance(e.tag, str) and any(a.lower().startswith("on") for a in e.attrib)]
    assert len(doc.xpath("//img")) == 1 and not doc.xpath("//svg")
    for raw in ("</script><script>alert(2)", "<script>alert(1)", "<img src=x", "<svg onload", "alert(6)</script>",
                "<script>alert(10)", "<script>alert(11)"):
        assert raw not in text
    assert doc.xpath("//h1")[0].text_content() == "<script>alert(10)</script> report"
    assert doc.xpath("//figcaption")[0].text_content() == "<img src=x onerror=alert(7)>"
    titles = {w["doi"]: w["title"] for w in works_of(page_data(text))}
    assert titles["10.9999/h0"] == "<script>alert(1)</script>"
    assert titles["10.9999/h1"] == "</script><script>alert(2)</script>"
    assert titles["10.9999/h3"] == "italic title"
    assert titles["10.9999/h4"] == "RTL \u202eevil txt.exe"
    assert titles["10.9999/h5"] == "ctrl chars"
    assert len(titles["10.9999/h6"]) == MAX_TEXT
    assert titles[EVIL_DOI] == "</script><script>alert(6)</script>"


def test_missing_or_wrong_figures_are_usage_errors(commonmeta_analysis: Analysis, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"'.*nope\.png' does not exist"):
        render_report(commonmeta_analysis, figures=[tmp_path / "nope.png"])
    (tmp_path / "plot.gif").write_bytes(b"GIF89a")
    with pytest.raises(UsageError, match=r"plot\.gif' is not a \.png or \.svg file"):
        render_report(commonmeta_analysis, figures=[tmp_path / "plot.gif"])
    (tmp_path / "fake.png").write_text("not a png", encoding="utf-8")
    with pytest.raises(UsageError, match=r"fake\.png' is not a PNG image"):
        render_report(commonmeta_analysis, figures=[tmp_path / "fake.png"])
    with pytest.raises(UsageError, match="max_nodes 0 must be at least 1"):
        render_report(commonmeta_analysis, max_nodes=0)


def test_unwritable_paths_are_usage_errors_and_leave_nothing_behind(commonmeta_analysis: Analysis,
                                                                   tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    target = blocker / "sub" / "report.html"
    with pytest.raises(UsageError, match=re.escape(f"cannot write {str(target)!r}: ")):
        write_report(commonmeta_analysis, target, max_nodes=20)
    folder = tmp_path / "is-a-folder.html"
    folder.mkdir()
    with pytest.raises(UsageError, match=re.escape(f"cannot write {str(folder)!r}: ")):
        write_report(commonmeta_analysis, folder, max_nodes=20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "is-a-folder.html"]
    assert list(folder.iterdir()) == []



# ------------------------------------------------------------------------------------------------ page files

#: Every placeholder of report.html, i.e. every keyword render_report passes to the template.
TEMPLATE_NAMES = {"csp", "version", "title", "css", "header", "summary", "coverage", "network_shown", "score",
                  "network_eligible", "ranking_shown", "ranked", "figures", "data", "js"}


def package_text(name: str) -> str:
    """A page file as installed with the package (report.html, report.css, report.js)."""
    return files("citegraph.outputs.report").joinpath(name).read_text(encoding="utf-8")


def test_page_inlines_report_css_and_report_js_verbatim(real_report: Path) -> None:
    text = real_report.read_text(encoding="utf-8")
    css, js = package_text("report.css"), package_text("report.js")
    assert ":root{--ink:" in css and 'content:"\\2195"' in css and "#net-canvas{" in css
    assert "window.citegraph = hook;" in js and "JSON.parse(" in js
    assert text.count(f"<style>{css}</style>") == 1
    assert text.count(f"<script>{js}</script>") == 1
    assert text.index("</style>") < text.index("<body>") < text.index("id=\"citegraph-data\"") < text.index(js)
    assert not hasattr(report_module, "_CSS") and not hasattr(report_module, "_JS")


def test_report_js_passes_node_check(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH (apt-get install nodejs); the syntax check of report.js needs it")
    with as_file(files("citegraph.outputs.report").joinpath("report.js")) as script:
        checked = subprocess.run([node, "--check", str(script)], capture_output=True, text=True, timeout=60,
                                 check=False)
    assert checked.returncode == 0, checked.stderr
    broken = tmp_path / "broken.js"  # the check is real: a stray brace fails it
    broken.write_text(package_text("report.js") + "\n}\n", encoding="utf-8")
    failed = subprocess.run([node, "--check", str(broken)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert failed.returncode != 0 and "SyntaxError" in failed.stderr


def test_report_module_holds_no_long_strings_but_docstrings() -> None:
    source = Path(report_module.__file__ or "").read_text(encoding="utf-8")
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                docstrings.add(id(first.value))
    strings = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    long_ones = [(n.lineno, n.value[:60]) for n in strings if id(n) not in docstrings and len(n.value.splitlines()) > 5]
    assert long_ones == []
    assert len([n for n in strings if id(n) in docstrings and len(n.value.splitlines()) > 5]) >= 3  # docstrings seen


def test_template_has_exactly_the_placeholders_the_renderer_fills(monkeypatch: pytest.MonkeyPatch) -> None:
    text = package_text("report.html")
    template = string.Template(text)
    assert template.is_valid() and set(template.get_identifiers()) == TEMPLATE_NAMES
    placeholders = list(template.pattern.finditer(text))
    assert all(m.group("named") or m.group("braced") for m in placeholders)  # no $$ and no stray $
    assert text.count("$") == len(placeholders) >= len(TEMPLATE_NAMES)
    page = template.substitute({name: f"[{name}]" for name in TEMPLATE_NAMES})
    assert "$" not in page and all(f"[{name}]" in page for name in TEMPLATE_NAMES)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    with pytest.raises(KeyError):
        template.substitute(dict.fromkeys(TEMPLATE_NAMES - {"js"}, ""))

    filled: list[set[str]] = []

    class Recording(string.Template):
        def substitute(self, mapping: Any = None, /, **kws: Any) -> str:
            filled.append(set(kws) | set(mapping or {}))
            return super().substitute(mapping or {}, **kws)

    monkeypatch.setattr(report_module, "_template", lambda: Recording(text))
    import networkx as nx

    from citegraph.analysis.pipeline import AnalyseOptions

    G = nx.DiGraph([("10.1/a", "10.1/b")])  # the hand-made two-work analysis of render_report's docstring
    a = Analysis(AnalyseOptions(), G, G.to_undirected(), [], [], {}, [], [], [], {}, [], [], {}, {}, [], {})
    rendered = render_report(a, title="A $title <test>")
    assert filled == [TEMPLATE_NAMES]
    assert "<title>A $title &lt;test&gt;</title>" in rendered  # values are not substituted again


# ------------------------------------------------------------------------------------------------ browser


@dataclass
class Events:
    """What a page did that it should not have."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.errors == [] and self.dialogs == [] and self.requests == []


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(path)`` -> (page, events): loads a report from file:// recording errors, dialogs, requests."""
    contexts = []

    def opener(path: Path) -> tuple[Any, Events]:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        events = Events()
        page.on("console", lambda m: events.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda exc: events.errors.append(f"pageerror: {exc}"))

        def on_dialog(dialog: Any) -> None:
            events.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else events.requests.append(r.url))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("window.citegraph && window.citegraph.total >= 0")
        return page, events

    yield opener
    for context in contexts:
        context.close()


def test_real_report_loads_and_draws_the_network(open_page: Any, real_report: Path,
                                                commonmeta_analysis: Analysis) -> None:
    page, events = open_page(real_report)
    expected = len(network_rows(commonmeta_analysis, REAL_MAX_NODES))
    assert expected == min(REAL_MAX_NODES, len(commonmeta_analysis.rankings)) > 0
    assert page.evaluate("window.citegraph.drawn") == expected
    assert page.evaluate("window.citegraph.total") == expected
    assert page.locator("#net-count").text_content() == f"{expected} of {expected} works shown"
    painted = page.evaluate("""() => {
        const c = document.getElementById('net-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let coloured = 0, total = 0;
        for (let i = 0; i < d.length; i += 4 * 7) {
            total++;
            if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) coloured++;
        }
        return [coloured, total];
    }""")
    assert painted[0] > 0.03 * painted[1], painted  # not blank: a few per cent of the canvas is drawn
    assert page.locator("#ranking-table tbody tr").count() == len(commonmeta_analysis.rankings)
    assert page.locator("#cluster-table tbody tr").count() == len(commonmeta_analysis.clusters)
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    events.assert_clean()


def test_search_finds_a_known_work_and_shows_its_details(open_page: Any, real_report: Path,
                                                        commonmeta_analysis: Analysis) -> None:
    rows = network_rows(commonmeta_analysis, REAL_MAX_NODES)
    hay = [" ".join(clean_text(r.get(f)) or "" for f in ("title", "label", "doi")).lower() for r in rows]
    target, fragment = None, ""
    for row in rows:  # the best ranked titled work whose title fragment finds it first
        title = clean_text(row.get("title")) or ""
        if len(title) >= 30:
            fragment = title[5:25]
            if next(r for r, h in zip(rows, hay, strict=True) if fragment.lower() in h) is row:
                target = row
                break
    assert target is not None
    page, events = open_page(real_report)
    matches = page.evaluate("q => window.citegraph.search(q)", fragment.upper())  # case-insensitive
    assert matches == sum(fragment.lower() in h for h in hay) >= 1
    assert page.evaluate("window.citegraph.selected") == target["doi"]
    details = page.locator("#net-details")
    assert clean_text(target["title"]) in details.text_content()
    link = details.locator('a[href^="https://doi.org/"]')
    assert link.get_attribute("href") == doi_url(target["doi"])
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert "match" in page.locator("#net-search-status").text_content()
    assert page.evaluate("window.citegraph.search('no such work zzzqqq')") == 0
    events.assert_clean()


def test_clicking_a_node_opens_its_details(open_page: Any, real_report: Path, commonmeta_analysis: Analysis) -> None:
    page, events = open_page(real_report)
    page.locator("#net-canvas").scroll_into_view_if_needed()
    box = page.locator("#net-canvas").bounding_box()
    target = None
    for row in network_rows(commonmeta_analysis, REAL_MAX_NODES)[:50]:
        point = page.evaluate("d => window.citegraph.position(d)", row["doi"])
        if point and box["x"] + 150 < point["x"] < box["x"] + box["width"] - 10 \
                and box["y"] + 50 < point["y"] < box["y"] + box["height"] - 10:
            target = row
            break
    assert target is not None and page.evaluate("window.citegraph.selected") is None
    page.mouse.click(point["x"], point["y"])
    assert page.evaluate("window.citegraph.selected") == target["doi"]
    assert clean_text(target["label"]) in page.locator("#net-details h3").text_content()
    assert page.locator('#net-details a[href^="https://doi.org/"]').get_attribute("href") == doi_url(target["doi"])
    events.assert_clean()


def test_year_filter_hides_works_outside_the_range(open_page: Any, real_report: Path,
                                                  commonmeta_analysis: Analysis) -> None:
    rows = network_rows(commonmeta_analysis, REAL_MAX_NODES)
    inside = sum(1 for r in rows if r.get("year") is not None and 2000 <= r["year"] <= 2015)
    undated = sum(1 for r in rows if r.get("year") is None)
    assert 0 < inside < len(rows) - undated and undated > 0
    page, events = open_page(real_report)
    assert page.evaluate("window.citegraph.setYears(2000, 2015)") == inside + undated
    assert page.evaluate("window.citegraph.drawn") == inside + undated
    page.locator("#year-none").uncheck()
    assert page.evaluate("window.citegraph.drawn") == inside
    assert page.locator("#net-count").text_content() == f"{inside} of {len(rows)} works shown"
    page.locator("#year-from").fill("2015")
    page.locator("#year-from").dispatch_event("change")
    assert page.evaluate("window.citegraph.drawn") == sum(1 for r in rows if r.get("year") == 2015)
    events.assert_clean()


def column_values(page: Any, index: int) -> list[float | None]:
    cells = page.eval_on_selector_all(f"#ranking-table tbody tr td:nth-child({index})",
                                      "tds => tds.map(t => t.textContent)")
    return [None if c == "–" else float(c.replace(",", "")) for c in cells]


def test_ranking_table_sorts_numerically_and_reverses(open_page: Any, real_report: Path) -> None:
    page, events = open_page(real_report)
    headers = page.eval_on_selector_all("#ranking-table thead th", "ths => ths.map(t => t.textContent)")
    index = headers.index("Global") + 1
    page.locator("#ranking-table thead th", has_text="Global").click()
    values = column_values(page, index)
    numbers = [v for v in values if v is not None]
    assert len(set(numbers)) > 3 and numbers == sorted(numbers)
    assert values[: len(numbers)] == numbers  # unknown counts last
    page.locator("#ranking-table thead th", has_text="Global").click()
    again = column_values(page, index)
    assert [v for v in again if v is not None] == sorted(numbers, reverse=True)
    assert page.locator("#ranking-table thead th", has_text="Global").get_attribute("aria-sort") == "descending"
    page.locator("#rank-filter").fill("10.5438/")
    shown = page.locator("#ranking-table tbody tr:not([hidden])").count()
    assert 0 < shown < 500 and page.locator("#rank-count").text_content() == f"{shown} of 500 rows"
    events.assert_clean()


def test_full_page_screenshot(open_page: Any, real_report: Path, tmp_path: Path) -> None:
    page, events = open_page(real_report)
    page.evaluate("window.citegraph.search('arabidopsis')")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1400 and height > 3000
    target = os.environ.get("CITEGRAPH_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(target) / "report.png")
    events.assert_clean()


def test_hostile_records_stay_text_in_the_browser(open_page: Any, hostile_report: Path,
                                                 hostile_analysis: Analysis) -> None:
    page, events = open_page(hostile_report)
    assert page.evaluate("document.scripts.length") == 2
    assert page.evaluate("document.images.length") == 1
    assert page.evaluate("document.querySelectorAll('svg').length") == 0
    assert page.evaluate("""() => Array.from(document.querySelectorAll('*'))
        .filter(e => Array.from(e.attributes).some(a => a.name.toLowerCase().startsWith('on'))).length""") == 0
    text = page.evaluate("document.querySelector('main').textContent")  # shown text, not the scripts
    for literal in ("<script>alert(1)</script>", "</script><script>alert(2)</script>", "<img src=x onerror=alert(3)>",
                    "italic title", "RTL \u202eevil txt.exe", "ctrl chars", "<svg onload=alert(4)> 2000",
                    "J Evil & <svg onload=alert(5)>", "</script><script>alert(6)</script>"):
        assert literal in text, literal
    assert "<i>" not in text and "\x00" not in text and "x" * (MAX_TEXT + 1) not in text
    assert page.title() == "<script>alert(10)</script> report"
    # 7 works ranked, all 8 shown (the network limit is 500); the seed is flagged
    assert page.evaluate("window.citegraph.drawn") == len(hostile_analysis.rankings) == 8
    assert page.evaluate("window.citegraph.search('alert(1)')") == 1
    assert "<script>alert(1)</script>" in page.locator("#net-details").text_content()
    assert page.evaluate("d => window.citegraph.select(d)", EVIL_DOI)
    assert page.locator("#net-details a").first.get_attribute("href") == doi_url(EVIL_DOI)
    bidi = page.evaluate("getComputedStyle(document.querySelector('#ranking-table td.title')).unicodeBidi")
    assert bidi == "isolate"
    page.screenshot(path=str(hostile_report.with_suffix(".png")), full_page=True)
    events.assert_clean()


def test_seeds_count_against_the_network_limit(hostile_analysis: Analysis, open_page: Any, tmp_path: Path) -> None:
    seed_rank = next(r["rank"] for r in hostile_analysis.rankings if r["is_seed"])
    assert seed_rank > 3
    path = write_report(hostile_analysis, tmp_path / "small.html", max_nodes=3)
    data = page_data(path.read_text(encoding="utf-8"))
    assert [works_of(data)[n[0]]["rank"] for n in data["network"]["nodes"]] == [1, 2, 3]  # the seed is not added
    with_seed = page_data(render_report(hostile_analysis, max_nodes=seed_rank))
    assert [works_of(with_seed)[n[0]]["rank"] for n in with_seed["network"]["nodes"]] == list(range(1, seed_rank + 1))
    assert works_of(with_seed)[with_seed["network"]["nodes"][-1][0]]["seed"] is True
    page, events = open_page(path)
    assert page.evaluate("window.citegraph.drawn") == 3
    events.assert_clean()
