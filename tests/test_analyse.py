"""citegraph analyse end to end on stores built from ../shared data."""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from citegraph.analysis.indicators import indicators
from citegraph.analysis.pipeline import ANALYSE_TOP_K, AnalyseOptions, Analysis, analyse
from citegraph.cli import cli
from citegraph.config import load_settings
from citegraph.doi import normalize_doi
from citegraph.errors import UsageError
from citegraph.graphs.build import GraphOptions
from citegraph.graphs.citation import text_year
from citegraph.outputs.tables import OUTPUT_FILES, write_outputs
from citegraph.sources.fetch import FetchOptions, run_fetch
from citegraph.sources.localfiles import FileSource
from citegraph.sources.snowball import snowball
from citegraph.store import Store

CONNECTED = ["10.7717/peerj.4794", "10.1007/s12080-020-00477-4"]


@pytest.fixture(scope="module")
def network_store(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two recorded works that cite other recorded works, snowballed to depth 1 from the file."""
    path = tmp_path_factory.mktemp("net") / "s.sqlite"
    with Store(path) as store:
        snowball(store, FileSource(shared_dir / "crossref" / "works-habanero.jsonl.gz"),
                 [normalize_doi(d) for d in CONNECTED], depth=1)
    return path


@pytest.fixture(scope="module")
def alopecia_store(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 45 alopecia works of the Archives of Dermatology dump file (they carry no references)."""
    path = tmp_path_factory.mktemp("alo") / "s.sqlite"
    with Store(path) as store:
        run_fetch(store, load_settings({}, env={}, start_dir=None), [],
                  FetchOptions(from_file=shared_dir / "crossref" / "works-oc_ds_converter.jsonl.gz",
                               query="alopecia", rows=1000, depth=1))
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_outputs_are_written_sorted_and_byte_stable(network_store: Path, tmp_path: Path) -> None:
    with Store(network_store, readonly=True) as store:
        first = write_outputs(analyse(store, AnalyseOptions(seed=5)), tmp_path / "a")
        second = write_outputs(analyse(store, AnalyseOptions(seed=5)), tmp_path / "b")
        references = store.counts()["references"]
    assert [p.name for p in first] == list(OUTPUT_FILES)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    rows = read_csv(tmp_path / "a" / "rankings.csv")
    assert len(rows) == 268  # every node of the citation graph
    composite = [float(r["composite"]) for r in rows]
    assert composite == sorted(composite, reverse=True)
    assert [int(r["rank"]) for r in rows] == list(range(1, 269))
    assert all(r["cluster"] for r in rows)
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["citation_graph"] == {"nodes": 268, "edges": 303}
    assert summary["parameters"]["seed"] == 5 and summary["versions"]["citegraph"]
    assert summary["coverage"]["references_open"] == references == 351  # all six stored works' lists
    assert summary["notes"][0].startswith("PageRank favours older works")
    # how betweenness and the topic neighbours were computed: both cheap here, so exact, and said so
    links = summary["betweenness"]["links"]
    assert summary["betweenness"]["exact"] is True and summary["betweenness"]["cost"] == 268 * (268 + links)
    assert summary["betweenness"]["relative_error"] is None
    assert f"Betweenness: exact (cost {268 * (268 + links):.2g} <= budget 1.5e+07 visits)" in summary["notes"][2]
    assert summary["topic_similarity"]["exact"] is True and summary["notes"][3].startswith("Topic similarity: exact")
    # the six stored works by publication year
    assert summary["publications_per_year"] == [[2013, 1], [2014, 1], [2015, 1], [2018, 2], [2020, 1]]


def test_main_path_and_rpys_on_the_network(network_store: Path) -> None:
    with Store(network_store, readonly=True) as store:
        result = analyse(store)
    # knowledge flows from older to newer works along the main path
    years = [result.citation.nodes[n].get("year") for n in result.main_path]
    assert len(result.main_path) >= 3 and years == sorted(years)
    assert result.peaks and all(row.deviation > 0 for row in result.rpys if row.year in result.peaks)
    assert sum(row.references for row in result.rpys) == sum(
        1 for _ in store_reference_years(network_store))


def store_reference_years(path: Path) -> list[int]:
    """The year of every reference: its year field, else the year in its citation string (never after the citing
    work's year plus one)."""
    with Store(path, readonly=True) as store:
        rows = store.execute("SELECT r.year, r.unstructured, w.year FROM refs r JOIN works w ON w.doi = r.citing")
        years = [year if year is not None else text_year(text, latest=citing + 1 if citing else None)
                 for year, text, citing in rows]
    return [y for y in years if y is not None]


def test_alopecia_works_without_references_are_ranked_in_topic_clusters(alopecia_store: Path, tmp_path: Path) -> None:
    with Store(alopecia_store, readonly=True) as store:
        result = analyse(store)
    write_outputs(result, tmp_path)
    assert result.citation.number_of_edges() == 0  # these 1960-1981 records carry no references
    rankings = read_csv(tmp_path / "rankings.csv")
    assert len(rankings) == 45 and all("alopecia" in r["title"].lower() for r in rankings)
    clusters = read_csv(tmp_path / "clusters.csv")
    assert len(clusters) >= 3
    assert sum(int(c["size"]) for c in clusters) == 45
    big = [c for c in clusters if int(c["size"]) >= 5]
    assert big and all(c["label"] for c in big)
    assert any("areata" in c["label"] for c in clusters)
    # ranked by citations per year, the only signal these works have besides their text
    assert float(rankings[0]["per_year"]) >= max(float(r["per_year"]) for r in rankings[1:])


def test_options_are_checked() -> None:
    with Store(":memory:") as store:
        with pytest.raises(UsageError, match="holds no works yet"):
            analyse(store)
        with pytest.raises(UsageError, match="graph kind 'tree' is not one of"):
            analyse(store, AnalyseOptions(graph="tree"))
        with pytest.raises(UsageError, match="score 'fame' is not one of composite"):
            analyse(store, AnalyseOptions(score="fame"))
        with pytest.raises(UsageError, match="betweenness budget -1 must be at least 0"):
            analyse(store, AnalyseOptions(betweenness_budget=-1))


def test_cli_analyse(network_store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(network_store), "analyse", "--out", str(tmp_path / "out"),
                                 "--top", "5", "--seed", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "top 5 by composite:" in result.stdout
    assert "(PageRank favours older works: they have had longer to collect citations.)" in result.stdout
    assert "main path: " in result.stdout and "clusters:" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(OUTPUT_FILES)
    table = [line for line in result.stdout.splitlines() if line[:3].strip().isdigit()]
    assert len(table) == 5


def test_cli_cluster_iterations(network_store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["--store", str(network_store), "analyse", "--out", str(tmp_path / "bad"),
                              "--cluster-iterations", "0"])
    assert bad.exit_code == 2 and bad.stderr.strip().splitlines()[-1].endswith(
        "cluster iterations 0 must be -1 (until stable) or at least 1")
    assert not (tmp_path / "bad").exists()
    result = runner.invoke(cli, ["--store", str(network_store), "analyse", "--out", str(tmp_path / "out"),
                                 "--cluster-iterations", "-1"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    parameters = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["parameters"]
    assert (parameters["cluster_method"], parameters["cluster_iterations"]) == ("leiden", -1)


def test_cli_analyse_without_a_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "none.sqlite"), "analyse"])
    assert result.exit_code == 4 and "no store at" in result.stderr


def test_the_clustered_graph_keeps_each_works_strongest_pair_links(commonmeta_store: Path,
                                                                   commonmeta_analysis: Analysis) -> None:
    """analyse bounds co-citation and coupling (top 20 per work); ``citegraph graph`` keeps every pair."""
    assert AnalyseOptions().graph_options == GraphOptions(top_k=ANALYSE_TOP_K) and ANALYSE_TOP_K == 20
    assert GraphOptions().top_k is None
    a = commonmeta_analysis
    assert a.summary["parameters"]["graph_options"]["top_k"] == 20
    cocited = Counter(n for u, v, d in a.graph.edges(data=True) if "w_cocitation" in d for n in (u, v))
    with Store(commonmeta_store, readonly=True) as store:
        full = analyse(store, AnalyseOptions(graph_options=GraphOptions(top_k=None)))
    every = Counter(n for u, v, d in full.graph.edges(data=True) if "w_cocitation" in d for n in (u, v))
    # every pair is kept when either end keeps it: a work's 20 plus the works that chose it
    assert sum(cocited.values()) < sum(every.values()) and max(every.values()) > 20
    assert all(cocited[n] >= min(20, every[n]) for n in every)
    assert a.graph.number_of_edges() < 0.6 * full.graph.number_of_edges()  # 6,948 of 12,381 links when written
    # the clusters hardly move (identical when written: the dropped links are each work's weakest)
    keys = sorted(full.cluster_of)
    assert adjusted_rand_score([a.cluster_of[k] for k in keys], [full.cluster_of[k] for k in keys]) > 0.9


def test_indicators_read_only_the_columns_they_need(commonmeta_store: Path, commonmeta_analysis: Analysis) -> None:
    with Store(commonmeta_store, readonly=True) as store:
        expected = indicators(commonmeta_analysis.citation, list(store.works()))
    assert commonmeta_analysis.indicators == expected
    assert commonmeta_analysis.summary["store"]["works"] == expected["works"] == 50


def test_a_long_analysis_step_says_what_it_is_doing(caplog: pytest.LogCaptureFixture) -> None:
    import time

    from citegraph.analysis.pipeline import step

    with caplog.at_level(logging.INFO, logger="citegraph.progress"):
        with step("a quick step", after=5):
            pass
        with step("a slow step", after=0.02):
            time.sleep(0.2)
    lines = [r.getMessage() for r in caplog.records if r.name == "citegraph.progress"]
    assert lines[0] == "computing a slow step ..."
    assert lines[1].startswith("a slow step: done in 0.") and len(lines) == 2


# -- the citation measures in a second process ------------------------------------------------------------


def test_a_second_process_gives_the_same_analysis(commonmeta_store: Path) -> None:
    """``workers=2`` computes rankings, bursts, main paths, indicators and RPYS in a forked process: the same
    values as in one process, every field (real records: the 50 commonmeta works and what they cite)."""
    with Store(commonmeta_store, readonly=True) as store:
        one = analyse(store, workers=1)
        two = analyse(store, workers=2)
    assert one.rankings and one.rpys and one.main_path
    for name in ("rankings", "clusters", "cluster_of", "bursts", "rpys", "peaks", "peak_works", "main_path",
                 "key_routes", "spc", "indicators", "publications", "summary", "notices"):
        assert getattr(one, name) == getattr(two, name), name


def test_workers_must_be_at_least_one_and_an_in_memory_store_stays_in_one_process() -> None:
    from citegraph.analysis.pipeline import _fork_beside
    from citegraph.store.records import parse_work

    with Store(":memory:") as store:
        store.add_works([parse_work({"DOI": "10.5555/hand-made-a", "title": ["Hand-made a"],  # unit-test record
                                     "reference": [{"key": "1", "DOI": "10.5555/hand-made-b"}]}, source="test")])
        with pytest.raises(UsageError, match="workers 0 must be at least 1"):
            analyse(store, workers=0)
        assert not _fork_beside(2, 10**9, store)  # no path for a second connection
        assert analyse(store, workers=2).summary["citation_graph"]["edges"] == 1


def _exit_in_child(parent: int) -> Iterator[str]:
    import os

    yield "first"
    if os.getpid() != parent:
        os._exit(3)  # the child dies after its first value
    yield "computed here"


def _refuse(value: str) -> Iterator[str]:
    yield "fine"
    raise UsageError(f"bad value {value!r}")


def _unpicklable(_: int) -> Iterator[object]:
    yield lambda: None


def test_a_lost_second_process_is_computed_again_and_its_errors_are_raised(caplog: pytest.LogCaptureFixture
                                                                          ) -> None:
    import os

    from citegraph.analysis.parallel import Beside as _Beside

    lost = _Beside(_exit_in_child, (os.getpid(),), fork=True)
    with caplog.at_level(logging.WARNING, logger="citegraph.analysis.pipeline"):
        assert (lost.next(), lost.next()) == ("first", "computed here")  # the second, again in this process
    assert "ended without a result" in caplog.text and "exit code 3" in caplog.text
    refused = _Beside(_refuse, ("x",), fork=True)
    assert refused.next() == "fine"
    with pytest.raises(UsageError, match="bad value 'x'"):  # raised in the child, sent back
        refused.next()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="citegraph.analysis.pipeline"):
        assert callable(_Beside(_unpicklable, (1,), fork=True).next())  # a value that cannot be sent: again
    assert "ended without a result" in caplog.text
    for fork in (True, False):  # a caller that stops early ends the child
        early = _Beside(_refuse, ("y",), fork=fork)
        assert early.next() == "fine"
        early.close(early=True)
        assert early._process is None or not early._process.is_alive()


def _slow() -> Iterator[str]:
    import time

    yield "first"
    time.sleep(60)
    yield "late"


def test_ctrl_c_is_left_to_the_parent_which_ends_the_second_process() -> None:
    import os
    import signal

    from citegraph.analysis.parallel import Beside as _Beside

    beside = _Beside(_slow, (), fork=True)
    assert beside.next() == "first"
    os.kill(beside._process.pid, signal.SIGINT)  # what Ctrl-C sends the whole process group
    beside._process.join(timeout=0.5)
    assert beside._process.is_alive()  # ignored there: no traceback of its own
    beside.close(early=True)  # what analyse does when the parent is interrupted
    assert not beside._process.is_alive() and beside._process.exitcode == -signal.SIGTERM
