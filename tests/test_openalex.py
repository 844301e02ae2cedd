"""The OpenAlex source: record parsing on the real records, and the client against the OpenAlex replay.

The records in ``../shared/openalex/`` are real OpenAlex answers (see ``shared/README.md``). The records
and values marked ``HAND-MADE FIXTURE`` below are written here to feed the parser garbage; they are not
recordings.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from citegraph.doi import normalize_doi
from citegraph.errors import ConfigError, RecordError, SourceError, UsageError
from citegraph.sources import openalex
from citegraph.sources.openalex import (
    SELECT,
    OpenAlexBudgetError,
    OpenAlexKeyError,
    OpenAlexSource,
    abstract_from_inverted_index,
    openalex_id,
    parse_openalex_work,
    redact_api_key,
)

try:
    from tests.replay.openalex import OpenAlexReplay
except ImportError:  # plain `pytest`: tests/ itself is on sys.path
    from replay.openalex import OpenAlexReplay  # type: ignore[no-redef]

SEEDS = ["W3045921891", "W3046863325"]  # the seeds of the recorded snowball
KEY = "test-key-7Zq9SECRET"  # the replay's key in these tests: it must never show up in a message or a log


@pytest.fixture(scope="module")
def records(shared_dir: Path) -> list[dict[str, Any]]:
    with gzip.open(shared_dir / "openalex" / "works-openalexPro.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def recorded(shared_dir: Path, stem: str) -> dict[str, Any]:
    with open(shared_dir / "openalex" / "responses" / f"{stem}.json", encoding="utf-8") as fh:
        exchange: dict[str, Any] = json.load(fh)
    return exchange


@pytest.fixture
def replay(shared_dir: Path) -> Iterator[OpenAlexReplay]:
    with OpenAlexReplay(shared_dir, api_key=KEY, per_second=50) as server:
        yield server


def source(server: OpenAlexReplay, **kwargs: Any) -> OpenAlexSource:
    options: dict[str, Any] = {"api_key": KEY, "retries": 2, "backoff": 0.0, "per_second": 40.0, "timeout": 10.0}
    options.update(kwargs)
    return OpenAlexSource(server.url, **options)


def logged(server: OpenAlexReplay) -> list[tuple[str, str, int]]:
    """The replay's log once every request it admitted is in it (it logs after answering)."""
    deadline = time.monotonic() + 2.0
    while len(server.log) < server.stats()["requests"] and time.monotonic() < deadline:
        time.sleep(0.005)
    return server.log


def list_requests(server: OpenAlexReplay) -> list[str]:
    return [target for _, target, _ in logged(server) if target.startswith("/works?")]


# ------------------------------------------------------------------------------- parsing real records


def test_every_real_record_parses(records: list[dict[str, Any]]) -> None:
    works = [parse_openalex_work(r) for r in records]
    assert len(works) == 247
    assert sum(w.key.startswith("10.") for w in works) == 176  # every record with a DOI has a valid one
    assert sum(w.key.startswith("openalex:W") for w in works) == 71
    assert len({w.key for w in works}) == len({w.openalex_id for w in works}) == 247
    for record, work in zip(records, works, strict=True):
        row = work.parsed.work
        assert work.openalex_id == record["id"].rsplit("/", 1)[1]
        assert row.doi == work.key and row.source == "openalex" and work.parsed.references == ()
        if record["doi"]:
            assert row.doi_original == record["doi"].removeprefix("https://doi.org/")
            assert row.doi == row.doi_original.lower()
        else:
            assert row.doi_original == work.key == f"openalex:{work.openalex_id}"
        assert json.loads(row.raw_json) == record
        assert row.is_referenced_by_count == record["cited_by_count"]
        assert row.references_count == record["referenced_works_count"]
        assert work.referenced == tuple(dict.fromkeys(u.rsplit("/", 1)[1] for u in record["referenced_works"]))
        assert work.retracted is (record["is_retracted"] is True)
        assert work.updated == record["updated_date"]
        assert len(row.authors) == sum(1 for a in record["authorships"] if a["author"].get("display_name"))
    types = {w.parsed.work.type for w in works}
    assert types == {"journal-article", "book", "posted-content", "book-chapter", "dissertation", "report",
                     "paratext"}
    assert sum(1 for w in works if w.parsed.work.abstract) == sum(
        1 for r in records if r["abstract_inverted_index"])


def test_a_real_record_in_detail(records: list[dict[str, Any]]) -> None:
    record = next(r for r in records if r["id"].endswith("/W3046863325"))
    work = parse_openalex_work(record)
    row = work.parsed.work
    assert (work.key, work.openalex_id) == ("10.1145/3383583.3398584", "W3046863325")
    assert row.title == "Trends of Publications' Citations and Altmetrics Based on Open Access Types"
    assert (row.year, row.type, row.page) == (2020, "journal-article", "503")
    assert row.authors == ("Nishioka, Chifumi", "Färber, Michael")  # "Surname, Given", as Crossref's parser
    assert row.first_author == "Nishioka"
    assert row.subjects[0] == "scientometrics and bibliometrics research"  # topics[].display_name
    assert row.abstract is not None and row.abstract.startswith(
        "This paper analyzes trends of citation and altmetrics with respect to different OA types "
        "(e.g., gold, hybrid, green).")
    assert len(work.referenced) == 6


def test_abstracts_rebuilt_from_the_real_indexes(records: list[dict[str, Any]]) -> None:
    for record in records:
        index = record["abstract_inverted_index"]
        if not index:
            assert abstract_from_inverted_index(index) is None
            continue
        by_position = sorted((p, w) for w, ps in index.items() for p in ps)
        words = abstract_from_inverted_index(index)
        assert words is not None
        # every position holds one word in the real data: the text has each word at its place
        assert words.split(" ")[:20] == [w.strip() for _, w in by_position if w.strip()][:20]


# ------------------------------------------------------------------- garbage (HAND-MADE FIXTURES)


def test_abstract_from_garbage_hand_made() -> None:
    # HAND-MADE FIXTURES: inverted indexes as no server should send them
    assert abstract_from_inverted_index(None) is None
    assert abstract_from_inverted_index({}) is None
    assert abstract_from_inverted_index("text") is None  # type: ignore[arg-type]
    assert abstract_from_inverted_index({"a": [1], "b": [0]}) == "b a"
    assert abstract_from_inverted_index({"a": [0], "b": [0], "c": [5]}) == "a c"  # first claim wins, gaps closed
    assert abstract_from_inverted_index({"a": ["1", 2.0, None, True, -3], "b": [1]}) == "b"
    assert abstract_from_inverted_index({"a": 3, "b": None, "c": [2**63], "d": [10**100]}) is None  # type: ignore[dict-item]
    started = time.monotonic()
    assert abstract_from_inverted_index({"far": [99_999], "near": [0], "beyond": [100_000]}) == "near far"
    assert time.monotonic() - started < 0.5  # a huge position allocates nothing


def test_openalex_id_forms() -> None:
    assert openalex_id("https://openalex.org/W123") == "W123"
    assert openalex_id("http://openalex.org/works/w123") == "W123"
    assert openalex_id("W123") == openalex_id("w123") == openalex_id(" W123\n") == "W123"
    for value in ("A123", "W", "W12a", "https://example.org/W1", "doi:10.1/x", "", None, 123, ["W1"], "W" + "1" * 40):
        assert openalex_id(value) is None, value


# HAND-MADE FIXTURES: every field of the wrong type, or out of range
GARBAGE_RECORDS: list[dict[str, Any]] = [
    {"id": "W1", "doi": 10, "title": None, "display_name": ["x"], "publication_year": "2020", "type": 5,
     "primary_location": "here", "authorships": "Jane Doe", "cited_by_count": "12", "referenced_works_count": -1,
     "referenced_works": "W2", "abstract_inverted_index": [["a", 0]], "topics": {"display_name": "x"},
     "concepts": "c", "biblio": [1], "is_retracted": "yes", "updated_date": 20250101},
    {"id": "https://openalex.org/W2", "doi": "https://doi.org/not-a-doi", "publication_year": True,
     "primary_location": {"source": "Nature"},
     "authorships": [None, 1, {"author": None}, {"author": {"display_name": 7}},
                     {"author": {"display_name": "  Ada   Lovelace "}}],
     "cited_by_count": 10**20, "referenced_works": [None, 3, "W3", "W3", "A9", {"id": "W4"}],
     "topics": [None, {"display_name": None}, "Topic"], "concepts": [{"display_name": "Biology", "level": 0},
                                                                     {"display_name": "Deep", "level": 3},
                                                                     {"display_name": "Odd", "level": True}],
     "biblio": {"volume": 12, "first_page": "  e12  "}, "is_retracted": True, "title": "\ud800 Surrogate  title"},
    {"id": "W3", "title": {"nested": [1, 2]}, "publication_year": 20199, "abstract_inverted_index": {"x": "y"},
     "authorships": [{"author": {"display_name": "WHO"}}], "extra": {1, 2}, 5: "int key"},
]


@pytest.mark.parametrize("index", range(len(GARBAGE_RECORDS)))
def test_garbage_records_parse_without_crashing_hand_made(index: int) -> None:
    work = parse_openalex_work(GARBAGE_RECORDS[index])
    row = work.parsed.work
    assert work.key == f"openalex:W{index + 1}" == row.doi == row.doi_original
    assert row.year is None and row.is_referenced_by_count is None and row.references_count is None
    assert row.raw_json and "\ud800" not in row.raw_json
    row.raw_json.encode("utf-8")  # storable


def test_garbage_fields_are_dropped_and_the_rest_kept_hand_made() -> None:
    work = parse_openalex_work(GARBAGE_RECORDS[1])
    row = work.parsed.work
    assert row.title == "Surrogate title"
    assert row.authors == ("Lovelace, Ada",) and row.first_author == "Lovelace"
    assert work.referenced == ("W3",)
    assert row.subjects == ("Biology",)  # no usable topic: the level-0/1 concepts
    assert (row.volume, row.page, row.container) == (None, "e12", None)
    assert work.retracted is True
    first = parse_openalex_work(GARBAGE_RECORDS[0])
    assert first.retracted is False and first.updated is None and first.referenced == ()
    assert first.parsed.work.authors == () and first.parsed.work.title is None and first.parsed.work.type is None


@pytest.mark.parametrize("record", [
    {}, {"id": None}, {"id": "A5063410350"}, {"id": 3045921891}, {"doi": "https://doi.org/10.1/x"},
    [], "W1", None,
])
def test_records_without_a_work_id_are_record_errors_hand_made(record: Any) -> None:
    with pytest.raises(RecordError):
        parse_openalex_work(record)


def test_type_mapping() -> None:
    base = {"id": "W1"}  # HAND-MADE FIXTURE
    expected = {"article": "journal-article", "book-chapter": "book-chapter", "book": "book",
                "dissertation": "dissertation", "preprint": "posted-content", "report": "report",
                "review": "journal-article", "dataset": "dataset", "paratext": "paratext"}
    for given, stored in expected.items():
        assert parse_openalex_work({**base, "type": given}).parsed.work.type == stored


def test_redaction() -> None:
    assert redact_api_key("/works?api_key=abc&x=1") == "/works?api_key=<redacted>&x=1"
    assert redact_api_key("API_KEY=abc") == "API_KEY=<redacted>"
    assert redact_api_key("key k/y and k%2Fy", "k/y") == "key <redacted> and <redacted>"


def test_bad_options_are_usage_errors() -> None:
    for kwargs in ({"base_url": "ftp://x"}, {"retries": -1}, {"timeout": 0}, {"backoff": -1},
                   {"api_key": 5}):
        with pytest.raises(UsageError):
            OpenAlexSource(**kwargs)
    with pytest.raises(ConfigError):
        OpenAlexSource(per_second=0)


# ------------------------------------------------------------------------------ client: answers


def test_resolve_batches_of_100_one_request_each(replay: OpenAlexReplay, records: list[dict[str, Any]]) -> None:
    dois = [normalize_doi(r["doi"]) for r in records if r["doi"]]
    unknown = normalize_doi("10.5555/not-in-openalex")
    asked = [*dois, unknown, dois[0]]  # a repeated DOI is asked once
    with source(replay) as src:
        batches = list(src.resolve(asked))
    assert len(dois) == 176
    assert [b.requests for b in batches] == [1, 1]  # ceil(177 / 100) requests, each answered by one page
    assert len(list_requests(replay)) == 2 == replay.stats()["requests"]
    assert src.stats["requests"] == src.stats["list"] == 2 and src.limiter.stats["requests_started"] == 2
    found = [w for b in batches for w in b.works]
    assert [w.key for w in found] == [d.key for d in dois]  # in the order asked
    assert [m for b in batches for m in b.missing] == [unknown]
    assert sum(b.bad_records for b in batches) == 0
    target = list_requests(replay)[0]
    assert "per-page=200" in target and "cursor=*" in target and "api_key=REDACTED" in target
    assert "select=" + ",".join(SELECT) in target
    assert target.count("%7C") == 99  # 100 DOIs ORed with an encoded "|"


def test_a_doi_that_cannot_travel_in_a_filter_goes_alone(replay: OpenAlexReplay,
                                                         records: list[dict[str, Any]]) -> None:
    known = normalize_doi(records[0]["doi"])
    odd = [normalize_doi("10.5555/a,b"), normalize_doi("10.5555/a|b"), normalize_doi("10.5555/a+b")]
    with source(replay, mailto="me@example.org") as src:
        batches = list(src.resolve([known, *odd]))
    assert [b.requests for b in batches] == [1, 1, 1, 1]
    assert [w.key for w in batches[0].works] == [known.key]
    assert [b.missing for b in batches[1:]] == [[d] for d in odd]  # 404 on /works/doi:...: missing
    singles = [t for _, t, _ in logged(replay) if t.startswith("/works/doi:")]
    assert len(singles) == 3 and all("mailto=me%40example.org" in t and "api_key=REDACTED" in t for t in singles)
    assert "10.5555/a%2Cb" in singles[0] or "10.5555/a,b" in singles[0]


def test_citing_the_recorded_seeds(replay: OpenAlexReplay, shared_dir: Path) -> None:
    answer = recorded(shared_dir, "openalexPro_oa_snowball__3")["response"]["json"]
    expected = [r["id"].rsplit("/", 1)[1] for r in answer["results"]]
    with source(replay) as src:
        (batch,) = list(src.citing(SEEDS))
    assert batch.cited == SEEDS and batch.requests == 1 == len(list_requests(replay))
    assert [w.openalex_id for w in batch.works] == expected and len(expected) == 5  # OpenAlex's order
    edges = {(w.openalex_id, cited) for w in batch.works for cited in set(w.referenced) & set(SEEDS)}
    assert {citing for citing, _ in edges} == set(expected)  # each cites at least one seed
    assert "filter=cites:W3045921891%7CW3046863325" in list_requests(replay)[0]


def test_paging_takes_the_fewest_requests(replay: OpenAlexReplay, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openalex, "PER_PAGE", 2)
    with source(replay) as src:
        (citing,) = list(src.citing(SEEDS))  # 5 results: pages of 2, 2, 1 (the short one ends it)
        assert citing.requests == 3 and len(citing.works) == 5
        replay.reset_stats()
        (found,) = list(src.works_by_id(w.openalex_id for w in citing.works[:4]))  # 4 results: 2, 2 = count
    assert found.requests == 2 and len(found.works) == 4 and found.missing == []
    cursors = [re.search(r"cursor=([^&]*)", t).group(1) for t in list_requests(replay)]  # type: ignore[union-attr]
    assert cursors[0] == "*" and cursors[1] != "*"


def test_works_by_id_reports_missing_ids(replay: OpenAlexReplay) -> None:
    with source(replay) as src:
        (batch,) = list(src.works_by_id([*SEEDS, "https://openalex.org/W1", "not an id", "w3045921891"]))
    assert [w.openalex_id for w in batch.works] == SEEDS and batch.missing == ["W1"] and batch.requests == 1


def test_rate_limit_leaves_the_key_out(replay: OpenAlexReplay) -> None:
    with source(replay) as src:
        state = src.rate_limit()
    assert "daily_budget_usd" in state and "resets_at" in state and KEY not in json.dumps(state)


def test_a_bad_record_in_an_answer_is_skipped_and_counted(replay: OpenAlexReplay, records: list[dict[str, Any]],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    good = records[0]
    # HAND-MADE FIXTURE: an answer whose first record has no usable id
    replay.fail_next(200, body={"meta": {"count": 3, "next_cursor": None}, "results": [{"id": 5}, "junk", good]})
    with source(replay) as src, caplog.at_level(logging.WARNING, "citegraph"):
        (batch,) = list(src.works_by_id(["W100927044"]))
    assert batch.bad_records == 2 and [w.openalex_id for w in batch.works] == ["W100927044"]
    assert src.stats["bad_records"] == 2 and "skipping a record" in caplog.text


# ------------------------------------------------------------------------------- client: failures


def test_429_retry_after_is_waited(replay: OpenAlexReplay) -> None:
    replay.fail_next(429)  # the replay's per-second 429, Retry-After: 1
    with source(replay) as src:
        started = time.monotonic()
        (batch,) = list(src.works_by_id(SEEDS))
        waited = time.monotonic() - started
    assert len(batch.works) == 2 and batch.requests == 2
    assert 0.95 <= waited < 3.0
    assert src.stats["429"] == src.stats["throttled"] == src.stats["retries"] == 1
    assert src.limiter.effective.rate < 40.0  # slowed down


def test_429_without_retry_after_backs_off_and_retries(shared_dir: Path) -> None:
    with OpenAlexReplay(shared_dir, api_key=KEY, retry_after=False) as server:
        server.fail_next(429)
        with source(server) as src:
            started = time.monotonic()
            (batch,) = list(src.works_by_id(SEEDS))
            waited = time.monotonic() - started
    assert len(batch.works) == 2 and batch.requests == 2 and src.stats["throttled"] == 1
    assert 0.95 <= waited < 3.0  # the limiter's first back-off: 1 s


def test_429s_beyond_the_retries_stop_the_run(replay: OpenAlexReplay) -> None:
    replay.fail_next(429, count=5, headers={"retry-after": "0"})
    with source(replay, retries=2) as src, pytest.raises(SourceError) as caught:
        list(src.works_by_id(SEEDS))
    assert not isinstance(caught.value, OpenAlexBudgetError)
    assert replay.stats()["requests"] == 3 and "429" in str(caught.value)


def test_a_spent_budget_stops_at_once_with_the_reset_time(shared_dir: Path) -> None:
    with OpenAlexReplay(shared_dir, api_key=KEY, daily_budget=1) as server, source(server) as src:
        list(src.works_by_id(SEEDS[:1]))
        with pytest.raises(OpenAlexBudgetError) as caught:
            list(src.works_by_id(SEEDS[1:]))
        assert server.stats()["requests"] == 2  # the budget answer was not retried
    error = caught.value
    midnight = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
    assert error.resets_at == midnight and error.exit_code == 5
    message = str(error)
    assert "\n" not in message and "daily budget of this API key is spent (1 list calls)" in message
    assert f"resets at {midnight:%Y-%m-%dT%H:%M:%SZ} (in " in message and "what was fetched is kept" in message


def test_a_budget_is_recognised_by_header_or_by_body(replay: OpenAlexReplay) -> None:
    # the per-second body with x-ratelimit-remaining: 0 -> the reset from x-ratelimit-reset seconds
    replay.fail_next(429, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3720", "retry-after": "0"})
    with source(replay) as src, pytest.raises(OpenAlexBudgetError) as by_header:
        list(src.works_by_id(SEEDS))
    assert by_header.value.resets_at is not None
    assert math.isclose((by_header.value.resets_at - datetime.now(UTC)).total_seconds(), 3720, abs_tol=5)
    assert "(in 1 h 1 min)" in str(by_header.value) or "(in 1 h 2 min)" in str(by_header.value)
    # HAND-MADE FIXTURE body: a budget message while the header still says budget is left
    replay.fail_next(429, headers={"retry-after": "0"},
                     body={"error": "Rate limit exceeded", "message": "Your daily budget is exhausted.",
                           "resets_at": "2030-01-02T00:00:00Z"})
    with source(replay) as src, pytest.raises(OpenAlexBudgetError) as by_body:
        list(src.works_by_id(SEEDS))
    assert by_body.value.resets_at == datetime(2030, 1, 2, tzinfo=UTC)
    assert replay.stats()["requests"] == 2


@pytest.mark.parametrize("key", ["wrong-key", None])
def test_a_refused_key_names_the_setting(shared_dir: Path, key: str | None) -> None:
    with OpenAlexReplay(shared_dir, api_key=KEY) as server, source(server, api_key=key) as src:
        with pytest.raises(OpenAlexKeyError) as caught:
            list(src.works_by_id(SEEDS))
        assert server.stats()["requests"] == 1
    error = caught.value
    assert isinstance(error, ConfigError) and error.exit_code == 2
    message = str(error)
    assert "CITEGRAPH_OPENALEX_KEY" in message and "openalex_key in [tool.citegraph]" in message
    assert "(401: API key not found)" in message
    if key:
        assert message.startswith("OpenAlex refused the API key") and key not in message
    else:
        assert "none was given" in message


def test_400_names_the_parameter_and_is_not_retried(replay: OpenAlexReplay, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openalex, "SELECT", (*SELECT, "DOESNTEXIST"))
    with source(replay) as src, pytest.raises(SourceError) as caught:
        list(src.works_by_id(SEEDS))
    message = str(caught.value)
    assert "(400): DOESNTEXIST is not a valid select field." in message
    assert "Valid fields" not in message and "\n" not in message and len(message) < 600
    assert replay.stats()["requests"] == 1


def test_server_errors_are_retried_then_stop(replay: OpenAlexReplay) -> None:
    replay.fail_next(503)
    replay.fail_next("reset")
    replay.fail_next(200, body="<html>busy</html>")
    with source(replay, retries=3) as src:
        (batch,) = list(src.works_by_id(SEEDS))
    assert len(batch.works) == 2 and batch.requests == 4 and src.stats["retries"] == 3
    replay.fail_next(500, count=3)
    with source(replay, retries=2) as src, pytest.raises(SourceError) as caught:
        list(src.works_by_id(SEEDS))
    message = str(caught.value)
    assert "failed 3 times for GET /works?filter=openalex:W3045921891" in message
    assert "server error 500" in message and "api_key=<redacted>" in message


def test_the_key_never_shows_in_messages_or_logs(replay: OpenAlexReplay, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    messages: list[str] = []
    caplog.set_level(logging.DEBUG)
    replay.fail_next(500, count=2)
    replay.fail_next("reset")
    with source(replay, retries=2) as src, pytest.raises(SourceError) as caught:
        list(src.works_by_id(SEEDS))
    messages.append(str(caught.value))
    replay.fail_next(429, headers={"x-ratelimit-remaining": "0"})
    with source(replay) as src, pytest.raises(OpenAlexBudgetError) as spent:
        list(src.resolve([normalize_doi("10.1145/3383583.3398584")]))
    messages.append(str(spent.value))
    with OpenAlexSource("http://127.0.0.1:9", api_key=KEY, retries=1, backoff=0) as src:  # nothing listens
        with pytest.raises(SourceError) as refused:
            list(src.citing(SEEDS))
    messages.append(str(refused.value))
    assert "connection failed" in messages[-1]
    with source(replay, api_key=KEY + "x") as src, pytest.raises(OpenAlexKeyError) as bad_key:
        list(src.works_by_id(SEEDS))
    messages.append(str(bad_key.value))
    monkeypatch.setattr(openalex, "SELECT", (*SELECT, "DOESNTEXIST"))
    with source(replay) as src, pytest.raises(SourceError) as rejected:
        list(src.works_by_id(SEEDS))
    messages.append(str(rejected.value))
    assert "api_key=" in caplog.text  # urllib3 logged the URLs ...
    for text in [*messages, caplog.text, *(repr(r.args) for r in caplog.records)]:
        assert KEY not in text  # ... redacted


def test_the_default_rate_keeps_under_the_servers_limit(shared_dir: Path) -> None:
    with OpenAlexReplay(shared_dir, api_key=KEY, per_second=10) as server, OpenAlexSource(server.url, KEY) as src:
        started = time.monotonic()
        for _ in range(12):
            (batch,) = list(src.works_by_id(SEEDS[:1]))
            assert len(batch.works) == 1
        elapsed = time.monotonic() - started
        assert server.stats()["throttled"] == 0 and src.limiter.stats["requests_started"] == 12
    assert elapsed >= 1.0  # 12 starts at 10 per second


def test_a_403_is_a_refused_key_too(replay: OpenAlexReplay) -> None:
    replay.fail_next(403, body={"error": "Forbidden", "message": "this key may not use this endpoint"})
    with source(replay) as src, pytest.raises(OpenAlexKeyError) as caught:
        list(src.works_by_id(SEEDS))
    assert "403" in str(caught.value) and "CITEGRAPH_OPENALEX_KEY" in str(caught.value)
    assert replay.stats()["requests"] == 1  # not retried
