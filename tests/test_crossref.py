"""The Crossref source against the replay server of recorded Crossref data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from citegraph.doi import DOI, normalize_doi
from citegraph.errors import SourceError
from citegraph.sources.crossref import SELECT_FIELDS, CrossrefSource, batches_for
from citegraph.sources.ratelimit import PoolLimits

MAILTO = "citegraph-tests@example.org"
FAST = PoolLimits(200.0, 3)


def habanero_records(shared_dir: Path) -> list[dict]:
    with gzip.open(shared_dir / "crossref" / "works-habanero.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def known(shared_dir: Path) -> list[DOI]:
    """DOIs of full records in the replay corpus, without commas."""
    return [normalize_doi(r["DOI"]) for r in habanero_records(shared_dir) if "indexed" in r and "," not in r["DOI"]]


def _collect(source: CrossrefSource, dois: list[DOI]) -> tuple[dict[str, dict], list[str], int]:
    found: dict[str, dict] = {}
    missing: list[str] = []
    requests = 0
    for res in source.resolve(dois):
        found.update({normalize_doi(r["DOI"]).key: r for r in res.records})
        missing += [d.key for d in res.missing]
        requests += res.requests
    return found, sorted(missing), requests


def test_one_request_resolves_a_batch_with_or_semantics(replay_server, known: list[DOI]) -> None:
    dois = [*known[:40], normalize_doi("10.5281/zenodo.0000001"), normalize_doi("10.48550/arXiv.9999.99999")]
    with CrossrefSource(replay_server.url, MAILTO) as src:
        found, missing, requests = _collect(src, dois)
    assert set(found) == {d.key for d in known[:40]}
    assert missing == ["10.48550/arxiv.9999.99999", "10.5281/zenodo.0000001"]
    assert requests == 1 and replay_server.stats["requests"] == 1
    assert replay_server.stats["by_path"] == {"works-list": 1}
    # only the selected fields travel
    assert all(set(rec) <= set(SELECT_FIELDS) for rec in found.values())
    assert all("reference" in rec for rec in found.values() if rec.get("references-count"))


def test_batches_respect_the_url_length(replay_server, known: list[DOI]) -> None:
    with CrossrefSource(replay_server.url, MAILTO, max_url_length=1500) as src:
        found, missing, requests = _collect(src, known[:120])
    assert len(found) == 120 and missing == []
    batches, singles = batches_for(known[:120], replay_server.url, max_url_length=1500, mailto=MAILTO)
    assert requests == len(batches) > 3 and singles == []
    assert max(len(replay_server.url + path) for _, path, _, _ in replay_server.log) <= 1500


def test_comma_doi_goes_alone_and_404_means_missing(replay_server, known: list[DOI]) -> None:
    comma = normalize_doi("10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P,x")
    with CrossrefSource(replay_server.url, MAILTO) as src:
        found, missing, _requests = _collect(src, [known[0], comma])
    assert list(found) == [known[0].key] and missing == [comma.key]
    assert replay_server.stats["by_path"] == {"works-list": 1, "work": 1}
    assert replay_server.stats["status"][404] == 1


def test_fetch_one_resolves_a_known_doi_by_path(replay_server, known: list[DOI]) -> None:
    with CrossrefSource(replay_server.url, MAILTO) as src:
        res = src.fetch_one(known[3])
    assert [normalize_doi(r["DOI"]).key for r in res.records] == [known[3].key] and res.missing == []


def test_429_backs_off_and_every_doi_still_resolves(make_replay_server, known: list[DOI]) -> None:
    # a client that believes it may send 200/s: its first three requests leave
    # before any answer announces the limit, so the server throttles the third
    server = make_replay_server(rate_limit=2, concurrency_limit=3, latency=0.05)
    with CrossrefSource(server.url, MAILTO, max_url_length=900, limits=FAST) as src:
        found, missing, _ = _collect(src, known[:60])
        assert src.limiter.effective.rate <= 2.0  # learnt from the headers
    assert len(found) == 60 and missing == []
    assert server.stats["throttled"] >= 1
    assert src.stats["throttled"] == server.stats["throttled"]


def test_429_without_retry_after_uses_exponential_backoff(make_replay_server, known: list[DOI]) -> None:
    server = make_replay_server(faults={"429-no-retry-after": 0.5}, fault_seed=3, enforce_limits=False)
    with CrossrefSource(server.url, MAILTO, max_url_length=900, limits=FAST) as src:
        found, _, _ = _collect(src, known[:30])
    assert len(found) == 30
    assert server.stats["faults"]["429-no-retry-after"] >= 1


def test_concurrency_cap_is_never_exceeded(make_replay_server, known: list[DOI]) -> None:
    # answers take 0.4 s while the polite pool allows a start every 0.1 s:
    # without the cap, four or more requests would overlap
    server = make_replay_server(latency=0.4)
    with CrossrefSource(server.url, MAILTO, max_url_length=700) as src:
        found, _, requests = _collect(src, known[:80])
    assert len(found) == 80
    assert requests >= 10
    assert server.stats["peak_concurrency"] == 3  # used to the full, never more
    assert server.stats["throttled"] == 0


def test_public_pool_without_mailto_sends_one_at_a_time(make_replay_server, known: list[DOI]) -> None:
    server = make_replay_server(latency=0.02)
    with CrossrefSource(server.url, None, max_url_length=700) as src:
        assert src.limiter.effective == PoolLimits(5.0, 1)
        found, _, _ = _collect(src, known[:20])
    assert len(found) == 20
    assert server.stats["peak_concurrency"] == 1 and server.stats["throttled"] == 0


def test_headers_lower_the_limits(make_replay_server, known: list[DOI]) -> None:
    server = make_replay_server(rate_limit=4, concurrency_limit=2)
    with CrossrefSource(server.url, MAILTO) as src:
        src.fetch_one(known[0])
        assert src.limiter.effective == PoolLimits(4.0, 2)


def test_server_errors_are_retried(make_replay_server, known: list[DOI]) -> None:
    server = make_replay_server(fail_first=2)
    with CrossrefSource(server.url, MAILTO, backoff=0.01) as src:
        found, _, requests = _collect(src, known[:5])
    assert len(found) == 5 and requests == 3
    assert server.stats["status"][503] == 2


@pytest.mark.parametrize("kind", ["truncated", "html200", "502", "reset"])
def test_garbled_or_failed_answers_are_retried_never_returned(make_replay_server, known: list[DOI], kind: str) -> None:
    server = make_replay_server(faults={kind: 0.5}, fault_seed=11, enforce_limits=False)
    with CrossrefSource(server.url, MAILTO, backoff=0.01, max_url_length=900, limits=FAST) as src:
        found, missing, _ = _collect(src, known[:40])
    assert len(found) == 40 and missing == []
    assert server.stats["faults"][kind] >= 1


def test_repeated_failure_stops_with_a_clear_error(make_replay_server, known: list[DOI]) -> None:
    server = make_replay_server(faults={"500": 1.0})
    with CrossrefSource(server.url, MAILTO, retries=2, backoff=0.01) as src, pytest.raises(SourceError) as info:
        _collect(src, known[:3])
    assert "failed 3 times" in str(info.value) and "server error 500" in str(info.value)
    assert "run the same command again to resume" in str(info.value)
    assert server.stats["requests"] == 3


def test_time_out_is_retried(make_replay_server, known: list[DOI]) -> None:
    server = make_replay_server(faults={"stall": 0.5}, fault_seed=1, stall_seconds=5)
    with CrossrefSource(server.url, MAILTO, timeout=0.5, backoff=0.01) as src:
        found, _, _ = _collect(src, known[:4])
    assert len(found) == 4
    assert server.stats["faults"]["stall"] >= 1


def test_unreachable_server_fails_after_retries() -> None:
    with CrossrefSource("http://127.0.0.1:9", MAILTO, retries=1, backoff=0.01, timeout=1) as src:
        with pytest.raises(SourceError, match="connection failed"):
            list(src.resolve([normalize_doi("10.1/x")]))


def test_batches_for_keeps_every_doi_once() -> None:
    dois = [normalize_doi(f"10.5555/fixture-{i}") for i in range(250)]
    batches, singles = batches_for(dois, "https://api.crossref.org", max_url_length=4000)
    assert [d for b in batches for d in b] == dois and singles == []
    assert max(len(b) for b in batches) <= 100


def test_doi_with_parentheses_by_path(replay_server) -> None:
    with CrossrefSource(replay_server.url, MAILTO) as src:
        res = src.fetch_one(normalize_doi("10.1016/0091-3057(84)90081-9"))
    assert [r["DOI"].lower() for r in res.records] == ["10.1016/0091-3057(84)90081-9"]


def test_a_rejected_batch_is_split_until_the_culprit_goes_alone(replay_server, known: list[DOI],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from citegraph.errors import UsageError

    culprit = known[5]
    calls: list[int] = []
    with CrossrefSource(replay_server.url, MAILTO) as src:
        real = src.fetch_batch

        def picky(dois):
            calls.append(len(dois))
            if culprit in dois:  # stands in for a 400 Crossref gives a batch because of one DOI
                raise UsageError("Crossref rejected a batch")
            return real(dois)

        monkeypatch.setattr(src, "fetch_batch", picky)
        found, missing, _ = _collect(src, known[:8])
    assert set(found) == {d.key for d in known[:8]} and missing == []
    # known[5] sits in the right half: 8 fails; 0-3 ok; 4-7 fails; 4-5 fails; 4 ok;
    # 5 fails alone and goes to /works/{doi}; 6-7 ok
    assert calls == [8, 4, 4, 2, 1, 1, 2]
    assert replay_server.stats["by_path"]["work"] == 1


def test_missing_mailto_warns_once(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    import citegraph.sources.crossref as crossref

    monkeypatch.setattr(crossref, "_warned_no_mailto", False)
    with caplog.at_level("WARNING", logger="citegraph.sources.crossref"):
        CrossrefSource("http://127.0.0.1:9").close()
        CrossrefSource("http://127.0.0.1:9").close()
        CrossrefSource("http://127.0.0.1:9", "me@example.org").close()
    assert caplog.text.count("no mailto given: using Crossref's public pool (5 requests/s, 1 at once)") == 1
