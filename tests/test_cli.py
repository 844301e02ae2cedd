"""The command line: commands, exit codes, one-line errors, end-to-end fetch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from citegraph.cli import cli
from citegraph.store import Store

REPO = Path(__file__).resolve().parents[1]
MAILTO = "citegraph-tests@example.org"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Invoke the CLI in tmp_path with a clean CITEGRAPH_* environment."""
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("CITEGRAPH_"):
            monkeypatch.delenv(name)

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("citegraph: error:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


def test_help_lists_the_commands(run) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("fetch", "status", "analyse", "export", "plot", "report", "config"):
        assert f"  {command}" in result.stdout


def test_version(run) -> None:
    from citegraph import __version__

    assert run("--version").stdout.strip() == f"citegraph, version {__version__}"


def test_fetch_without_seeds_on_an_empty_store(run) -> None:
    result = run("fetch")
    assert result.exit_code == 2
    assert "no seeds" in one_line_error(result)


def test_fetch_with_only_bad_seeds(run) -> None:
    result = run("fetch", "missing.txt", "10.1000")
    assert result.exit_code == 2
    assert "none of the 2 seed argument(s) gave a DOI" in one_line_error(result)
    assert "citegraph: rejected: <argument>: 'missing.txt': no such file" in result.stderr
    assert "no suffix after the prefix" in result.stderr


def test_fetch_from_file_with_some_bad_lines(run, tmp_path: Path, shared_dir: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("10.1371/journal.pone.0033693\nnot a doi\n10.7717/peerj.4794 # seed: fine\n")
    result = run("--store", "s.sqlite", "fetch", str(seeds), "--from",
                 str(shared_dir / "crossref" / "works-habanero.jsonl.gz"), "--depth", "1")
    assert result.exit_code == 3
    assert f"citegraph: rejected: {seeds}:2: 'not a doi'" in result.stderr
    assert "1 seed input(s) rejected" in one_line_error(result)
    with Store(tmp_path / "s.sqlite") as store:
        assert {s.doi for s in store.seeds()} == {"10.1371/journal.pone.0033693", "10.7717/peerj.4794"}
        assert store.stored_keys(["10.1371/journal.pone.0033693", "10.7717/peerj.4794"]) == {
            "10.1371/journal.pone.0033693", "10.7717/peerj.4794"}
        (run_row,) = store.runs()
        assert run_row["status"] == "ok" and run_row["counts"]["levels"][0]["fetched"] == 2


def test_fetch_against_the_replay_server_then_status(run, replay_server, tmp_path: Path) -> None:
    env = {"CITEGRAPH_CROSSREF_URL": replay_server.url}
    result = run("--store", "s.sqlite", "fetch", "10.7717/peerj.4794", "10.1108/jd-12-2013-0166",
                 "--mailto", MAILTO, env=env)
    assert result.exit_code == 0, result.stderr
    assert "level 0: 2 works, 0 already stored, 2 fetched" in result.stdout
    requests = replay_server.stats["requests"]
    assert 0 < requests <= 4
    status = run("--store", "s.sqlite", "status", "--json")
    data = json.loads(status.stdout)
    assert data["counts"]["seeds"] == 2 and data["counts"]["works"] >= 4
    by_doi = {s["doi"]: s for s in data["seeds"]}
    served = replay_server.corpus.works["10.7717/peerj.4794"]
    assert by_doi["10.7717/peerj.4794"]["references_open"] == len(served["reference"])
    assert by_doi["10.7717/peerj.4794"]["resolved"] >= 1
    # a second run with no seed arguments uses the stored seeds and asks nothing
    replay_server.reset_stats()
    again = run("--store", "s.sqlite", "fetch", "--mailto", MAILTO, env=env)
    assert again.exit_code == 0 and replay_server.stats["requests"] == 0
    text = run("--store", "s.sqlite", "status")
    assert "10.7717/peerj.4794" in text.stdout and "works: " in text.stdout


def test_unreachable_crossref_keeps_the_seeds_and_exits_5(run, tmp_path: Path) -> None:
    env = {"CITEGRAPH_CROSSREF_URL": "http://127.0.0.1:9", "CITEGRAPH_RETRIES": "1", "CITEGRAPH_TIMEOUT": "2"}
    result = run("--store", "s.sqlite", "fetch", "10.1111/jdv.14987", "--mailto", MAILTO, env=env)
    assert result.exit_code == 5
    assert "connection failed" in one_line_error(result)
    # the retry was told at the default verbosity, in one line, and -q hides it
    (retry,) = [line for line in result.stderr.splitlines() if "retry" in line]
    assert retry.startswith("citegraph: Crossref at http://127.0.0.1:9 did not answer for one request "
                            "(connection failed") and retry.endswith("; retry 1 of 1 in 0.5 s")
    with Store(tmp_path / "s.sqlite") as store:
        assert [s.doi for s in store.seeds()] == ["10.1111/jdv.14987"]
        assert store.runs()[-1]["status"] == "failed"
    quiet = run("--store", "s.sqlite", "fetch", "-q", "--mailto", MAILTO, env=env)
    assert quiet.exit_code == 5 and "retry" not in quiet.stderr


def test_status_without_a_store_exits_4(run) -> None:
    result = run("--store", "nothing.sqlite", "status")
    assert result.exit_code == 4
    assert "no store at" in one_line_error(result)


def test_store_that_is_a_directory_exits_4(run, tmp_path: Path) -> None:
    result = run("--store", str(tmp_path), "fetch", "10.1111/jdv.14987")
    assert result.exit_code == 4 and "is a directory" in one_line_error(result)


def test_bad_environment_value_exits_2(run) -> None:
    result = run("status", env={"CITEGRAPH_TIMEOUT": "soon"})
    assert result.exit_code == 2
    assert "timeout = 'soon' (from env CITEGRAPH_TIMEOUT): expected a number of seconds" in one_line_error(result)


def test_bad_option_value_is_one_usage_line(run) -> None:
    result = run("fetch", "--depth", "-1", "10.1111/jdv.14987")
    assert result.exit_code == 2
    assert one_line_error(result) == ("citegraph: error: Invalid value for '--depth': -1 is not in the range "
                                      "x>=0. (see 'citegraph fetch -h')")
    assert result.stderr.count("\n") == 1  # not click's three lines (Usage, Try, Error)


@pytest.mark.parametrize("args, words", [
    (["graph", "--kind", "tree"], ["'tree' is not one of 'citation', 'cocitation', 'coupling', 'topic', 'hybrid'",
                                   "see 'citegraph graph -h'"]),
    (["fetch", "--bogus"], ["No such option '--bogus'", "see 'citegraph fetch -h'"]),
    (["nonsense"], ["No such command 'nonsense'"]),
    (["export", "--format", "docx"], ["'docx' is not one of", "'graphml'"]),
])
def test_usage_errors_are_one_line_naming_the_valid_choices(run, args: list[str], words: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2 and "Usage:" not in result.stderr
    line = one_line_error(result)
    for word in words:
        assert word in line, line


def test_store_quiet_and_verbose_are_accepted_after_the_command(run, tmp_path: Path, shared_dir: Path) -> None:
    dump = str(shared_dir / "crossref" / "works-habanero.jsonl.gz")
    quiet = run("fetch", "10.1371/journal.pone.0033693", "--from", dump, "--depth", "0", "--quiet",
                "--store", "after.sqlite")
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stdout == "" and (tmp_path / "after.sqlite").is_file()  # --quiet, not a hint towards --query
    assert not (tmp_path / "data" / "citegraph.sqlite").exists()
    after = run("status", "-q", "--store", "after.sqlite")
    before = run("-q", "--store", "after.sqlite", "status")
    assert after.exit_code == before.exit_code == 0 and "works: 1" in after.stdout
    assert after.stdout.split("\n")[:4] == before.stdout.split("\n")[:4]
    # after the command wins over before it, as the later of two flags does
    assert run("--store", "missing.sqlite", "status", "--store", "after.sqlite").exit_code == 0
    verbose = run("fetch", "10.1371/journal.pone.0033693", "--from", dump, "--depth", "0", "-v",
                  "--store", "after.sqlite")
    assert verbose.exit_code == 0 and "level 0" in verbose.stderr  # INFO lines
    for command in ("fetch", "status", "graph", "analyse", "plot", "export", "report", "duplicates", "config"):
        help_text = run(command, "-h").stdout
        assert "--store" in help_text and "-q, --quiet" in help_text and "-v, --verbose" in help_text, command


def test_config_shows_origins(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.citegraph]\nmailto = "toml@example.org"\n')
    result = run("config", env={"CITEGRAPH_TIMEOUT": "3"})
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()}
    assert rows["mailto"][1:] == ["toml@example.org", str(tmp_path / "pyproject.toml")]
    assert rows["timeout"][1:] == ["3.0", "env", "CITEGRAPH_TIMEOUT"]
    # in a project (a pyproject.toml with [tool.citegraph]) the default paths are in its folder ...
    assert rows["store"][1:] == [str(tmp_path / "data" / "citegraph.sqlite"), "default,", "in", "the", "project",
                                 "folder", str(tmp_path)]
    # ... wherever in it the command runs; outside a project, in the working folder
    (tmp_path / "notes").mkdir()
    monkeypatch.chdir(tmp_path / "notes")
    inner = {line.split()[0]: line.split() for line in run("config").stdout.splitlines()}
    assert inner["data_dir"][1] == str(tmp_path / "data") and inner["figures_dir"][1] == str(tmp_path / "figures")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "not a citegraph project"\n')
    plain = {line.split()[0]: line.split() for line in run("config").stdout.splitlines()}
    assert plain["store"][1:] == ["data/citegraph.sqlite", "default"]


def test_console_script_runs_as_a_process() -> None:
    out = subprocess.run([sys.executable, "-m", "citegraph.cli", "--help"], capture_output=True, text=True, check=True)
    assert "Commands:" in out.stdout


def test_closed_output_pipe_is_not_an_error(tmp_path: Path) -> None:
    from citegraph.doi import normalize_doi
    from citegraph.sources.seeds import Seed

    with Store(tmp_path / "s.sqlite") as store:  # hand-made seeds: enough output to fill a pipe
        store.add_seeds(Seed(normalize_doi(f"10.5555/fixture-{i}"), "<argument>") for i in range(3000))
    proc = subprocess.Popen([sys.executable, "-m", "citegraph.cli", "--store", str(tmp_path / "s.sqlite"), "status"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"store:")
    proc.stdout.close()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and b"error" not in err, err


SEED_FILES = {
    "seeds.txt": ("# my seeds\n10.1371/journal.pone.0033693  # seed: first\nhttps://doi.org/10.7717/peerj.4794\n"
                  "10.1000\n", 4),
    "seeds.csv": ("doi,role\n10.1371/journal.pone.0033693,seed\n10.7717/peerj.4794,related\n,seed\n", 4),
    "seeds.tsv": ("doi\trole\n10.1371/journal.pone.0033693\tseed\n10.7717/peerj.4794\trelated\nnot-a-doi\tx\n", 4),
    "seeds.bib": ("@article{a, title={One}, doi={10.1371/journal.pone.0033693}}\n"
                  "@article{b, title={Two}, doi = \"10.7717/peerj.4794\"}\n"
                  "@article{c, title={No DOI here}}\n", 3),
    "seeds.ris": ("TY  - JOUR\nTI  - One\nDO  - 10.1371/journal.pone.0033693\nER  - \n"
                  "TY  - JOUR\nTI  - Two\nDO  - 10.7717/peerj.4794\nER  - \n"
                  "TY  - JOUR\nTI  - Three, without DOI\nER  - \n", 9),
}


@pytest.mark.parametrize("name", sorted(SEED_FILES))
def test_seeds_from_every_format_reach_the_store(run, tmp_path: Path, shared_dir: Path, name: str) -> None:
    text, bad_line = SEED_FILES[name]
    (tmp_path / name).write_text(text)
    result = run("--store", "s.sqlite", "fetch", name, "--depth", "0",
                 "--from", str(shared_dir / "crossref" / "works-habanero.jsonl.gz"))
    assert result.exit_code == 3, result.stderr
    rejected = [line for line in result.stderr.splitlines() if line.startswith("citegraph: rejected:")]
    assert len(rejected) == 1 and rejected[0].startswith(f"citegraph: rejected: {name}:{bad_line}: ")
    with Store(tmp_path / "s.sqlite") as store:
        assert [s.doi for s in store.seeds()] == ["10.1371/journal.pone.0033693", "10.7717/peerj.4794"]
        assert store.counts()["works"] == 2


def test_fetch_both_directions_then_coverage(run, replay_server, tmp_path: Path) -> None:
    env = {"CITEGRAPH_CROSSREF_URL": replay_server.url, "CITEGRAPH_OPENCITATIONS_URL": replay_server.url,
           "CITEGRAPH_DATA_DIR": str(tmp_path / "out")}
    result = run("--store", "s.sqlite", "fetch", "10.1108/jd-12-2013-0166", "--direction", "both",
                 "--mailto", MAILTO, env=env)
    assert result.exit_code == 0, result.stderr
    assert ("level 0: 1 works, 0 already stored, 1 fetched, 0 not in crossref; citing works asked for 1 works"
            in result.stdout)
    printed = run("--store", "s.sqlite", "status", "--coverage", env=env)
    assert printed.exit_code == 0 and "10.1108/jd-12-2013-0166" in printed.stdout
    assert not (tmp_path / "out").exists()  # a read command writes nothing unless -o asks
    cov = run("--store", "s.sqlite", "status", "--coverage", "-o", str(tmp_path / "out" / "coverage.json"), env=env)
    assert cov.exit_code == 0
    saved = json.loads((tmp_path / "out" / "coverage.json").read_text())
    assert saved["seeds"][0]["doi"] == "10.1108/jd-12-2013-0166"
    assert saved["seeds"][0]["forward_checked_works"] == 1
    assert f"(saved to {tmp_path / 'out' / 'coverage.json'})" in cov.stdout
    line = next(x for x in cov.stdout.splitlines() if x.startswith("10.1108/jd-12-2013-0166"))
    assert line.split()[-1] == f"{saved['seeds'][0]['forward_citations']}/{saved['seeds'][0]['is_referenced_by_count']}"


def test_fetch_opencitations_down_exits_5_after_fetching_the_rest(run, make_replay_server, tmp_path: Path) -> None:
    server = make_replay_server(faults={"503": 1.0}, fault_paths="^/index/")
    env = {"CITEGRAPH_CROSSREF_URL": server.url, "CITEGRAPH_OPENCITATIONS_URL": server.url,
           "CITEGRAPH_RETRIES": "1"}
    result = run("--store", "s.sqlite", "fetch", "10.1108/jd-12-2013-0166", "--direction", "both",
                 "--mailto", MAILTO, env=env)
    assert result.exit_code == 5
    assert "opencitations: citing works of 1 works missing" in one_line_error(result)
    assert "run the same command again to fill the gap" in result.stderr
    with Store(tmp_path / "s.sqlite") as store:
        assert store.stored_keys(["10.1108/jd-12-2013-0166"]) == {"10.1108/jd-12-2013-0166"}


def test_fetch_query_from_file(run, tmp_path: Path, shared_dir: Path) -> None:
    dump = shared_dir / "crossref" / "works-oc_ds_converter.jsonl.gz"
    result = run("--store", "s.sqlite", "fetch", "--from", str(dump),
                 "--query", "alopecia areata", "--rows", "5", "--depth", "0")
    assert result.exit_code == 0, result.stderr
    assert "seeds: 5 (0 given now, 0 rejected, 5 found by the query)" in result.stdout


def test_duplicates_command_lists_and_merges(run, tmp_path: Path) -> None:
    # hand-made unit-test records: a preprint and its article
    title = "A fixture study of hair follicle immune privilege collapse"
    fixture = tmp_path / "dups.jsonl"
    fixture.write_text("\n".join(json.dumps(r) for r in [
        {"DOI": "10.5555/preprint", "type": "posted-content", "title": [title],
         "issued": {"date-parts": [[2019]]}, "author": [{"family": "Doe", "given": "J", "sequence": "first"}]},
        {"DOI": "10.5555/article", "type": "journal-article", "title": [title.upper() + "."],
         "issued": {"date-parts": [[2020]]}, "author": [{"family": "Doe", "given": "J", "sequence": "first"}]},
    ]) + "\n")
    fetched = run("--store", "s.sqlite", "fetch", "10.5555/preprint", "10.5555/article", "--from", str(fixture),
                  "--depth", "0")
    assert "likely duplicates: 1 groups (not merged" in fetched.stdout
    listed = run("--store", "s.sqlite", "duplicates")
    assert listed.exit_code == 0 and "10.5555/article  <=  10.5555/preprint" in listed.stdout
    with Store(tmp_path / "s.sqlite") as store:
        assert store.merges() == {}
    merged = run("--store", "s.sqlite", "duplicates", "--merge")
    assert "1 merges recorded" in merged.stdout
    with Store(tmp_path / "s.sqlite") as store:
        assert store.merges() == {"10.5555/preprint": "10.5555/article"}
    again = run("--store", "s.sqlite", "duplicates")
    assert again.stdout.strip() == "no likely duplicates left to merge (1 groups merged before)"


@pytest.fixture
def small_store(run, shared_dir: Path) -> Path:
    result = run("--store", "s.sqlite", "fetch", "10.7717/peerj.4794", "10.1007/s12080-020-00477-4",
                 "--from", str(shared_dir / "crossref" / "works-habanero.jsonl.gz"), "--depth", "1")
    assert result.exit_code == 0, result.stderr
    return Path("s.sqlite").resolve()


@pytest.mark.parametrize("kind", ["citation", "cocitation", "coupling", "topic", "hybrid"])
def test_graph_command_describes_each_kind(run, small_store: Path, kind: str) -> None:
    result = run("--store", str(small_store), "graph", "--kind", kind, "--json", "--top", "3")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    from citegraph.graphs.citation import topic_documents

    with Store(small_store) as store:
        distinct_edges = len(store.citation_edges())
        works = store.counts()["works"]
        documents = len(topic_documents(store))  # stored works plus cited works known by title
    assert works < documents < 268
    expected_nodes = {"citation": 268, "cocitation": 266, "coupling": works, "topic": documents, "hybrid": 268}[kind]
    assert summary["kind"] == kind and summary["nodes"] == expected_nodes
    if kind == "citation":
        assert summary["edges"] == distinct_edges == 303
    assert len(summary["heaviest"]) == min(3, summary["edges"])
    weights = [w for _, _, w in summary["heaviest"]]
    assert weights == sorted(weights, reverse=True)


def test_graph_filters_and_text_output(run, small_store: Path) -> None:
    text = run("--store", str(small_store), "graph", "--kind", "citation", "--years", "2015-", "--top", "1")
    assert text.exit_code == 0
    first = text.stdout.splitlines()[0]
    assert first.startswith("citation graph (directed): ") and "nodes" in first
    only_recent = json.loads(run("--store", str(small_store), "graph", "--years", "2015-", "--json").stdout)
    everything = json.loads(run("--store", str(small_store), "graph", "--json").stdout)
    assert 2 <= only_recent["nodes"] < everything["nodes"]  # the two 2018/2020 seeds always stay


@pytest.mark.parametrize("args, message", [
    (["--years", "nineteen-ninety"], "--years 'nineteen-ninety': give a range such as 1990-2020"),
    (["--years", "2020-1990"], "the first year is after the last"),
    (["--kind", "hybrid", "--weights", "citation=heavy"], "give kind=number pairs"),
    (["--kind", "hybrid", "--weights", "bogus=1"], "weights for bogus but no such graph"),
])
def test_graph_bad_options(run, small_store: Path, args: list[str], message: str) -> None:
    result = run("--store", str(small_store), "graph", *args)
    assert result.exit_code == 2 and message in one_line_error(result)


def test_status_is_compact_and_lists_every_seed_on_request(run, tmp_path: Path, shared_dir: Path) -> None:
    dump = str(shared_dir / "crossref" / "works-habanero.jsonl.gz")
    seeds = [json.loads(line)["DOI"] for line in __import__("gzip").open(dump, "rt", encoding="utf-8")][:8]
    seeds.append("10.5555/citegraph-test-not-in-the-dump")
    fetched = run("--store", "s.sqlite", "fetch", *seeds, "--from", dump, "--depth", "0")
    assert fetched.exit_code == 0, fetched.stderr
    compact = run("--store", "s.sqlite", "status").stdout.splitlines()
    full = run("--store", "s.sqlite", "status", "--seeds").stdout.splitlines()
    assert "seeds: 9 (8 stored, " in "\n".join(compact)
    assert "the 5 worst-covered seeds (status --seeds lists all 9):" in compact
    listed = [line.split()[0] for line in compact if line.startswith("10.")]
    assert len(listed) == 5 and listed[0] == "10.5555/citegraph-test-not-in-the-dump"  # not stored: worst
    assert sorted(line.split()[0] for line in full if line.startswith("10.")) == sorted(d.lower() for d in seeds)
    assert len(full) == len(compact) + 4 - 1  # every seed, and no "worst-covered" heading
    refused = run("--store", "s.sqlite", "status", "-o", "c.json")
    assert refused.exit_code == 2 and "saves the coverage report: add --coverage" in one_line_error(refused)
    assert not (tmp_path / "c.json").exists() and not (tmp_path / "data").exists()


@pytest.mark.parametrize("options", [[], ["--years", "2000-2016", "--top-k", "5", "--normalise", "jaccard"],
                                     ["--top-k", "0", "--min-local-citations", "1"]])
def test_analyse_clusters_the_hybrid_graph_that_graph_describes(run, small_store: Path, tmp_path: Path,
                                                                options: list[str]) -> None:
    described = run("--store", str(small_store), "graph", "--kind", "hybrid", "--json", *options)
    assert described.exit_code == 0, described.stderr
    analysed = run("--store", str(small_store), "analyse", "--out", "out", "-q", *options)
    assert analysed.exit_code == 0, analysed.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    graph = json.loads(described.stdout)
    assert (summary["graph"]["nodes"], summary["graph"]["edges"]) == (graph["nodes"], graph["edges"])
    recorded = summary["parameters"]["graph_options"]  # the values used, in the output's metadata
    assert recorded["top_k"] == ({"0": None, "5": 5}.get(options[options.index("--top-k") + 1])
                                 if "--top-k" in options else 20)
    if "--years" in options:
        assert recorded["years"] == [2000, 2016] and recorded["normalise"] == "jaccard"


def test_export_thins_a_cocitation_network_with_the_shared_options(run, small_store: Path, tmp_path: Path) -> None:
    sizes = {}
    for top_k in ("0", "2"):
        result = run("--store", str(small_store), "export", "--format", "json", "--network", "cocitation",
                     "--top-k", top_k, "-o", f"co-{top_k}.json")
        assert result.exit_code == 0, result.stderr
        data = json.loads((tmp_path / f"co-{top_k}.json").read_text())
        sizes[top_k] = len(data.get("links", data.get("edges", [])))
    assert 0 < sizes["2"] < sizes["0"]


def test_the_cli_starts_without_importing_the_analysis() -> None:
    import citegraph.cli as cli_module
    from citegraph.analysis.pipeline import ANALYSE_TOP_K

    assert cli_module._TOP_K == ANALYSE_TOP_K  # the default the CLI shows is the library's
    code = "import sys, citegraph.cli; print(sorted(m for m in sys.modules if m.startswith(('sklearn', 'igraph', " \
           "'matplotlib', 'citegraph.analysis'))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"  # a command pays for what it uses, at its start


def test_one_name_per_concept_and_json_where_a_result_is_printed(run, small_store: Path, tmp_path: Path) -> None:
    store = ("--store", str(small_store))
    analysed = run(*store, "analyse", "-o", "tables", "--json", "--show", "3")
    assert analysed.exit_code == 0, analysed.stderr
    summary = json.loads(analysed.stdout)
    assert summary["graph"]["kind"] == "hybrid" and (tmp_path / "tables" / "rankings.csv").is_file()
    assert sorted(Path(p).name for p in summary["written"]) == sorted(p.name for p in (tmp_path / "tables").iterdir())
    shown = run(*store, "analyse", "--output", "tables", "--show", "3").stdout
    assert shown.count("\n  ") >= 1 and "top 3 by composite:" in shown
    assert run(*store, "analyse", "--out", "old", "--top", "2", "-q").exit_code == 0  # the old names still work
    plotted = run(*store, "plot", "rpys", "--format", "svg", "-o", "figs")
    assert plotted.exit_code == 0 and (tmp_path / "figs" / "rpys.svg").is_file()
    links = json.loads(run(*store, "graph", "--kind", "cocitation", "--links", "2", "--json").stdout)
    assert len(links["heaviest"]) == 2
    config = json.loads(run("config", "--json").stdout)
    assert config["store"]["origin"] == "default" and config["mailto"]["value"] is None
    for command, name in (("graph", "--links"), ("analyse", "--show"), ("export", "--entries")):
        assert name in run(command, "-h").stdout


def test_fetch_help_has_examples_and_completion_is_clicks() -> None:
    from click.testing import CliRunner

    help_text = CliRunner().invoke(cli, ["fetch", "-h"]).stdout
    assert "Examples:" in help_text and "citegraph fetch seeds/alopecia-areata.txt --depth 1" in help_text
    env = {**__import__("os").environ, "_CITEGRAPH_COMPLETE": "bash_source"}
    script = subprocess.run([sys.executable, "-m", "citegraph.cli"], env=env, capture_output=True, text=True,
                            check=False)
    assert script.returncode == 0 and "_citegraph_completion()" in script.stdout


@pytest.mark.parametrize("args", [["analyse", "-o", "notes.txt"], ["plot", "-o", "notes.txt"],
                                  ["export", "--format", "csv", "-o", "notes.txt/net"]])
def test_an_output_folder_that_is_a_file_is_refused_before_the_analysis(run, small_store: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        args: list[str]) -> None:
    import citegraph.analysis.pipeline

    def no_work(*a: object, **k: object) -> None:
        raise AssertionError("the analysis ran before the output paths were checked")

    monkeypatch.setattr(citegraph.analysis.pipeline, "analyse", no_work)
    (tmp_path / "notes.txt").write_text("mine\n")
    result = run("--store", str(small_store), *args)
    assert result.exit_code == 2
    assert "'notes.txt' is a file, not a folder" in one_line_error(result)
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_long_steps_say_what_they_do_unless_quiet(run, small_store: Path, shared_dir: Path) -> None:
    dump = str(shared_dir / "crossref" / "works-habanero.jsonl.gz")
    fetched = run("--store", str(small_store), "fetch", "--from", dump, "--depth", "1")
    assert fetched.exit_code == 0, fetched.stderr
    levels = [line for line in fetched.stderr.splitlines() if line.startswith("citegraph: level ")]
    assert [line.split(":")[1].strip() for line in levels] == ["level 0", "level 1"]
    analysed = run("--store", str(small_store), "analyse", "-o", "out", "--show", "0")
    with Store(small_store) as store:
        works = store.counts()["works"]
    assert analysed.stderr.startswith(f"citegraph: analysing {works} works: citation graph, topics, the hybrid graph")
    for args in (("fetch", "--from", dump, "--depth", "1"), ("analyse", "-o", "out")):
        assert run("--store", str(small_store), *args, "-q").stderr == ""


def test_status_and_import_load_no_analysis_stack(tmp_path: Path) -> None:
    """``status`` (1.6 s and 167 MB when it loaded scikit-learn through the coverage writer) and ``import``
    pay only for what they use (no Crossref client without ``--enrich``)."""
    export = tmp_path / "savedrecs.txt"  # a hand-made one-record WoS export
    export.write_text("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Doe, J\nTI T\nPY 2001\n"
                      "DI 10.5555/x\nCR Roe R, 1999, J X, V1, P2, DOI 10.5555/y\nER\nEF\n", encoding="utf-8")
    store = str(tmp_path / "s.sqlite")
    code = ("import sys\nfrom citegraph.cli import main\nfor argv in ({!r}, {!r}):\n"
            "    sys.argv = ['citegraph', *argv]\n    try:\n        main()\n    except SystemExit as exc:\n"
            "        assert not exc.code, exc.code\n"
            "print(sorted({{m.split('.')[0] if not m.startswith('citegraph') else m for m in sys.modules\n"
            "        if m.startswith(('sklearn', 'igraph', 'matplotlib', 'networkx', 'scipy', 'habanero',\n"
            "                         'citegraph.analysis'))}}))"
            ).format(["-q", "--store", store, "import", str(export)], ["--store", store, "status"])
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip().splitlines()[-1] == "[]"  # status imports the coverage analysis only for --coverage
