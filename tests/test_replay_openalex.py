"""Tests of the OpenAlex replay server (tests/replay/openalex.py) against the recordings in ../shared/openalex."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

if TYPE_CHECKING:  # one module name for the type checker
    from tests.replay.openalex import MAX_OR_VALUES, OpenAlexReplay
    from tests.replay.server import default_shared_dir
else:
    try:  # the repository root on sys.path (python -m pytest, or tests/ made a package)
        from tests.replay.openalex import MAX_OR_VALUES, OpenAlexReplay
        from tests.replay.server import default_shared_dir
    except ImportError:  # plain `pytest`: pytest puts tests/ itself on sys.path
        from replay.openalex import MAX_OR_VALUES, OpenAlexReplay
        from replay.server import default_shared_dir

pytestmark = pytest.mark.shared

OPENALEX_DIR = default_shared_dir() / "openalex"
RESPONSES = OPENALEX_DIR / "responses"
KEY = "test-key"
PREFIX = "https://openalex.org/"
SEED_A, SEED_B = "W3045921891", "W3046863325"  # the two seed works of the recorded snowball
HOTSPOTS = ("W2162348455", "10.1038/35002501")  # a recorded single work, by id and DOI
MODELLED = ("openalex", "cites", "cited_by")


def _recorded_list_requests() -> list[str]:
    """Stems of the recorded 200 list answers whose filters the replay models."""
    stems = []
    for path in sorted(RESPONSES.glob("*.json")):
        exchange = json.loads(path.read_text(encoding="utf-8"))
        uri = urlsplit(exchange["request"]["uri"])
        names = {part.partition(":")[0] for value in dict(parse_qsl(uri.query)).get("filter", "").split(",")
                 for part in [value] if value}
        if exchange["response"]["status"] == 200 and uri.path == "/works" and names and names <= set(MODELLED):
            stems.append(path.stem)
    return stems


RECORDED_LISTS = _recorded_list_requests() if RESPONSES.is_dir() else ["(no recordings)"]


# --------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def openalex_shared() -> Path:
    """``../shared`` when it holds the OpenAlex recordings; skips otherwise."""
    if not OPENALEX_DIR.is_dir():
        pytest.skip(f"{OPENALEX_DIR} not found beside the repo: the recorded OpenAlex data is needed")
    return OPENALEX_DIR.parent


@pytest.fixture(scope="module")
def records(openalex_shared: Path) -> dict[str, dict[str, Any]]:
    """Every work record of the shared data, read here independently of the server: short id -> record."""
    out: dict[str, dict[str, Any]] = {}
    with gzip.open(OPENALEX_DIR / "works-openalexPro.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                out[rec["id"].removeprefix(PREFIX)] = rec
    for path in RESPONSES.glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))["response"].get("json")
        if isinstance(body, dict) and str(body.get("id", "")).startswith(PREFIX + "W"):
            out.setdefault(body["id"].removeprefix(PREFIX), body)
    return out


def recorded(stem: str) -> dict[str, Any]:
    exchange: dict[str, Any] = json.loads((RESPONSES / f"{stem}.json").read_text(encoding="utf-8"))
    return exchange


@pytest.fixture
def make_oa(make_openalex_replay: Callable[..., OpenAlexReplay]) -> Callable[..., OpenAlexReplay]:
    """Factory: ``make_oa(**options)`` starts an OpenAlexReplay (conftest's ``make_openalex_replay``)."""
    return make_openalex_replay


@pytest.fixture
def oa(make_oa: Callable[..., OpenAlexReplay]) -> OpenAlexReplay:
    """A running replay whose per-second limit the functional tests do not reach."""
    return make_oa(per_second=10_000)


def get(server: OpenAlexReplay, path: str, params: dict[str, Any] | None = None, *,
        key: str | None = KEY) -> requests.Response:
    """One GET on a fresh connection, no retries, with ``api_key`` unless ``key`` is None."""
    params = dict(params or {})
    if key is not None:
        params["api_key"] = key
    return requests.get(server.url + path, params=params, timeout=10)


def works(server: OpenAlexReplay, **params: Any) -> dict[str, Any]:
    response = get(server, "/works", {("per-page" if k == "per_page" else k): v for k, v in params.items()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [r["id"].removeprefix(PREFIX) for r in body["results"]]


def all_pages(server: OpenAlexReplay, filt: str, per_page: int) -> list[dict[str, Any]]:
    """Every cursor page of ``filt``, the empty closing one included."""
    pages, cursor = [], "*"
    while cursor is not None:
        body = works(server, filter=filt, per_page=per_page, cursor=cursor)
        pages.append(body)
        cursor = body["meta"]["next_cursor"]
        assert len(pages) < 500
    return pages


# --------------------------------------------------------------------- the data


def test_corpus_holds_every_recorded_work(oa: OpenAlexReplay, records: dict[str, dict[str, Any]]) -> None:
    corpus = oa.corpus
    assert len(corpus.works) == len(records) == 247
    assert set(corpus.works) == set(records)
    assert all("relevance_score" not in rec for rec in corpus.works.values())
    assert corpus.by_doi[HOTSPOTS[1]] == HOTSPOTS[0]
    assert {k: v for k, v in records[SEED_B].items() if k != "relevance_score"} == corpus.works[SEED_B]


# ---------------------------------------------------------------------- filters


def test_doi_filter_ors_values_in_any_spelling(oa: OpenAlexReplay, records: dict[str, dict[str, Any]]) -> None:
    with_doi = sorted(w for w, r in records.items() if r.get("doi"))
    first, second = records[with_doi[0]]["doi"], records[with_doi[1]]["doi"]
    bare = second.removeprefix("https://doi.org/")
    body = works(oa, filter=f"doi:{first.upper().replace('HTTPS://DOI.ORG/', 'https://doi.org/')}|{bare}"
                            "|10.9999/not-held")
    assert body["meta"]["count"] == 2
    assert sorted(ids(body)) == with_doi[:2]


@pytest.mark.parametrize("name", ["openalex", "ids.openalex"])
def test_openalex_id_filters(oa: OpenAlexReplay, name: str) -> None:
    body = works(oa, filter=f"{name}:{PREFIX}{SEED_A}|{SEED_B.lower()}|W1")
    assert body["meta"]["count"] == 2
    assert set(ids(body)) == {SEED_A, SEED_B}


def test_cites_and_cited_by_agree_with_referenced_works(oa: OpenAlexReplay,
                                                       records: dict[str, dict[str, Any]]) -> None:
    for seed in (SEED_A, SEED_B):
        citing = {w for w, r in records.items() if PREFIX + seed in (r.get("referenced_works") or ())}
        cited = {w.removeprefix(PREFIX) for w in records[seed]["referenced_works"]} & set(records)
        assert set(ids(works(oa, filter=f"cites:{seed}", per_page=200))) == citing
        assert set(ids(works(oa, filter=f"cited_by:{PREFIX}{seed}", per_page=200))) == cited
        # the hyphenated spelling OpenAlex's error text allows
        assert works(oa, filter=f"cited-by:{seed}", per_page=200)["meta"]["count"] == len(cited)
    both = works(oa, filter=f"cited_by:{SEED_A}|{SEED_B}", per_page=200)
    union = {w.removeprefix(PREFIX) for s in (SEED_A, SEED_B) for w in records[s]["referenced_works"]}
    assert set(ids(both)) == union & set(records)
    assert both["meta"]["count"] == 38  # as recorded (openalexPro_oa_snowball__5)


def test_filters_are_anded(oa: OpenAlexReplay, records: dict[str, dict[str, Any]]) -> None:
    cited = [records[w.removeprefix(PREFIX)] for w in records[SEED_A]["referenced_works"]
             if w.removeprefix(PREFIX) in records]
    year = cited[0]["publication_year"]
    expected = {r["id"].removeprefix(PREFIX) for r in cited if r["publication_year"] == year}
    body = works(oa, filter=f"cited_by:{SEED_A},publication_year:{year}", per_page=200)
    assert set(ids(body)) == expected
    # a repeated name is ANDed too: two disjoint id sets give nothing
    assert works(oa, filter=f"openalex:{SEED_A},openalex:{SEED_B}")["meta"]["count"] == 0


def test_year_retraction_and_type_filters(oa: OpenAlexReplay, records: dict[str, dict[str, Any]]) -> None:
    years = [r.get("publication_year") for r in records.values()]
    assert works(oa, filter="publication_year:2009")["meta"]["count"] == years.count(2009)
    assert works(oa, filter="publication_year:2008|2009")["meta"]["count"] == years.count(2008) + years.count(2009)
    assert works(oa, filter="publication_year:2005-2009")["meta"]["count"] == sum(
        1 for y in years if isinstance(y, int) and 2005 <= y <= 2009)
    assert works(oa, filter="publication_year:>2020")["meta"]["count"] == sum(
        1 for y in years if isinstance(y, int) and y > 2020)
    retracted = sum(1 for r in records.values() if r.get("is_retracted"))
    assert works(oa, filter="is_retracted:true")["meta"]["count"] == retracted
    assert works(oa, filter="is_retracted:false")["meta"]["count"] == len(records) - retracted
    books = sum(1 for r in records.values() if r.get("type") == "book")
    assert books > 0
    assert works(oa, filter="type:book")["meta"]["count"] == books
    assert works(oa, filter="type:types/book|preprint")["meta"]["count"] == books + sum(
        1 for r in records.values() if r.get("type") == "preprint")


def test_results_come_in_the_recorded_order(oa: OpenAlexReplay) -> None:
    body = works(oa, per_page=200)
    keys = [(-r["cited_by_count"], int(r["id"].removeprefix(PREFIX + "W"))) for r in body["results"]]
    assert keys == sorted(keys)
    assert body["meta"] == {"count": 247, "db_response_time_ms": body["meta"]["db_response_time_ms"], "page": 1,
                            "per_page": 200, "groups_count": None, "cost_usd": 0.0001}
    assert body["group_by"] == []


# ----------------------------------------------------------------------- paging


def test_cursor_paging_sums_to_count_and_ends_as_recorded(oa: OpenAlexReplay) -> None:
    filt = f"cited_by:{SEED_A}|{SEED_B}"
    pages = all_pages(oa, filt, per_page=7)
    counts = {p["meta"]["count"] for p in pages}
    assert counts == {38}
    sizes = [len(p["results"]) for p in pages]
    assert sizes == [7, 7, 7, 7, 7, 3, 0]
    seen = [w for p in pages for w in ids(p)]
    assert len(seen) == len(set(seen)) == 38
    # a non-empty last page still carries a cursor; the page after it is empty and ends the chain
    assert pages[-2]["meta"]["next_cursor"] is not None
    assert pages[-1]["meta"]["next_cursor"] is None
    assert all(p["meta"]["page"] is None and p["meta"]["per_page"] == 7 for p in pages)
    # an exact fit behaves the same: one full page, then an empty one
    exact = all_pages(oa, f"openalex:{SEED_A}|{SEED_B}", per_page=2)
    assert [len(p["results"]) for p in exact] == [2, 0]


def test_cursor_tokens_are_in_openalex_format(oa: OpenAlexReplay) -> None:
    body = works(oa, filter=f"openalex:{SEED_A}|{SEED_B}", per_page=200, cursor="*")
    # the very token OpenAlex sent for this request (openalexPro_oa_snowball__1)
    assert body["meta"]["next_cursor"] == recorded("openalexPro_oa_snowball__1")["response"]["json"]["meta"][
        "next_cursor"]
    decoded = json.loads(base64.b64decode(body["meta"]["next_cursor"]))
    assert decoded == f"['-Infinity', 0, '{PREFIX}{SEED_A}']"
    bad = get(oa, "/works", {"filter": f"openalex:{SEED_A}", "cursor": "not-a-cursor"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "Invalid query parameters error."


def test_basic_paging(oa: OpenAlexReplay) -> None:
    filt = f"cited_by:{SEED_A}|{SEED_B}"
    pages = [works(oa, filter=filt, per_page=10, page=n) for n in (1, 2, 3, 4, 5)]
    assert [p["meta"]["page"] for p in pages] == [1, 2, 3, 4, 5]
    assert [len(p["results"]) for p in pages] == [10, 10, 10, 8, 0]
    assert all("next_cursor" not in p["meta"] for p in pages)
    seen = [w for p in pages for w in ids(p)]
    assert len(set(seen)) == 38
    assert seen == [w for p in all_pages(oa, filt, per_page=200) for w in ids(p)]
    deep = get(oa, "/works", {"per-page": 200, "page": 51})
    assert deep.status_code == 400
    assert "10,000" in deep.json()["message"]
    assert get(oa, "/works", {"per-page": 200, "page": 50}).status_code == 200


# ----------------------------------------------------------------------- select


def test_select_returns_only_the_named_fields(oa: OpenAlexReplay, records: dict[str, dict[str, Any]]) -> None:
    body = works(oa, filter=f"cites:{SEED_B}", select="id,doi,referenced_works")
    assert body["results"]
    for result in body["results"]:
        assert list(result) == ["id", "doi", "referenced_works"]
        rec = records[result["id"].removeprefix(PREFIX)]
        assert (result["doi"], result["referenced_works"]) == (rec["doi"], rec["referenced_works"])
    single = get(oa, f"/works/{HOTSPOTS[0]}", {"select": "display_name,publication_year"})
    assert single.json() == {"display_name": "Biodiversity hotspots for conservation priorities",
                             "publication_year": 2000}


# ------------------------------------------------------------------------- 400s


def test_unknown_filter_is_the_recorded_400(oa: OpenAlexReplay) -> None:
    exchange = recorded("openalexPro_opt_filter_names__0")
    response = get(oa, "/works", {"filter": "DOESNTEXIST:1"})
    assert response.status_code == exchange["response"]["status"] == 400
    assert response.json() == exchange["response"]["json"]
    other = get(oa, "/works", {"filter": "colour:blue"}).json()
    assert other["message"] == exchange["response"]["json"]["message"].replace("DOESNTEXIST", "colour", 1)
    # a real OpenAlex filter the replay does not model says so
    unmodelled = get(oa, "/works", {"filter": "title_and_abstract.search:finance"})
    assert unmodelled.status_code == 400
    assert "does not model" in unmodelled.json()["message"]


def test_unknown_select_is_the_recorded_400(oa: OpenAlexReplay) -> None:
    exchange = recorded("openalexPro_opt_select_fields__0")
    for path in (f"/works/{HOTSPOTS[0]}", "/works"):
        response = get(oa, path, {"select": "DOESNTEXIST"})
        assert response.status_code == 400
        assert response.json() == exchange["response"]["json"]
    assert get(oa, "/works", {"select": "id,nope"}).json()["message"].startswith("nope is not a valid select field.")


def test_more_than_100_values_in_one_filter(oa: OpenAlexReplay, records: dict[str, dict[str, Any]]) -> None:
    held = sorted(records)
    assert len(held) > MAX_OR_VALUES
    hundred = works(oa, filter="openalex:" + "|".join(held[:100]), per_page=200)
    assert hundred["meta"]["count"] == 100
    response = get(oa, "/works", {"filter": "openalex:" + "|".join(held[:101])})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters error."
    assert "100" in body["message"] and "openalex" in body["message"]


@pytest.mark.parametrize("per_page, status", [("0", 400), ("1", 200), ("200", 200), ("201", 400), ("ten", 400)])
def test_per_page_bounds(oa: OpenAlexReplay, per_page: str, status: int) -> None:
    for name in ("per-page", "per_page"):
        response = get(oa, "/works", {name: per_page})
        assert response.status_code == status
        if status == 200:
            assert response.json()["meta"]["per_page"] == len(response.json()["results"]) == int(per_page)
        else:
            assert response.json()["error"] == "Invalid query parameters error."


# ------------------------------------------------------------------ single works


@pytest.mark.parametrize("ident", [HOTSPOTS[0], HOTSPOTS[0].lower(), PREFIX + HOTSPOTS[0], f"doi:{HOTSPOTS[1]}",
                                   f"https://doi.org/{HOTSPOTS[1].upper()}"])
def test_single_work_by_any_identifier(oa: OpenAlexReplay, ident: str) -> None:
    response = get(oa, f"/works/{ident}")
    assert response.status_code == 200
    body = response.json()
    assert body == recorded("openalexPro_pro_request_single_identifier__0")["response"]["json"]


@pytest.mark.parametrize("ident", ["W1", "doi:10.9999/not-held", "https://doi.org/10.9999/x", "nonsense"])
def test_unknown_single_work_is_404(oa: OpenAlexReplay, ident: str) -> None:
    response = get(oa, f"/works/{ident}")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == "404 Not Found"


# ---------------------------------------------------------------------- API key


@pytest.mark.parametrize("path", ["/works", f"/works/{HOTSPOTS[0]}", "/rate-limit"])
@pytest.mark.parametrize("key", [None, "wrong-key", ""])
def test_missing_or_bad_key_is_the_recorded_401(oa: OpenAlexReplay, path: str, key: str | None) -> None:
    response = get(oa, path, key=key)
    assert response.status_code == 401
    assert response.json() == recorded("openalexPro_pro_rate_limit_status_401__0")["response"]["json"]
    assert oa.stats()["charged"] == 0


def test_key_optional_when_not_required(make_oa: Callable[..., OpenAlexReplay]) -> None:
    server = make_oa(require_key=False)
    assert get(server, "/works", key=None).status_code == 200
    assert get(server, f"/works/{HOTSPOTS[0]}", key="anything").status_code == 200
    assert get(server, "/rate-limit", key=None).status_code == 401  # it reports on a key
    assert get(server, "/rate-limit").status_code == 200


def test_key_never_logged(make_oa: Callable[..., OpenAlexReplay], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret, wrong = "s3cret-K3y-0123", "wr0ng-K3y-4567"
    server = make_oa(api_key=secret, per_second=10_000)
    assert get(server, "/works", {"filter": f"openalex:{SEED_A}"}, key=secret).status_code == 200
    assert get(server, f"/works/{HOTSPOTS[0]}", key=secret).status_code == 200
    assert get(server, "/rate-limit", key=wrong).status_code == 401
    log = server.log
    assert [status for _, _, status in log] == [200, 200, 401]
    assert all("api_key=REDACTED" in target for _, target, _ in log)
    server_records = "\n".join(r.getMessage() for r in caplog.records if r.name.endswith("replay.openalex"))
    assert server.url in server_records  # the server's own log is captured (the client's is not checked)
    for text in (repr(log), repr(server.stats()), server_records):
        assert secret not in text and wrong not in text


# ------------------------------------------------------------------------- rate


def test_per_second_limit_answers_429_with_retry_after(make_oa: Callable[..., OpenAlexReplay]) -> None:
    server = make_oa(per_second=3)
    answers = [get(server, f"/works/{HOTSPOTS[0]}") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"] == "Too Many Requests"
    assert int(refused.headers["x-ratelimit-remaining"]) > 0  # not the daily budget
    time.sleep(1.05)
    assert get(server, f"/works/{HOTSPOTS[0]}").status_code == 200
    stats = server.stats()
    assert (stats["throttled"], stats["throttled_rate"], stats["throttled_budget"]) == (1, 1, 0)


def test_per_second_429_without_retry_after(make_oa: Callable[..., OpenAlexReplay]) -> None:
    server = make_oa(per_second=1, retry_after=False)
    assert get(server, "/rate-limit").status_code == 200
    refused = get(server, "/rate-limit")
    assert refused.status_code == 429
    assert "retry-after" not in refused.headers


def test_per_second_limit_under_parallel_load(make_oa: Callable[..., OpenAlexReplay]) -> None:
    server = make_oa(per_second=5)
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        status = get(server, f"/works/{HOTSPOTS[0]}").status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 5 + [429] * 15
    assert server.stats()["by_status"] == {200: 5, 429: 15}


def test_rate_limit_headers_on_every_answer(oa: OpenAlexReplay) -> None:
    for response in (get(oa, "/works"), get(oa, "/works", {"filter": "bad:1"}), get(oa, "/works/W1"),
                     get(oa, "/rate-limit"), get(oa, "/works", key=None)):
        assert response.headers["x-ratelimit-limit"] == "10000"
        assert 0 < int(response.headers["x-ratelimit-reset"]) <= 86400
        assert response.headers["content-type"] == "application/json"
    assert response.headers["x-ratelimit-remaining"] == "9998"  # two list calls charged (the 200 and the 400)


# ----------------------------------------------------------------------- budget


def test_daily_budget_exhaustion_is_a_distinguishable_429(make_oa: Callable[..., OpenAlexReplay]) -> None:
    server = make_oa(daily_budget=3, per_second=1000)
    answers = [get(server, "/works", {"filter": f"openalex:{SEED_A}"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
    assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
    refused = get(server, "/works", {"filter": f"openalex:{SEED_A}"})
    assert refused.status_code == 429
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert "retry-after" not in refused.headers
    body = refused.json()
    assert body["error"] == "Rate limit exceeded"
    assert "exhausted" in body["message"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    assert re.search(r"resets at (\S+) ", body["message"]).group(1) == tomorrow  # type: ignore[union-attr]
    # single works and the status route still answer
    single = get(server, f"/works/{HOTSPOTS[0]}")
    assert (single.status_code, single.headers["x-ratelimit-remaining"]) == (200, "0")
    status = get(server, "/rate-limit").json()["rate_limit"]
    assert (status["daily_used_usd"], status["daily_remaining_usd"]) == (0.0003, 0.0)
    stats = server.stats()
    assert (stats["charged"], stats["throttled_budget"], stats["throttled_rate"]) == (3, 1, 0)
    assert (stats["budget_used"], stats["budget_remaining"]) == (3, 0)
    server.reset_budget()
    assert get(server, "/works").status_code == 200


def test_single_works_are_free(make_oa: Callable[..., OpenAlexReplay]) -> None:
    server = make_oa(daily_budget=2, per_second=1000)
    for ident in (HOTSPOTS[0], f"doi:{HOTSPOTS[1]}", SEED_A, "W1", SEED_B):
        response = get(server, f"/works/{ident}")
        assert response.headers["x-ratelimit-remaining"] == "2"
    assert get(server, "/rate-limit").headers["x-ratelimit-remaining"] == "2"
    stats = server.stats()
    assert stats["charged"] == 0
    assert stats["by_route"] == {"single": 5, "rate-limit": 1}
    assert stats["by_status"] == {200: 5, 404: 1}


def test_rate_limit_route_reports_live_numbers(make_oa: Callable[..., OpenAlexReplay]) -> None:
    server = make_oa(daily_budget=50, per_second=1000)
    for _ in range(2):
        works(server, filter=f"cites:{SEED_A}")
    response = get(server, "/rate-limit")
    assert response.status_code == 200
    body = response.json()
    template = recorded("openalexPro_pro_rate_limit_status_200__0")["response"]["json"]
    assert list(body) == list(template)
    assert list(body["rate_limit"]) == list(template["rate_limit"])
    rate = body["rate_limit"]
    assert body["api_key"] == KEY
    assert (rate["daily_budget_usd"], rate["daily_used_usd"], rate["daily_remaining_usd"]) == (0.005, 0.0002, 0.0048)
    assert rate["endpoint_costs_usd"] == template["rate_limit"]["endpoint_costs_usd"]
    resets_at = datetime.strptime(rate["resets_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert (resets_at.hour, resets_at.minute, resets_at.second) == (0, 0, 0)
    assert abs((resets_at - datetime.now(UTC)).total_seconds() - rate["resets_in_seconds"]) < 3
    assert int(response.headers["x-ratelimit-reset"]) - rate["resets_in_seconds"] in (0, -1, 1)


# ----------------------------------------------------------------------- faults


def test_injected_faults_are_seeded(make_oa: Callable[..., OpenAlexReplay]) -> None:
    def run(seed: int) -> list[int]:
        server = make_oa(faults={"500": 0.3, "503": 0.3}, seed=seed, per_second=1000)
        return [get(server, f"/works/{HOTSPOTS[0]}").status_code for _ in range(20)]

    first, again = run(7), run(7)
    assert first == again
    assert {200, 500, 503} == set(first)


def test_fault_kinds(make_oa: Callable[..., OpenAlexReplay]) -> None:
    reset = make_oa(faults={"reset": 1.0})
    with pytest.raises(requests.ConnectionError):
        get(reset, "/works")
    assert reset.log[-1][2] == 0
    too_many = make_oa(faults={"429": 1.0})
    answer = get(too_many, "/works")
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "1")
    assert too_many.stats()["faults"] == {"429": 1}
    assert too_many.stats()["charged"] == 0


def test_fail_next_forces_answers(oa: OpenAlexReplay) -> None:
    oa.fail_next(503, count=2)
    oa.fail_next(429)
    oa.fail_next(418, headers={"x-test": "yes"}, body={"error": "teapot", "message": "short and stout"})
    oa.fail_next("reset")
    answers = [get(oa, "/works") for _ in range(4)]
    assert [a.status_code for a in answers] == [503, 503, 429, 418]
    assert answers[2].headers["retry-after"] == "1"
    assert answers[3].headers["x-test"] == "yes"
    assert answers[3].json() == {"error": "teapot", "message": "short and stout"}
    with pytest.raises(requests.ConnectionError):
        get(oa, "/works")
    assert get(oa, "/works").status_code == 200
    stats = oa.stats()
    assert (stats["forced"], stats["charged"]) == (5, 1)
    assert stats["by_status"] == {503: 2, 429: 1, 418: 1, 0: 1, 200: 1}


def test_latency(make_oa: Callable[..., OpenAlexReplay]) -> None:
    server = make_oa(latency=0.2)
    started = time.perf_counter()
    assert get(server, f"/works/{HOTSPOTS[0]}").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_stats_and_reset(oa: OpenAlexReplay) -> None:
    works(oa)
    get(oa, f"/works/{HOTSPOTS[0]}")
    get(oa, "/rate-limit")
    get(oa, "/nowhere")
    stats = oa.stats()
    assert stats["requests"] == 4
    assert stats["by_route"] == {"list": 1, "single": 1, "rate-limit": 1, "other": 1}
    assert stats["by_status"] == {200: 3, 404: 1}
    oa.reset_stats()
    assert oa.stats()["requests"] == 0 and oa.log == []
    assert oa.stats()["budget_used"] == 1  # the budget is kept


# ------------------------------------------------------- the recorded requests


@pytest.mark.parametrize("stem", RECORDED_LISTS)
def test_recorded_list_requests_agree(oa: OpenAlexReplay, stem: str) -> None:
    """Each recorded 200 list request on a modelled filter: same works (over all pages) and same count."""
    exchange = recorded(stem)
    uri = urlsplit(exchange["request"]["uri"])
    params = [(k, KEY if k == "api_key" else v) for k, v in parse_qsl(uri.query, keep_blank_values=True)]
    if "api_key" not in dict(params):
        params.append(("api_key", KEY))
    response = requests.get(f"{oa.url}{uri.path}?{urlencode(params)}", timeout=10)
    assert response.status_code == 200
    mine, theirs = response.json(), exchange["response"]["json"]
    assert mine["meta"]["count"] == theirs["meta"]["count"]
    assert {k: mine["meta"][k] for k in ("page", "per_page")} == {k: theirs["meta"][k] for k in ("page", "per_page")}
    assert ("next_cursor" in mine["meta"]) == ("next_cursor" in theirs["meta"])
    if "next_cursor" in theirs["meta"]:
        assert (mine["meta"]["next_cursor"] is None) == (theirs["meta"]["next_cursor"] is None)
    assert set(ids(mine)) == set(ids(theirs))
    recorded_by_id = {r["id"]: r for r in theirs["results"]}
    assert all(r == recorded_by_id[r["id"]] for r in mine["results"])
    # over all pages, with the recorded page size: every work the recording counts, once
    filt = dict(params)["filter"]
    per_page = theirs["meta"]["per_page"]
    pages = all_pages(oa, filt, per_page)
    seen = [w for p in pages for w in ids(p)]
    assert len(seen) == len(set(seen)) == theirs["meta"]["count"]
    assert set(ids(theirs)) <= set(seen)
