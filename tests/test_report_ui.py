"""Browser tests of the report's layout and figure viewer (issue 17): the ranking table fits a 1024 px window, and a
click on a figure opens it full size in a dialog that Esc or its close button closes.

Like ``test_report.py`` they drive Debian's chromium (``/usr/bin/chromium``) with playwright's sync API, and are
skipped when playwright is not importable or chromium is not installed. The reports are made from a hand-made store
of long titles, long journal names, long DOIs and large counts: the widest cells a real store gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citegraph.analysis.pipeline import AnalyseOptions, Analysis, analyse
from citegraph.doi import normalize_doi
from citegraph.outputs.report import write_report
from citegraph.sources.seeds import Seed
from citegraph.store import Store
from citegraph.store.records import parse_work

# Hand-made values as wide as real ones (the WoS coffee/obesity export has titles of 200+ characters and journals
# such as "JAMA-JOURNAL OF THE AMERICAN MEDICAL ASSOCIATION").
JOURNALS = ["JAMA-JOURNAL OF THE AMERICAN MEDICAL ASSOCIATION",
            "JOURNAL OF AGRICULTURAL AND FOOD CHEMISTRY",
            "INTERNATIONAL JOURNAL OF OBESITY AND RELATED METABOLIC DISORDERS",
            "Proceedings of the National Academy of Sciences of the United States of America"]
FAMILIES = ["Westerterp-Plantenga", "Nordestgaard", "Vasconcelos-Albuquerque", "van Dam"]


def wide_records(n: int = 24) -> list[dict[str, Any]]:
    """``n`` Crossref-shaped records, each citing the two before it, with wide titles, journals, DOIs and counts."""
    records = []
    for i in range(n):
        title = (f"Effects of green coffee extract supplementation on anthropometric indices, glycaemic control and "
                 f"lipid profile in adults with overweight: a systematic review and dose-response meta-analysis {i}")
        records.append({
            "DOI": f"10.1177/14732300070350{i:04d}-supplementary.material",
            "title": [title], "type": "journal-article", "issued": {"date-parts": [[1990 + i]]},
            "container-title": [JOURNALS[i % len(JOURNALS)]],
            "author": [{"family": FAMILIES[i % len(FAMILIES)], "given": "A"}],
            "is-referenced-by-count": 123_456 - 1_000 * i,
            "reference": [{"key": f"r{j}", "DOI": f"10.1177/14732300070350{j:04d}-supplementary.material"}
                          for j in range(max(0, i - 2), i)],
        })
    return records


@pytest.fixture(scope="module")
def wide_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wide") / "wide.sqlite"
    with Store(path) as store:
        records = wide_records()
        store.add_works([parse_work(r, source="hand-made") for r in records])
        store.add_seeds([Seed(normalize_doi(records[0]["DOI"]), "hand-made")])
    return path


def wide_analysis(store_path: Path, score: str = "composite") -> Analysis:
    with Store(store_path, readonly=True) as store:
        return analyse(store, AnalyseOptions(score=score))


def png(path: Path, width: int, height: int) -> Path:
    """A ``width`` x ``height`` PNG drawn with matplotlib's object API (no pyplot state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2, 3], [1, 3, 2, 4])
    ax.set_title("a figure to enlarge")
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    return path


@pytest.fixture(scope="module")
def wide_report(wide_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wide store's report with three figures: two PNGs larger than their thumbnails, one SVG."""
    folder = tmp_path_factory.mktemp("wide-report")
    svg = folder / "cluster-sizes.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
                   '<circle cx="20" cy="20" r="15" fill="#1f77b4"/></svg>', encoding="utf-8")
    figures = [png(folder / "publications_per_year.png", 1500, 900), svg, png(folder / "rpys.png", 1200, 600)]
    return write_report(wide_analysis(wide_store), folder / "report.html", figures=figures)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(path, width, height)`` -> (page, problems): a report loaded from file:// at that window size;
    ``problems`` collects console errors (a Content-Security-Policy violation is one), page errors, dialogs and
    requests beyond file: and data: URIs."""
    contexts = []

    def opener(path: Path, width: int = 1024, height: int = 768) -> tuple[Any, list[str]]:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))

        def on_dialog(dialog: Any) -> None:
            problems.append(f"dialog: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(r.url))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("window.citegraph && window.citegraph.total >= 0")
        return page, problems

    yield opener
    for context in contexts:
        context.close()


FIT = """sel => { const box = document.querySelector(sel);
    return {scroll: box.scrollWidth, client: box.clientWidth, page: document.documentElement.scrollWidth,
            window: window.innerWidth}; }"""


# ------------------------------------------------------------------------------------------------ the tables


@pytest.mark.parametrize("score", ["composite", "cocitation_seeds"])
def test_ranking_table_needs_no_horizontal_scrolling_at_1024_px(open_page: Any, wide_store: Path, tmp_path: Path,
                                                                score: str) -> None:
    """Every column fits a 1024 px window, also with the extra column of a --score outside the table's own."""
    path = write_report(wide_analysis(wide_store, score), tmp_path / "report.html", figures=[])
    page, problems = open_page(path, 1024, 768)
    for sel in ("#ranking-table", "#cluster-table"):
        fit = page.evaluate(FIT, sel)
        assert fit["scroll"] <= fit["client"] and fit["page"] <= fit["window"], (sel, fit)
    headers = page.eval_on_selector_all("#ranking-table thead th",
                                        "ths => ths.map(t => t.textContent.replace(/\\u00ad/g, ''))")
    assert headers[:9] == ["#", "Work", "Title", "Year", "Local", "Global", "Per year", "PageRank", "Composite"]
    assert headers[-1] == "Cluster" and len(headers) == (11 if score != "composite" else 10)
    # the title column stays readable: not squeezed to a few characters
    assert page.evaluate("document.querySelector('#ranking-table td.title').getBoundingClientRect().width") >= 170
    page.set_viewport_size({"width": 1440, "height": 900})
    fit = page.evaluate(FIT, "#ranking-table")
    assert fit["scroll"] <= fit["client"], fit
    assert problems == []


def test_ranking_table_keeps_the_journal_seed_and_full_scores(open_page: Any, wide_report: Path) -> None:
    """The folded columns stay on the page: the journal under the title, a seed badge, full scores in titles."""
    page, problems = open_page(wide_report)
    rows = page.locator("#ranking-table tbody tr")
    assert rows.count() == 24
    journals = page.eval_on_selector_all("#ranking-table td.title .journal", "s => s.map(x => x.textContent)")
    assert len(journals) == 24 and set(journals) == set(JOURNALS)
    assert page.locator("#ranking-table td.work .badge", has_text="seed").count() == 1
    seed_row = page.locator("#ranking-table tbody tr", has=page.locator(".badge"))
    assert "10.1177/147323000703500000-supplementary.material" in seed_row.locator("td.work").text_content()
    headers = page.eval_on_selector_all("#ranking-table thead th",
                                        "ths => ths.map(t => t.textContent.replace(/\\u00ad/g, ''))")
    tips = page.eval_on_selector_all(f"#ranking-table tbody tr td:nth-child({headers.index('PageRank') + 1})",
                                     "tds => tds.map(t => [t.textContent, t.title])")
    for shown, tip in tips:  # the cell may be short (8.03e-5); its title holds the full number
        assert tip.startswith("PageRank: ")
        assert float(shown) == pytest.approx(float(tip.split(": ")[1]), rel=0.01)
    page.locator("#rank-filter").fill("related metabolic")  # the filter still finds a journal
    assert page.locator("#ranking-table tbody tr:not([hidden])").count() == 6
    page.locator("#ranking-table thead th", has_text="Global").click()
    globals_ = page.eval_on_selector_all(f"#ranking-table tbody tr td:nth-child({headers.index('Global') + 1})",
                                         "tds => tds.map(t => Number(t.textContent.replace(/,/g, '')))")
    assert globals_ == sorted(globals_) and len(set(globals_)) == 24
    assert problems == []


# ------------------------------------------------------------------------------------------------ the figures


def test_a_click_opens_a_figure_full_size_and_esc_closes_it(open_page: Any, wide_report: Path) -> None:
    page, problems = open_page(wide_report, 1024, 768)
    assert page.evaluate("document.images.length") == 3  # no viewer image before one is opened
    assert page.locator("dialog").evaluate_all("ds => ds.map(d => d.open)") == [False]
    thumb = page.locator("#figures figure").nth(0)
    opener = thumb.locator("button.fig-open")
    assert opener.get_attribute("aria-label") == "Show full size: publications per year"
    thumb_width = thumb.locator("img").bounding_box()["width"]
    opener.click()
    dialog = page.locator("dialog#lightbox")
    assert dialog.evaluate("d => d.open") and page.evaluate("window.citegraph.figure") == 0
    big = dialog.locator("img.lb-image")
    assert big.get_attribute("src") == thumb.locator("img").get_attribute("src")  # the same embedded data: URI
    assert big.evaluate("i => i.complete && i.naturalWidth") == 1500
    assert big.bounding_box()["width"] > 1.8 * thumb_width  # fitted to the window, much larger than the thumbnail
    assert dialog.locator(".lb-caption").text_content() == "publications per year"
    assert dialog.locator(".lb-count").text_content() == "1 of 3"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Close (Esc)"
    box = big.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 1024 and box["y"] + box["height"] <= 768
    dialog.locator(".lb-size").click()  # the actual size: the PNG's own pixels, scrolled in the dialog
    assert big.bounding_box()["width"] == pytest.approx(1500, abs=1)
    assert dialog.locator(".lb-size").text_content() == "Fit"
    page.keyboard.press("Escape")
    assert not dialog.evaluate("d => d.open") and page.evaluate("window.citegraph.figure") == -1
    assert page.evaluate("document.activeElement === document.querySelector('#figures button.fig-open')")
    assert problems == []


def test_the_figure_viewer_works_from_the_keyboard(open_page: Any, wide_report: Path) -> None:
    page, problems = open_page(wide_report, 1440, 900)
    openers = page.locator("#figures button.fig-open")
    assert openers.count() == 3
    openers.nth(1).focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#lightbox")
    assert dialog.evaluate("d => d.open")
    assert dialog.locator(".lb-caption").text_content() == "cluster sizes"
    svg = dialog.locator("img.lb-image")
    assert "vector" in svg.get_attribute("class")  # a 40 px SVG is scaled up to the window, not left tiny
    assert svg.bounding_box()["height"] > 500
    page.keyboard.press("ArrowRight")
    assert dialog.locator(".lb-caption").text_content() == "rpys"
    page.keyboard.press("ArrowRight")  # wraps round
    assert dialog.locator(".lb-caption").text_content() == "publications per year"
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.citegraph.figure") == 2
    dialog.locator("button.lb-close").click()  # the close button
    assert not dialog.evaluate("d => d.open")
    assert page.evaluate("document.activeElement === document.querySelectorAll('#figures button.fig-open')[1]")
    page.keyboard.press(" ")  # Space on the focused figure opens it again
    assert dialog.evaluate("d => d.open")
    page.mouse.click(5, 5)  # outside the dialog: on the backdrop
    assert not dialog.evaluate("d => d.open")
    assert page.evaluate("document.images.length") == 4  # the three figures and the viewer's one image
    assert problems == []
