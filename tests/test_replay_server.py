"""Tests of the replay server itself (tests/replay): data, routes, limits, faults, clients."""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

pytestmark = pytest.mark.shared

PONE = "10.1371/journal.pone.0033693"
PONE_TITLE = (
    "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia "
    "in the Basal Ganglia of Mice"
)
DELPHI = "10.1371/journal.pone.0020476"  # issued 2011-06-09
PAREN = "10.1016/0091-3057(84)90081-9"
JD = "10.1108/jd-12-2013-0166"
UNKNOWN = "10.1371/notarealdoi"
MAILTO = {"mailto": "a@b.org"}


def get(server, path: str, **kwargs) -> requests.Response:
    """One GET on a fresh connection, no retries."""
    return requests.get(server.url + path, timeout=10, **kwargs)


def works(server, **params) -> requests.Response:
    return get(server, "/works", params=params)


def assert_validation_failure(response: requests.Response, kind: str, value: str) -> dict:
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body["status"] == "failed"
    assert body["message-type"] == "validation-failure"
    assert [(m["type"], m["value"]) for m in body["message"]] == [(kind, value)]
    return body["message"][0]


# --------------------------------------------------------------------- the data


def test_corpus_holds_every_recorded_work(replay_server) -> None:
    corpus = replay_server.corpus
    assert len(corpus.works) == 6587
    assert corpus.dois == sorted(corpus.works)
    # the full record (41 keys as recorded), not a select fragment
    assert len(corpus.works[PONE]) == 41
    assert corpus.shared_dir.name == "shared"


# ------------------------------------------------------------------ /works/{doi}


def test_work_by_doi_returns_the_recorded_record(replay_server) -> None:
    response = get(replay_server, f"/works/{PONE}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["status"], body["message-type"], body["message-version"]) == ("ok", "work", "1.0.0")
    assert body["message"]["DOI"] == PONE
    assert body["message"]["title"] == [PONE_TITLE]
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.parametrize(
    "path",
    [
        f"/works/{PONE.upper()}",
        "/works/" + quote(PONE, safe=""),
        "/v1/works/" + PONE,
    ],
)
def test_work_lookup_is_case_insensitive_and_decodes_the_path(replay_server, path: str) -> None:
    response = get(replay_server, path)
    assert response.status_code == 200
    assert response.json()["message"]["title"] == [PONE_TITLE]


def test_work_with_parentheses_in_doi(replay_server) -> None:
    for path in (f"/works/{PAREN}", "/works/" + quote(PAREN, safe="")):
        response = get(replay_server, path)
        assert response.status_code == 200
        assert response.json()["message"]["DOI"].lower() == PAREN


def test_unknown_work_is_the_recorded_404(replay_server) -> None:
    response = get(replay_server, f"/works/{UNKNOWN}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "Resource not found."
    assert response.headers["server"] == "Jetty(9.4.40.v20210413)"
    assert response.headers["access-control-allow-origin"] == "*"


def test_doi_with_semicolon_and_angle_brackets_reaches_the_work_route(replay_server) -> None:
    sici = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
    response = get(replay_server, "/works/" + quote(sici, safe="/"))
    assert response.status_code == 404
    assert response.text == "Resource not found."
    stats = replay_server.stats
    assert stats["by_path"]["work"] == 1
    assert stats["dois_requested"][sici.lower()] == 1


def test_field_query_on_a_single_work_is_refused_as_recorded(replay_server) -> None:
    response = get(replay_server, f"/works/{PONE}", params={"query.author": "carl boettiger"})
    message = assert_validation_failure(response, "parameter-not-allowed", "query.*")
    assert message["message"] == "This route does not support field query parameters"


def test_other_recorded_crossref_routes_are_replayed(replay_server) -> None:
    agency = get(replay_server, "/works/10.1126/science.169.3946.635/agency", params=MAILTO)
    assert agency.status_code == 200
    assert agency.json()["message-type"] == "work-agency"
    member = get(replay_server, "/members/121212121212")
    assert (member.status_code, member.text) == (404, "Resource not found.")


# ----------------------------------------------------------------------- /works


def test_doi_filters_are_ored(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    filt = f"doi:{PONE},doi:{DELPHI.upper()},doi:{UNKNOWN}"
    body = works(server, filter=filt).json()
    assert body["message-type"] == "work-list"
    message = body["message"]
    assert message["total-results"] == 2
    assert sorted(item["DOI"] for item in message["items"]) == sorted([PONE, DELPHI])
    assert message["facets"] == {}
    assert message["query"] == {"start-index": 0, "search-terms": None}
    assert server.stats["dois_requested"][UNKNOWN] == 1

    page = works(server, filter=filt, rows=1, select="DOI,title").json()["message"]
    assert page["total-results"] == 2
    assert page["items-per-page"] == 1
    assert page["items"] == [{"DOI": DELPHI, "title": [server.corpus.works[DELPHI]["title"][0]]}]


def test_date_and_type_filters_are_anded_with_doi(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    both = f"doi:{PONE},doi:{DELPHI}"
    cases = {
        f"{both},from-pub-date:2012": [PONE],
        f"{both},until-pub-date:2011-06": [DELPHI],
        f"{both},from-pub-date:2011-06-10,until-pub-date:2012-03-21": [PONE],
        f"{both},from-pub-date:2011-06-10,until-pub-date:2012-03-20": [],
        f"{both},type:journal-article": [DELPHI, PONE],
        f"{both},type:book-chapter": [],
    }
    for filt, expected in cases.items():
        items = works(server, filter=filt).json()["message"]["items"]
        assert [item["DOI"] for item in items] == expected, filt


def test_date_filter_over_the_whole_corpus(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    message = works(server, filter="from-pub-date:1978,until-pub-date:1978", rows=0).json()["message"]
    expected = sum(
        1
        for record in server.corpus.works.values()
        if ((record.get("issued") or {}).get("date-parts") or [[None]])[0][0] == 1978
    )
    assert message["total-results"] == expected == 443
    assert message["items"] == []


def test_validation_failures_have_crossrefs_shape(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    message = assert_validation_failure(works(server, filter="has-assertion:true"),
                                        "filter-not-available", "has-assertion")
    assert message["message"].startswith(
        "Filter 'has-assertion' specified but there is no such filter for this route.")
    message = assert_validation_failure(works(server, rows="1001"), "integer-not-valid", "1001")
    assert message["message"] == (
        "Integer specified as 1001 but must be a positive integer less than or equal to 1000. ")
    assert_validation_failure(works(server, rows="things"), "integer-not-valid", "things")
    message = assert_validation_failure(works(server, select="DOI,language"),
                                        "select-not-available", "language")
    assert message["message"] == "Select 'language' specified but there is no such select for this route."
    assert_validation_failure(works(server, sample="2"), "parameter-not-allowed", "sample")
    assert works(server, rows="1000", filter=f"doi:{PONE}").status_code == 200


def test_query_scores_and_orders_items(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    message = works(server, query="alopecia areata treatment", rows=50).json()["message"]
    assert message["query"] == {"start-index": 0, "search-terms": "alopecia areata treatment"}
    items = message["items"]
    assert items and all(isinstance(item["score"], float) for item in items)
    keys = [(-item["score"], item["DOI"].lower()) for item in items]
    assert keys == sorted(keys)
    assert items[0]["score"] == 3.0
    top = items[0]["title"][0].lower()
    assert "alopecia" in top and "areata" in top and "treatment" in top


def test_bibliographic_query_ignores_abstracts(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    plain = works(server, query="dopamine", rows=1000).json()["message"]
    biblio = works(server, **{"query.bibliographic": "dopamine", "rows": 1000}).json()["message"]
    assert biblio["query"]["search-terms"] is None
    assert PONE in {item["DOI"] for item in biblio["items"]}
    assert {i["DOI"] for i in biblio["items"]} <= {i["DOI"] for i in plain["items"]}


def test_cursor_pages_through_every_item_exactly_once(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    everything = works(server, query="alopecia", rows=1000).json()["message"]
    expected = [item["DOI"] for item in everything["items"]]
    assert len(expected) == everything["total-results"] > 25

    seen: list[str] = []
    sizes: list[int] = []
    cursor = "*"
    for _ in range(20):
        message = works(server, query="alopecia", rows=10, cursor=cursor, select="DOI").json()["message"]
        assert message["total-results"] == len(expected)
        assert message["query"]["start-index"] == 0
        sizes.append(len(message["items"]))
        seen += [item["DOI"] for item in message["items"]]
        cursor = message["next-cursor"]
        if len(message["items"]) < 10:
            break
    assert seen == expected  # every item once, in the same order
    assert 0 < sizes[-1] < 10 or sizes[-1] == 0
    assert all(size == 10 for size in sizes[:-1])
    # a cursor stays valid: asking for the same page again gives the same page
    again = works(server, query="alopecia", rows=10, cursor=cursor, select="DOI").json()["message"]
    assert again["items"] == []


def test_unknown_cursor_is_the_recorded_404(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    response = works(server, query="widget", cursor="thing")
    assert response.status_code == 404
    assert response.json() == {
        "status": "failed",
        "message-type": "resource-failure",
        "message": [{"type": "cursor-invalid", "value": "thing",
                     "message": "Cursor specified but it is invalid"}],
    }


def test_offset_pages(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    first = works(server, rows=5).json()["message"]
    second = works(server, rows=5, offset=5).json()["message"]
    assert second["query"]["start-index"] == 5
    assert first["total-results"] == second["total-results"] == 6587
    dois = [i["DOI"].lower() for i in first["items"] + second["items"]]
    assert dois == server.corpus.dois[:10]


def test_sort_by_issued(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    filt = f"doi:{PONE},doi:{DELPHI}"
    asc = works(server, filter=filt, sort="issued", order="asc").json()["message"]["items"]
    desc = works(server, filter=filt, sort="issued", order="desc").json()["message"]["items"]
    assert [i["DOI"] for i in asc] == [DELPHI, PONE]
    assert [i["DOI"] for i in desc] == [PONE, DELPHI]


# ----------------------------------------------------------------- pools, limits


@pytest.mark.parametrize(
    ("kwargs", "pool", "rate", "concurrency"),
    [
        ({}, "public", "5", "1"),
        ({"params": MAILTO}, "polite", "10", "3"),
        ({"headers": {"User-Agent": "python-httpx2/2 habanero/2.9.2 (mailto:a@b.org)"}}, "polite", "10", "3"),
    ],
)
def test_pool_headers_follow_mailto(replay_server, kwargs, pool, rate, concurrency) -> None:
    response = get(replay_server, f"/works/{PONE}", **kwargs)
    assert response.status_code == 200
    assert response.headers["x-api-pool"] == pool
    assert response.headers["x-rate-limit-limit"] == rate
    assert response.headers["x-rate-limit-interval"] == "1s"
    assert response.headers["x-concurrency-limit"] == concurrency


def test_rate_limit_answers_429_with_retry_after(make_replay_server) -> None:
    server = make_replay_server(rate_limit=5, retry_after=2)
    started = time.monotonic()
    with requests.Session() as session:
        responses = [session.get(f"{server.url}/works/{PONE}", timeout=10) for _ in range(8)]
    assert time.monotonic() - started < 1.0
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 5 + [429] * 3
    for throttled in responses[5:]:
        assert throttled.headers["retry-after"] == "2"
        assert throttled.text == "Too Many Requests"
        assert throttled.headers["x-rate-limit-limit"] == "5"
    stats = server.stats
    assert stats["throttled"] == 3
    assert stats["status"] == {200: 5, 429: 3}


def test_rate_window_slides(make_replay_server) -> None:
    server = make_replay_server(rate_limit=2, rate_interval=0.2, send_retry_after=False)
    statuses = [get(server, f"/works/{PONE}").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "retry-after" not in get(server, f"/works/{PONE}").headers
    time.sleep(0.25)
    assert get(server, f"/works/{PONE}").status_code == 200


def test_concurrency_limit(make_replay_server) -> None:
    server = make_replay_server(concurrency_limit=1, latency=0.3)
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def fetch() -> None:
        barrier.wait()
        statuses.append(get(server, f"/works/{PONE}").status_code)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 429]
    stats = server.stats
    assert stats["peak_concurrency"] == 2
    assert stats["throttled"] == 1
    assert stats["in_flight"] == 0


def test_limits_can_be_switched_off(make_replay_server) -> None:
    server = make_replay_server(enforce_limits=False)
    with requests.Session() as session:
        statuses = {session.get(f"{server.url}/works/{PONE}", timeout=10).status_code for _ in range(12)}
    assert statuses == {200}


# ------------------------------------------------------------------------ faults


def test_fail_first(make_replay_server) -> None:
    server = make_replay_server(fail_first=2)
    statuses = [get(server, f"/works/{PONE}", params=MAILTO).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert server.stats["faults"]["fail_first"] == 2


def test_truncated_body_is_not_json(make_replay_server) -> None:
    server = make_replay_server(faults={"truncated": 1.0})
    response = get(server, f"/works/{PONE}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert server.stats["faults"]["truncated"] == 1


def test_html_error_page_with_200(make_replay_server) -> None:
    server = make_replay_server(faults={"html200": 1.0})
    response = get(server, f"/works/{PONE}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Error: DOI Not Found</title>" in response.text


def test_429_faults(make_replay_server) -> None:
    with_header = make_replay_server(faults={"429": 1.0}, retry_after=3)
    response = get(with_header, f"/works/{PONE}")
    assert (response.status_code, response.headers["retry-after"]) == (429, "3")
    without = make_replay_server(faults={"429-no-retry-after": 1.0})
    response = get(without, f"/works/{PONE}")
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert without.stats["throttled"] == 1


def test_reset_drops_the_connection(make_replay_server) -> None:
    server = make_replay_server(faults={"reset": 1.0})
    with pytest.raises(requests.ConnectionError):
        get(server, f"/works/{PONE}")
    assert server.stats["status"][0] == 1
    assert server.log[-1][2] == 0


def test_stall_and_fault_paths(make_replay_server) -> None:
    # a stall long enough that a loaded machine's slow answer is not taken for one
    server = make_replay_server(faults={"stall": 1.0}, stall_seconds=1.5, fault_paths=r"^/index/")
    started = time.monotonic()
    assert get(server, f"/works/{PONE}").status_code == 200
    assert time.monotonic() - started < 1.2
    started = time.monotonic()
    assert get(server, f"/index/coci/api/v1/references/{JD}").status_code == 200
    assert time.monotonic() - started >= 1.5
    assert server.stats["faults"] == {"stall": 1}


def test_stall_is_cut_short_by_stop(make_replay_server) -> None:
    server = make_replay_server(faults={"stall": 1.0}, stall_seconds=30)
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            get(server, f"/works/{PONE}")
        except requests.RequestException as exc:
            errors.append(exc)

    thread = threading.Thread(target=fetch)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 3


def test_seeded_faults_are_reproducible(make_replay_server) -> None:
    faults = {"500": 0.3, "502": 0.2, "503": 0.2}

    def sequence(seed: int) -> list[int]:
        server = make_replay_server(faults=faults, fault_seed=seed, enforce_limits=False)
        with requests.Session() as session:
            return [session.get(f"{server.url}/works/{PONE}", timeout=10).status_code for _ in range(30)]

    first, second, other = sequence(7), sequence(7), sequence(8)
    assert first == second
    assert first != other
    assert {500, 502, 503, 200} <= set(first)


def test_bad_options_are_refused(make_replay_server) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        make_replay_server(faults={"teapot": 0.5})
    with pytest.raises(ValueError, match="sum"):
        make_replay_server(faults={"500": 0.7, "503": 0.7})
    with pytest.raises(ValueError, match="retry_after"):
        make_replay_server(retry_after=0)


# ------------------------------------------------------------- stats, transport


def test_stats_log_and_reset(replay_server) -> None:
    get(replay_server, f"/works/{PONE}")
    works(replay_server, filter=f"doi:{PONE}")
    stats = replay_server.stats
    assert stats["requests"] == 2
    assert stats["by_path"] == {"work": 1, "works-list": 1}
    assert stats["dois_requested"] == {PONE: 2}
    assert [(m, p, s) for m, p, s, _ in replay_server.log] == [
        ("GET", f"/works/{PONE}", 200),
        ("GET", f"/works?filter=doi%3A{quote(PONE, safe='')}", 200),
    ]
    replay_server.reset_stats()
    stats = replay_server.stats
    assert (stats["requests"], stats["peak_concurrency"], replay_server.log) == (0, 0, [])


def test_keep_alive_connection_is_reused(replay_server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", replay_server.port, timeout=10)
    sockets = []
    try:
        for path in (f"/works/{PONE}?mailto=a@b.org", f"/works/{UNKNOWN}?mailto=a@b.org",
                     f"/index/coci/api/v1/references/{JD}", "/works?rows=x&mailto=a@b.org"):
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            assert int(response.headers["content-length"]) == len(body)
            assert response.status in (200, 400, 404)
            assert not response.will_close
            sockets.append(connection.sock)
    finally:
        connection.close()
    assert sockets[0] is not None
    assert all(sock is sockets[0] for sock in sockets)  # http.client reconnects only if closed


# ------------------------------------------------------------------- habanero


def test_habanero_against_the_replay(replay_server) -> None:
    from habanero import Crossref

    cr = Crossref(base_url=replay_server.url, mailto="a@b.org")
    assert cr.works(ids=PONE)["message"]["DOI"] == PONE
    res = cr.works(filter={"doi": [PONE, DELPHI]}, limit=2, select=["DOI", "title"])
    assert sorted(item["DOI"] for item in res["message"]["items"]) == sorted([PONE, DELPHI])
    assert all(set(item) == {"DOI", "title"} for item in res["message"]["items"])
    assert replay_server.stats["status"] == {200: 2}


def test_habanero_cursor_paging(make_replay_server) -> None:
    from habanero import Crossref

    server = make_replay_server(enforce_limits=False)
    cr = Crossref(base_url=server.url, mailto="a@b.org")
    pages = cr.works(query="alopecia", cursor="*", limit=20, cursor_max=1000, select=["DOI"])
    dois = [item["DOI"] for page in pages for item in page["message"]["items"]]
    assert len(dois) == len(set(dois)) == pages[0]["message"]["total-results"]


# -------------------------------------------------------------- OpenCitations


def _recorded_rows(shared_dir: Path, name: str) -> list[dict]:
    path = shared_dir / "opencitations" / "responses" / name
    return json.loads(path.read_text(encoding="utf-8"))["response"]["json"]


def test_opencitations_v1_serves_recorded_rows(replay_server, shared_dir: Path) -> None:
    for kind, name in (("citations", "oc_coci_cites__0.json"), ("references", "oc_coci_refs__0.json")):
        response = get(replay_server, f"/index/coci/api/v1/{kind}/{JD.upper()}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == _recorded_rows(shared_dir, name)
    assert len(get(replay_server, f"/index/coci/api/v1/references/{JD}").json()) == 37
    assert get(replay_server, f"/index/coci/api/v1/citations/{UNKNOWN}").json() == []
    assert replay_server.stats["by_path"]["oc-v1"] == 4


def test_opencitations_v2_rows_carry_doi_bags(replay_server, shared_dir: Path) -> None:
    v1 = _recorded_rows(shared_dir, "oc_coci_refs__0.json")
    rows = get(replay_server, f"/index/v2/references/doi:{JD}").json()
    assert len(rows) == len(v1) == 37
    for row, old in zip(rows, v1, strict=True):
        assert list(row) == ["oci", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc"]
        assert row["citing"] == f"doi:{old['citing']}"
        assert row["cited"] == f"doi:{old['cited']}"
        assert (row["oci"], row["creation"], row["timespan"]) == (old["oci"], old["creation"], old["timespan"])
    citations = get(replay_server, f"/index/v2/citations/doi:{JD}").json()
    assert len(citations) == 20
    assert {row["cited"] for row in citations} == {f"doi:{JD}"}
    assert get(replay_server, f"/index/v2/citations/doi:{UNKNOWN}").json() == []
    assert get(replay_server, f"/index/v2/citations/pmid:{12345}").json() == []


def test_opencitations_routes_are_not_rate_limited(make_replay_server) -> None:
    server = make_replay_server(rate_limit=1)
    with requests.Session() as session:
        statuses = {session.get(f"{server.url}/index/v2/references/doi:{JD}", timeout=10).status_code
                    for _ in range(5)}
    assert statuses == {200}
