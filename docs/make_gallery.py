"""Make ``docs/gallery/``: every figure of ``citegraph plot`` for each real Web of Science corpus in ../shared/.

    .venv/bin/python docs/make_gallery.py [--shared ../shared]

For each corpus in ``<shared>/corpora/`` (coffee-obesity-wos, crispr-2017-wostab, premature-mortality-wosbib)
it runs the command line exactly as a researcher would, in the repository's folder::

    citegraph --store TMP/<name>.sqlite -q import <shared>/corpora/<name>/<files...>
    citegraph --store TMP/<name>.sqlite -q plot -o docs/gallery/<name> --format png --dpi 100

so every figure in the gallery can be remade from the CLI alone. The exports are read in place (never copied
into the repository); the stores live in a temporary folder and are deleted afterwards. The figures are PNG
only, at the CLI's fixed resolution (``plot`` has no dpi option). Then it writes ``docs/gallery/README.md``:
one section per corpus (topic, records, years and source repository, as its ``SOURCE.txt`` gives them), the
commands that made it, and every figure embedded with one line on what it shows.

Takes about a minute (measured on a 2-core machine: 50 s in all; import 2-5 s and plot 8-22 s per corpus,
the 2,500-record CRISPR corpus the slowest).
Exits with status 2 and a message naming the missing folder or files when the corpora are absent.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GALLERY = REPO / "docs" / "gallery"

# corpus folder -> glob of its export files (read in place)
CORPORA: dict[str, str] = {
    "coffee-obesity-wos": "data_*.txt",
    "crispr-2017-wostab": "savedrecs*.txt",
    "premature-mortality-wosbib": "wos*.bib",
}

FORMAT_NAMES = {
    "coffee-obesity-wos": "Web of Science plain text",
    "crispr-2017-wostab": "Web of Science tab-delimited",
    "premature-mortality-wosbib": "Web of Science BibTeX",
}

# figure name (as `citegraph plot` names it) -> one line on what it shows; in the CLI's order
FIGURES: dict[str, str] = {
    "network": "the citation network of the most influential works, coloured by cluster and sized by score, "
               "labelled \"Surname Year\".",
    "historiograph": "the historiograph: the most cited works laid out by publication year, with the citation "
                     "links between them.",
    "cocitation": "the co-citation map: works linked by how often they are cited together, coloured by cluster.",
    "ranking": "the top-ranked works by the composite score, as a bar chart.",
    "publications": "the records per publication year.",
    "rpys": "reference publication year spectroscopy (RPYS): the cited references per reference year and their "
            "deviation from the 5-year median, peaks marking the field's historical roots.",
    "bursts": "citation bursts (Kleinberg): the works whose citations rose sharply, and in which years.",
}

# (corpus, figure) -> what that figure shows instead, where the corpus's data make the usual line untrue
NOTES: dict[tuple[str, str], str] = {
    ("crispr-2017-wostab", "publications"): "the records per publication year: a single bar, since every record "
                                            "of this export is of 2017.",
    ("crispr-2017-wostab", "bursts"): "no citation bursts: every citing record is of 2017, and a burst needs "
                                      "years to compare; the figure says so.",
}


def fail(message: str) -> None:
    print(f"make_gallery: {message}", file=sys.stderr)
    raise SystemExit(2)


def citegraph_command() -> list[str]:
    """The ``citegraph`` installed beside this Python, else the one on PATH."""
    beside = Path(sys.executable).with_name("citegraph")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("citegraph")
    if found is None:
        fail("the `citegraph` command is not installed: run `pip install -e .` in the repository first")
    return [found]


def source_facts(text: str) -> dict[str, str]:
    """Topic, source repository, commit, record count and years from a corpus's SOURCE.txt."""
    facts: dict[str, str] = {}
    patterns = {
        "topic": r"^Topic:\s*(.+)$",
        "repository": r"^Source repository:\s*(\S+)",
        "commit": r"^Commit used:\s*(.+)$",
        "records": r"^\s*records \(ER/entries\)\s+(\d+)",
        "years": r"^\s*publication years\s+(\S+)",
        "exported": r"^\s*export date \(DA field\)\s+\[\['([\d-]+)'",
        "licence": r"^Licence:\s*(.+)$",
    }
    for key, pattern in patterns.items():
        match = re.search(pattern, text, flags=re.MULTILINE)
        if match:
            facts[key] = match.group(1).strip()
    return facts


def years(span: str) -> str:
    """``2004-2025`` as ``2004–2025``; ``2017-2017`` as ``2017``."""
    first, _, last = span.partition("-")
    return first if last in ("", first) else f"{first}–{last}"


def shown(args: list[str], shared: Path) -> str:
    """A command as a reader would type it: `citegraph`, paths relative to the repository."""
    out = []
    for arg in args:
        if arg.startswith(str(shared)):
            arg = "../shared" + arg[len(str(shared)):] if shared == REPO.parent / "shared" else arg
        out.append(arg)
    return "citegraph " + " ".join(shlex.quote(a) for a in out)


def run(cmd: list[str], args: list[str]) -> float:
    start = time.monotonic()
    done = subprocess.run(cmd + args, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"`citegraph {' '.join(args)}` exited with {done.returncode}:\n{done.stderr.strip()}")
    if done.stderr.strip():
        print(done.stderr.strip(), file=sys.stderr)
    return time.monotonic() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                    help="the shared folder holding corpora/ [default: ../shared beside the repository]")
    args = ap.parse_args()
    shared = args.shared.resolve()
    corpora = shared / "corpora"
    if not corpora.is_dir():
        fail(f"no corpora at {corpora}: give the shared folder with --shared PATH (it holds corpora/<name>/)")
    files: dict[str, list[Path]] = {}
    for name, pattern in CORPORA.items():
        found = sorted((corpora / name).glob(pattern))
        if not found:
            fail(f"corpus {name!r} is absent: no {pattern} in {corpora / name}")
        files[name] = found

    cmd = citegraph_command()
    started = time.monotonic()
    sections: list[str] = []
    GALLERY.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="citegraph-gallery-") as tmp:
        for name, exports in files.items():
            out = GALLERY / name
            for old in out.glob("*.png"):  # a figure no longer drawn must not linger in the gallery
                old.unlink()
            store = Path(tmp) / f"{name}.sqlite"
            import_args = ["--store", str(store), "-q", "import", *map(str, exports)]
            plot_args = ["--store", str(store), "-q", "plot", "-o", os.path.relpath(out, REPO), "--format", "png",
                         "--dpi", "100"]
            t_import = run(cmd, import_args)
            t_plot = run(cmd, plot_args)
            pngs = {p.stem: p for p in out.glob("*.png")}
            print(f"{name}: import {t_import:.0f} s, plot {t_plot:.0f} s, {len(pngs)} figures in {out}")
            facts = source_facts((corpora / name / "SOURCE.txt").read_text(encoding="utf-8"))
            store_shown = f"{name}.sqlite"
            lines = [
                f"## {name}",
                "",
                f"- **Topic:** {facts.get('topic', 'see SOURCE.txt')}",
                f"- **Records:** {facts.get('records', '?')} ({FORMAT_NAMES[name]}, {len(exports)} files), "
                f"published {years(facts.get('years', '?'))}, exported {facts.get('exported', '?')}",
                f"- **Source repository:** <{facts.get('repository', '?')}>"
                + (f", commit {facts['commit']}" if "commit" in facts else ""),
                "",
                "Made with:",
                "",
                "```sh",
                shown(import_args, shared).replace(shlex.quote(str(store)), store_shown),
                shown(plot_args, shared).replace(shlex.quote(str(store)), store_shown),
                "```",
                "",
            ]
            for fig, what in FIGURES.items():
                what = NOTES.get((name, fig), what)
                if fig in pngs:
                    lines += [f"### {fig}", "", f"![{fig} of {name}]({name}/{fig}.png)", "",
                              f"{what[0].upper()}{what[1:]}", ""]
            for extra in sorted(set(pngs) - set(FIGURES)):
                lines += [f"### {extra}", "", f"![{extra} of {name}]({name}/{extra}.png)", ""]
            missing = [fig for fig in FIGURES if fig not in pngs]
            if missing:
                lines += [f"Not drawn for this corpus: {', '.join(missing)}.", ""]
            sections.append("\n".join(lines))
    elapsed = time.monotonic() - started

    head = [
        "# Gallery",
        "",
        "Every figure of `citegraph plot`, drawn from three real Web of Science exports kept in",
        "`../shared/corpora/` (read in place, not copied here). Made by `docs/make_gallery.py`, which runs the",
        "two commands shown under each corpus, nothing else; to remake all of it:",
        "",
        "```sh",
        ".venv/bin/python docs/make_gallery.py [--shared ../shared]",
        "```",
        "",
        f"The last run took {elapsed / 60:.1f} minutes on a 2-core machine. The records are Clarivate Web of",
        "Science data; each corpus's `SOURCE.txt` gives its provenance, licence and measurements.",
        "",
        "Corpora: " + ", ".join(f"[{n}](#{n})" for n in files),
        "",
    ]
    (GALLERY / "README.md").write_text("\n".join(head) + "\n" + "\n".join(sections), encoding="utf-8")
    print(f"wrote {GALLERY / 'README.md'} ({elapsed:.0f} s in all)")


if __name__ == "__main__":
    main()
