"""Make the README's screenshot of the report from the recorded Crossref data in ../shared/ (real records).

    .venv/bin/python docs/make_readme_figures.py [--shared ../shared]

Builds a store of every record in ``../shared/crossref/works-*.jsonl.gz`` (6,587 works) in a temporary folder,
runs ``citegraph.analysis.pipeline.analyse`` with the default options and writes a screenshot of the HTML
report's network view (``docs/figures/report.png``) when playwright and Debian's chromium are installed (about
15 s). The README's figures of a field come from the gallery instead (``docs/make_gallery.py``: the CLI on real
Web of Science exports).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import tempfile
from pathlib import Path

from citegraph.analysis.coverage import coverage_report
from citegraph.analysis.pipeline import analyse
from citegraph.outputs.report import write_report
from citegraph.store import Store
from citegraph.store.records import parse_work

REPO = Path(__file__).resolve().parents[1]


def screenshot(page: Path, out: Path) -> bool:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return False
    chromium = shutil.which("chromium")
    if chromium is None:
        return False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"])
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        tab.goto(page.as_uri())
        tab.wait_for_function("window.citegraph && window.citegraph.drawn > 0")
        tab.evaluate("window.citegraph.search('Boettiger 2018')")
        tab.locator("#network").screenshot(path=str(out))
        browser.close()
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = ap.parse_args()
    out = REPO / "docs" / "figures"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shared.sqlite"
        with Store(path) as store:
            for name in sorted((args.shared / "crossref").glob("works-*.jsonl.gz")):
                with gzip.open(name, "rt", encoding="utf-8") as fh:
                    store.add_works([parse_work(json.loads(line), source=f"file:{name.name}") for line in fh
                                     if line.strip()])
        with Store(path, readonly=True) as store:
            analysis = analyse(store)
            coverage = coverage_report(store)
        source = "the 6,587 Crossref records of ../shared"
        page = write_report(analysis, Path(tmp) / "report.html", coverage=coverage, source=source)
        if screenshot(page, out / "report.png"):
            print("wrote", out / "report.png")


if __name__ == "__main__":
    main()
