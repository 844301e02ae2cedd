"""The OpenCitations source: row parsing, and fetching against the replay server.

The recorded OpenCitations data in ``../shared/opencitations/responses/`` is
COCI **v1** (bare DOIs in ``citing``/``cited``). The v2 rows (identifier
bags) below marked ``HAND-MADE v2 FIXTURE`` are written here for unit tests
of the parser, in the shape the Index API v2 documents; they are not
recordings.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from citegraph.doi import DOI, normalize_doi
from citegraph.errors import SourceError, UsageError
from citegraph.sources.opencitations import (
    OC_LIMITS,
    Citation,
    NotAnsweredError,
    OpenCitationsSource,
    parse_citation_row,
    parse_identifiers,
)
from citegraph.sources.ratelimit import MAX_THROTTLES, PoolLimits, RateLimiter

JD = normalize_doi("10.1108/jd-12-2013-0166")  # 20 recorded citing works
PGEN = normalize_doi("10.1371/journal.pgen.1005937")  # 18 recorded citing works
UNKNOWN = normalize_doi("10.5555/not-in-opencitations")
FAST = PoolLimits(100.0, 2)  # tests that are not about the rate


def recorded_rows(shared_dir: Path, name: str) -> list[dict[str, Any]]:
    with open(shared_dir / "opencitations" / "responses" / name, encoding="utf-8") as fh:
        exchange = json.load(fh)
    assert exchange["response"]["status"] == 200
    rows = exchange["response"]["json"]
    assert isinstance(rows, list)
    return rows


def recorded_citing(shared_dir: Path, name: str) -> set[str]:
    """The citing DOIs (keys) of a recorded v1 ``/citations/`` answer."""
    return {normalize_doi(row["citing"]).key for row in recorded_rows(shared_dir, name)}


# --------------------------------------------------------------- parse_identifiers


def test_parse_identifiers_v2_bag() -> None:
    assert parse_identifiers("omid:br/06101801781 doi:10.7717/peerj-cs.421 pmid:33817056") == {
        "omid": ["br/06101801781"],
        "doi": ["10.7717/peerj-cs.421"],
        "pmid": ["33817056"],
    }


def test_parse_identifiers_bare_doi_several_dois_and_garbage() -> None:
    assert parse_identifiers("10.1108/jd-12-2013-0166") == {"doi": ["10.1108/jd-12-2013-0166"]}
    assert parse_identifiers("  doi:10.1/a\tDOI:10.1/B \n omid:br/1 doi:10.2/c ") == {
        "doi": ["10.1/a", "10.1/B", "10.2/c"],
        "omid": ["br/1"],
    }
    # a DOI with colons and brackets stays whole; a resolver URL is a DOI
    assert parse_identifiers("doi:10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2 https://doi.org/10.1/x") == {
        "doi": ["10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2", "10.1/x"],
    }
    assert parse_identifiers("garbage :x doi: pmid:7") == {"": ["garbage", ":x", "doi:"], "pmid": ["7"]}
    assert parse_identifiers("") == {}
    assert parse_identifiers("   ") == {}
    assert parse_identifiers(None) == {}  # type: ignore[arg-type]
    assert parse_identifiers(42) == {}  # type: ignore[arg-type]


# ------------------------------------------------------------- parse_citation_row

# HAND-MADE v2 FIXTURE (not a recording): the Index API v2 row shape.
V2_ROW = {
    "oci": "06101801781-06180334099",
    "citing": "omid:br/06101801781 doi:10.7717/peerj-cs.421 pmid:33817056",
    "cited": "omid:br/06180334099 doi:10.1108/jd-12-2013-0166",
    "creation": "2021-03-30",
    "timespan": "P7Y0M2D",
    "journal_sc": "no",
    "author_sc": "yes",
}


def test_parse_citation_row_v2_hand_made() -> None:
    c = parse_citation_row(V2_ROW)
    assert c == Citation(
        citing=normalize_doi("10.7717/peerj-cs.421"),
        cited=normalize_doi("10.1108/jd-12-2013-0166"),
        oci="06101801781-06180334099",
        creation="2021-03-30",
        timespan="P7Y0M2D",
        journal_sc=False,
        author_sc=True,
        citing_ids=("omid:br/06101801781", "doi:10.7717/peerj-cs.421", "pmid:33817056"),
        cited_ids=("omid:br/06180334099", "doi:10.1108/jd-12-2013-0166"),
    )


def test_parse_citation_row_v2_picks_first_valid_doi_and_skips_doi_less_sides() -> None:
    # HAND-MADE v2 FIXTURES (not recordings)
    row = dict(V2_ROW, citing="omid:br/1 doi:not-a-doi doi:10.1000/First doi:10.1000/second")
    c = parse_citation_row(row)
    assert c is not None
    assert (c.citing.key, c.citing.original) == ("10.1000/first", "10.1000/First")
    assert c.citing_ids == ("omid:br/1", "doi:not-a-doi", "doi:10.1000/First", "doi:10.1000/second")
    assert parse_citation_row(dict(V2_ROW, citing="omid:br/1 pmid:2")) is None
    assert parse_citation_row(dict(V2_ROW, cited="omid:br/1")) is None
    assert parse_citation_row(dict(V2_ROW, cited="")) is None
    assert parse_citation_row({k: v for k, v in V2_ROW.items() if k != "citing"}) is None
    assert parse_citation_row("not a row") is None  # type: ignore[arg-type]
    # missing / odd optional fields become None; garbage tokens are not kept as ids
    c = parse_citation_row({"citing": "doi:10.1/a ???", "cited": "10.1/b", "journal_sc": "maybe",
                            "author_sc": True, "creation": "", "timespan": None, "oci": 17})
    assert c == Citation(normalize_doi("10.1/a"), normalize_doi("10.1/b"), "17", None, None, None, True,
                         ("doi:10.1/a",), ("doi:10.1/b",))


def test_parse_citation_row_on_recorded_v1_rows(shared_dir: Path) -> None:
    names = ["oc_coci_cites__0.json", "oc_coci_cites_many_dois__1.json", "oc_coci_citation__0.json",
             "oc_coci_citation_many_dois__1.json"]
    total = 0
    for name in names:
        for row in recorded_rows(shared_dir, name):
            c = parse_citation_row(row)
            assert c is not None, row
            assert (c.citing.key, c.cited.key) == (row["citing"].lower(), row["cited"].lower())
            assert (c.oci, c.creation, c.timespan) == (row["oci"], row["creation"], row["timespan"])
            assert c.journal_sc is (row["journal_sc"] == "yes")
            assert c.author_sc is (row["author_sc"] == "yes")
            assert (c.citing_ids, c.cited_ids) == (("doi:" + row["citing"],), ("doi:" + row["cited"],))
            total += 1
    assert total == 20 + 18 + 1 + 1
    first = parse_citation_row(recorded_rows(shared_dir, "oc_coci_cites__0.json")[0])
    assert first == Citation(
        citing=normalize_doi("10.1145/3197026.3197050"),
        cited=JD,
        oci="0200101040536030109070002063703010907000500-0200101000836191363010263020001036300010606",
        creation="2018",
        timespan="P3Y",
        journal_sc=False,
        author_sc=False,
        citing_ids=("doi:10.1145/3197026.3197050",),
        cited_ids=("doi:10.1108/jd-12-2013-0166",),
    )
    single = parse_citation_row(recorded_rows(shared_dir, "oc_coci_citation__0.json")[0])
    assert single is not None
    assert (str(single.citing), str(single.cited), single.timespan, single.creation) == (
        "10.1108/jd-12-2013-0166", "10.5539/ass.v9n5p18", "P1Y10M10D", "2015-03-09")
    pgen_sc = [parse_citation_row(r) for r in recorded_rows(shared_dir, "oc_coci_cites_many_dois__1.json")]
    assert sum(1 for c in pgen_sc if c is not None and c.journal_sc) == sum(
        1 for r in recorded_rows(shared_dir, "oc_coci_cites_many_dois__1.json") if r["journal_sc"] == "yes") >= 1


# ------------------------------------------------------------------ construction


def test_bad_api_version_and_url_are_usage_errors() -> None:
    with pytest.raises(UsageError, match=r"api_version must be one of 'v2', 'v1', not 'v3'"):
        OpenCitationsSource(api_version="v3")
    with pytest.raises(UsageError, match="http:// or https://"):
        OpenCitationsSource("api.opencitations.net")
    with pytest.raises(UsageError, match="retries"):
        OpenCitationsSource(retries=-1)


def test_urls_percent_encode_the_doi() -> None:
    odd = normalize_doi("10.1000/A#b?c%zz<d>")
    spaced = DOI("10.1000/a b", "10.1000/a b")  # not a valid DOI, but never sent unencoded
    with OpenCitationsSource("https://oc.example/") as v2, \
            OpenCitationsSource("https://oc.example", api_version="v1") as v1:
        assert v2.url_for(JD) == "https://oc.example/index/v2/citations/doi:10.1108/jd-12-2013-0166"
        assert v1.url_for(JD) == "https://oc.example/index/coci/api/v1/citations/10.1108/jd-12-2013-0166"
        assert v2.url_for(odd) == "https://oc.example/index/v2/citations/doi:10.1000/a%23b%3Fc%25zz%3Cd%3E"
        assert v1.url_for(spaced) == "https://oc.example/index/coci/api/v1/citations/10.1000/a%20b"
    assert OC_LIMITS == PoolLimits(5.0, 2)


# ----------------------------------------------------------- against the replay


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_citations_match_the_recording(replay_server, shared_dir: Path, version: str) -> None:
    expected = recorded_citing(shared_dir, "oc_coci_cites__0.json")
    assert len(expected) == 20
    with OpenCitationsSource(replay_server.url, api_version=version, limits=FAST) as src:
        found = src.citations(JD)
        assert src.citations(UNKNOWN) == []
    assert {c.citing.key for c in found} == expected
    assert [c.citing.key for c in found] == sorted(expected)
    assert all(c.cited == JD and c.cited_ids == ("doi:10.1108/jd-12-2013-0166",) for c in found)
    assert replay_server.stats["by_path"] == {f"oc-{version}": 2}
    assert dict(src.stats) == {"requests": 2, "status_200": 2}


def test_v1_and_v2_give_equal_citations(replay_server) -> None:
    with OpenCitationsSource(replay_server.url, api_version="v1", limits=FAST) as v1, \
            OpenCitationsSource(replay_server.url, limits=FAST) as v2:
        assert v1.citations(PGEN) == v2.citations(PGEN)
        assert len(v2.citations(PGEN)) == 18


def test_an_odd_doi_reaches_the_server_intact(replay_server) -> None:
    odd = normalize_doi("10.1000/A#b?c%zz<d>")
    with OpenCitationsSource(replay_server.url, limits=FAST) as src:
        assert src.citations(odd) == []
    assert replay_server.stats["dois_requested"] == {"10.1000/a#b?c%zz<d>": 1}


def test_citations_many_one_request_per_doi_within_the_concurrency(make_replay_server,
                                                                   shared_dir: Path) -> None:
    server = make_replay_server(latency=0.2)
    limits = PoolLimits(50.0, 2)
    with OpenCitationsSource(server.url, limits=limits) as src:
        results = dict(src.citations_many([JD, PGEN, UNKNOWN, normalize_doi(JD.key.upper())]))
    assert set(results) == {JD, PGEN, UNKNOWN}
    assert {c.citing.key for c in results[JD]} == recorded_citing(shared_dir, "oc_coci_cites__0.json")
    assert {c.citing.key for c in results[PGEN]} == recorded_citing(shared_dir, "oc_coci_cites_many_dois__1.json")
    assert results[UNKNOWN] == []
    stats = server.stats
    assert stats["requests"] == 3
    assert stats["dois_requested"] == {JD.key: 1, PGEN.key: 1, UNKNOWN.key: 1}
    assert stats["peak_concurrency"] == limits.concurrency  # used, never exceeded
    assert src.limiter.stats["peak_in_flight"] == limits.concurrency


def test_default_limits_keep_the_rate(replay_server) -> None:
    dois = [JD, PGEN] + [normalize_doi(f"10.5555/none-{i}") for i in range(4)]
    started = time.monotonic()
    with OpenCitationsSource(replay_server.url) as src:
        assert len(list(src.citations_many(dois))) == 6
    times = sorted(t for _, _, _, t in replay_server.log)
    assert replay_server.stats["peak_concurrency"] <= OC_LIMITS.concurrency
    # 6 starts at >= 1.02/5 s apart: at least 1 s from first to last
    assert time.monotonic() - started >= 5 * 1.02 / OC_LIMITS.rate - 0.01
    assert len(times) == 6


# ------------------------------------------------------------------------ faults


def test_server_errors_are_retried(make_replay_server, shared_dir: Path) -> None:
    # seed 3 draws 0.24 (503), 0.54 (ok), 0.37 (503), 0.60 (ok)
    server = make_replay_server(faults={"503": 0.5}, fault_seed=3, fault_paths="/index/", enforce_limits=False)
    with OpenCitationsSource(server.url, limits=FAST, backoff=0.01) as src:
        jd = src.citations(JD)
        pgen = src.citations(PGEN)
    assert {c.citing.key for c in jd} == recorded_citing(shared_dir, "oc_coci_cites__0.json")
    assert {c.citing.key for c in pgen} == recorded_citing(shared_dir, "oc_coci_cites_many_dois__1.json")
    assert server.stats["faults"] == {"503": 2}
    assert dict(src.stats) == {"requests": 4, "status_503": 2, "status_200": 2}


def test_many_faults_still_give_the_right_answer(make_replay_server, shared_dir: Path) -> None:
    server = make_replay_server(faults={"503": 0.25, "502": 0.1, "reset": 0.1, "truncated": 0.1},
                                fault_seed=4, fault_paths="/index/", enforce_limits=False)
    with OpenCitationsSource(server.url, limits=FAST, backoff=0.01, retries=10) as src:
        results = dict(src.citations_many([JD, PGEN, UNKNOWN]))
    assert {c.citing.key for c in results[JD]} == recorded_citing(shared_dir, "oc_coci_cites__0.json")
    assert {c.citing.key for c in results[PGEN]} == recorded_citing(shared_dir, "oc_coci_cites_many_dois__1.json")
    assert results[UNKNOWN] == []
    # seed 4 draws 503, 503, reset, 503, 502, reset, then three answers, whatever DOI gets which
    assert server.stats["faults"] == {"503": 3, "reset": 2, "502": 1}
    assert src.stats["requests"] == server.stats["requests"] == 9


def test_repeated_failure_stops_after_retries_plus_one(make_replay_server) -> None:
    server = make_replay_server(faults={"500": 1.0}, fault_paths="/index/", enforce_limits=False)
    with OpenCitationsSource(server.url, limits=FAST, retries=3, backoff=0.01) as src:
        with pytest.raises(SourceError) as info:
            src.citations(JD)
    assert server.stats["requests"] == 4 and src.stats["status_500"] == 4
    assert str(info.value) == (
        f"OpenCitations at {server.url} failed 4 times for 10.1108/jd-12-2013-0166 "
        "(last: server error 500); everything fetched so far is kept: run the same command again to resume"
    )
    assert info.value.exit_code == 5


def test_default_retries_is_five(make_replay_server) -> None:
    server = make_replay_server(faults={"500": 1.0}, fault_paths="/index/", enforce_limits=False)
    with OpenCitationsSource(server.url, limits=FAST, backoff=0.001) as src:
        with pytest.raises(SourceError, match="failed 6 times"):
            src.citations(JD)
    assert server.stats["requests"] == src.retries + 1 == 6


@pytest.mark.parametrize("kind", ["truncated", "html200"])
def test_garbled_200s_are_retried_never_returned(make_replay_server, shared_dir: Path, kind: str) -> None:
    # seed 7 draws 0.32 (fault), 0.15 (fault), 0.65 (ok)
    server = make_replay_server(faults={kind: 0.5}, fault_seed=7, fault_paths="/index/", enforce_limits=False)
    with OpenCitationsSource(server.url, limits=FAST, backoff=0.01) as src:
        found = src.citations(JD)
    assert {c.citing.key for c in found} == recorded_citing(shared_dir, "oc_coci_cites__0.json")
    assert server.stats["faults"] == {kind: 2}
    assert dict(src.stats) == {"requests": 3, "status_200": 3}


def test_garbled_200s_only_end_in_an_error(make_replay_server) -> None:
    server = make_replay_server(faults={"html200": 1.0}, fault_paths="/index/", enforce_limits=False)
    with OpenCitationsSource(server.url, limits=FAST, backoff=0.001, retries=2) as src:
        with pytest.raises(SourceError, match=r"failed 3 times .*\(last: status 200 but HTML"):
            src.citations(JD)


def test_429_waits_retry_after_without_using_the_error_budget(make_replay_server, shared_dir: Path) -> None:
    # seed 1 draws 0.13 (429) then 0.85 (ok); retries=0 leaves no error budget at all
    server = make_replay_server(faults={"429": 0.5}, fault_seed=1, fault_paths="/index/", enforce_limits=False)
    started = time.monotonic()
    with OpenCitationsSource(server.url, limits=FAST, retries=0) as src:
        found = src.citations(JD)
    assert time.monotonic() - started >= server.retry_after - 0.05  # Retry-After: 1 was honoured
    assert {c.citing.key for c in found} == recorded_citing(shared_dir, "oc_coci_cites__0.json")
    assert dict(src.stats) == {"requests": 2, "status_429": 1, "throttled": 1, "status_200": 1}
    assert src.limiter.stats["throttled"] == 1
    assert src.limiter.effective.rate == FAST.rate / 2  # slowed down


def test_time_outs_are_retried(make_replay_server, shared_dir: Path) -> None:
    # seed 1: the first request stalls, the second is answered
    server = make_replay_server(faults={"stall": 0.5}, fault_seed=1, fault_paths="/index/",
                                stall_seconds=5, enforce_limits=False)
    with OpenCitationsSource(server.url, limits=FAST, timeout=0.3, backoff=0.01) as src:
        found = src.citations(JD)
    assert {c.citing.key for c in found} == recorded_citing(shared_dir, "oc_coci_cites__0.json")
    assert src.stats["requests"] == 2 and server.stats["faults"] == {"stall": 1}


def test_citations_many_stops_on_a_failing_doi_and_cancels_the_rest(make_replay_server) -> None:
    server = make_replay_server(faults={"500": 1.0}, fault_paths="pgen", enforce_limits=False)
    others = [normalize_doi(f"10.5555/none-{i:03d}") for i in range(60)]
    yielded: list[DOI] = []
    with OpenCitationsSource(server.url, limits=PoolLimits(20.0, 2), retries=2, backoff=0.05) as src:
        with pytest.raises(SourceError, match=r"failed 3 times for 10.1371/journal.pgen.1005937"):
            for doi, found in src.citations_many([PGEN, *others]):
                assert found == []
                yielded.append(doi)
    requests = server.stats["requests"]
    time.sleep(0.2)
    assert server.stats["requests"] == requests  # nothing runs after the error
    asked = set(server.stats["dois_requested"])
    assert PGEN.key not in asked  # its requests all failed
    assert server.stats["faults"] == {"500": 3}
    assert {d.key for d in yielded} <= asked and len(asked) < len(others)


# ------------------------------------------------------- headers and statuses


class _Recorder:
    """A tiny local HTTP server: records each request's path and headers, answers via ``reply``."""

    def __init__(self, reply: Callable[[str], tuple[int, dict[str, str], bytes]]) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                recorder.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = reply(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def recorder() -> Iterator[Callable[..., _Recorder]]:
    started: list[_Recorder] = []

    def make(reply: Callable[[str], tuple[int, dict[str, str], bytes]]) -> _Recorder:
        server = _Recorder(reply)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


JSON = {"content-type": "application/json"}


def test_token_goes_in_the_authorization_header(recorder) -> None:
    server = recorder(lambda path: (200, JSON, b"[]"))
    with OpenCitationsSource(server.url, "s3cret-token", mailto="me@example.org", limits=FAST) as src:
        assert src.citations(JD) == []
    with OpenCitationsSource(server.url, limits=FAST) as anonymous:
        assert anonymous.citations(JD) == []
    (path, headers), (_, anon_headers) = server.requests
    assert path == "/index/v2/citations/doi:10.1108/jd-12-2013-0166"
    assert headers["authorization"] == "s3cret-token"
    assert headers["user-agent"].startswith("citegraph/") and headers["user-agent"].endswith(
        " (mailto:me@example.org)")
    assert "authorization" not in anon_headers and "mailto" not in anon_headers["user-agent"]


@pytest.mark.parametrize("status", [401, 403])
def test_refused_token_names_the_status_and_the_variable(recorder, status: int) -> None:
    server = recorder(lambda path: (status, {"content-type": "text/plain"}, b"no"))
    with OpenCitationsSource(server.url, "bad", limits=FAST) as src:
        with pytest.raises(SourceError, match=rf"status {status} .*CITEGRAPH_OPENCITATIONS_TOKEN"):
            src.citations(JD)
    assert len(server.requests) == 1  # not retried


def test_400_is_an_error_and_404_is_not_an_answer(recorder) -> None:
    server = recorder(lambda path: (400, JSON, b'{"error": "bad"}') if "bad" in path
                      else (404, {"content-type": "text/plain"}, b"Not Found"))
    with OpenCitationsSource(server.url, limits=FAST) as src:
        with pytest.raises(SourceError, match="answered status 400"):
            src.citations(normalize_doi("10.1/bad"))
        # OpenCitations answers [] for a DOI without citations: a 404 is not that answer, and is not retried
        with pytest.raises(NotAnsweredError, match=r"answered 404 for 10.1/none .* is the OpenCitations URL right"):
            src.citations(normalize_doi("10.1/none"))
    assert len(server.requests) == 2


def test_a_json_object_or_alien_rows_are_not_data(recorder) -> None:
    alien = [
        {"citing": "10.1/a", "cited": "10.9/other"},  # cites something else: skipped
        {"citing": "omid:br/1", "cited": "doi:10.1108/jd-12-2013-0166"},  # no citing DOI: skipped
        {"citing": "doi:10.1/b", "cited": "omid:br/2 doi:10.9/alias doi:10.1108/JD-12-2013-0166"},
        {"citing": "doi:10.1/b", "cited": "doi:10.1108/jd-12-2013-0166"},  # duplicate
        "not a row",
    ]
    server = recorder(lambda path: (200, JSON, json.dumps({"rows": []}).encode()) if "10.1/x" in path
                      else (200, JSON, json.dumps(alien).encode()))
    with OpenCitationsSource(server.url, limits=FAST, retries=1, backoff=0.001) as src:
        with pytest.raises(SourceError, match=r"failed 2 times .*JSON dict instead of a list"):
            src.citations(normalize_doi("10.1/x"))
        found = src.citations(JD)
    assert [(c.citing.key, c.cited) for c in found] == [("10.1/b", JD)]
    assert found[0].cited_ids == ("omid:br/2", "doi:10.9/alias", "doi:10.1108/JD-12-2013-0166")
    assert src.stats["rows_skipped"] == 3


def test_throttles_are_capped(recorder) -> None:
    server = recorder(lambda path: (429, {"retry-after": "0", "content-type": "text/plain"}, b"slow down"))
    now = [0.0]

    def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    with OpenCitationsSource(server.url, retries=0) as src:
        src.limiter = RateLimiter(OC_LIMITS, clock=lambda: now[0], sleep=fake_sleep, name="opencitations")
        with pytest.raises(SourceError, match=rf"failed {MAX_THROTTLES + 1} times .*429 Too Many Requests"):
            src.citations(JD)
    assert len(server.requests) == MAX_THROTTLES + 1
    assert src.stats["throttled"] == MAX_THROTTLES + 1


def test_unreachable_server_fails_after_retries() -> None:
    with OpenCitationsSource("http://127.0.0.1:9", retries=2, backoff=0.001, limits=FAST) as src:
        with pytest.raises(SourceError, match=r"failed 3 times .*connection failed"):
            src.citations(JD)
    assert src.stats["requests"] == 3
