"""Time analyses: a known burst, a known RPYS peak, a known SPC main path (all computed by hand), real data."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from citegraph.analysis import bursts as bursts_module
from citegraph.analysis import mainpath
from citegraph.analysis.bursts import Burst, burst_strength, citation_bursts, kleinberg_states
from citegraph.analysis.indicators import publications_per_year
from citegraph.analysis.mainpath import (
    MainPaths,
    global_main_path,
    key_route_main_path,
    knowledge_flow_dag,
    main_path_analysis,
    spc_weights,
)
from citegraph.analysis.rpys import RPYSRow, peak_works, reference_years_from_store, rpys, rpys_peaks
from citegraph.errors import UsageError
from citegraph.graphs.citation import citation_graph
from citegraph.store import Store
from citegraph.store.records import parse_work


def direct_cost(r: int, d: int, p: float) -> float:
    """-ln[C(d, r) p^r (1-p)^(d-r)], written out independently of the module (math.comb, math.log)."""
    return -(math.log(math.comb(d, r)) + r * math.log(p) + (d - r) * math.log(1 - p))


# -- Kleinberg ------------------------------------------------------------------------

# Hand example: 8 bins of 10 events; the relevant events jump to 6 and 7 in bins 3 and 4.
#   p0 = 19 / 80 = 0.2375, p1 = 2 * p0 = 0.475
#   cost0_t - cost1_t = r ln(p1/p0) + (d-r) ln((1-p1)/(1-p0)) = r ln 2 + (10-r) ln(0.525/0.7625)
#     r = 1: 0.6931 - 9 * 0.37322 = -2.6657  (the burst state is dearer)
#     r = 6: 4.1589 - 4 * 0.37322 = +2.6661
#     r = 7: 4.8520 - 3 * 0.37322 = +3.7324
#   moving up costs gamma * ln 8 = 2.0794, once; bursting in bins 3-4 saves 6.3985 - 2.0794 = 4.32,
#   adding bin 2 or 5 would cost 2.6657 more, bin 4 alone saves only 3.7324 - 2.0794 = 1.65.
COUNTS = [1, 1, 1, 6, 7, 1, 1, 1]
TOTALS = [10] * 8


def test_kleinberg_finds_the_hand_computed_burst() -> None:
    assert kleinberg_states(COUNTS, TOTALS) == [0, 0, 0, 1, 1, 0, 0, 0]


def test_kleinberg_flat_series_has_no_burst() -> None:
    # p0 = 0.3, p1 = 0.6: every bin 3 ln 2 + 7 ln(0.4/0.7) = -1.84, the base state is always cheaper
    assert kleinberg_states([3] * 6, [10] * 6) == [0] * 6
    assert kleinberg_states([0, 0, 0], [5, 5, 5]) == [0, 0, 0]  # no events at all
    assert kleinberg_states([5, 5], [5, 5]) == [0, 0]  # p0 = 1: the burst rate cannot be higher
    assert kleinberg_states([], []) == []


def test_kleinberg_higher_gamma_suppresses_a_short_burst() -> None:
    # the burst saves 6.3985 before the transition; gamma * ln 8 > 6.3985 from gamma = 3.08
    assert kleinberg_states(COUNTS, TOTALS, gamma=3.0) == [0, 0, 0, 1, 1, 0, 0, 0]
    assert kleinberg_states(COUNTS, TOTALS, gamma=3.1) == [0] * 8


def test_burst_strength_matches_a_direct_computation() -> None:
    p0 = 19 / 80
    p1 = 2 * p0
    expected = sum(direct_cost(COUNTS[t], 10, p0) - direct_cost(COUNTS[t], 10, p1) for t in (3, 4))
    assert burst_strength(COUNTS, TOTALS, 3, 4) == pytest.approx(expected, rel=1e-12)
    # the closed form of the comment above: 13 ln 2 + 7 ln(0.525 / 0.7625)
    assert expected == pytest.approx(13 * math.log(2) + 7 * math.log(0.525 / 0.7625), rel=1e-12)
    assert expected == pytest.approx(6.3985, abs=1e-4)


def test_kleinberg_is_the_minimum_cost_sequence() -> None:
    """Viterbi = brute force over all 2^n state sequences, on seeded random series."""
    rng = random.Random(7)
    for _ in range(40):
        n = rng.randint(1, 8)
        totals = [rng.randint(0, 12) for _ in range(n)]
        counts = [rng.randint(0, d) for d in totals]
        if sum(counts) == 0:
            continue
        p0 = sum(counts) / sum(totals)
        p1 = min(2 * p0, 0.9999)
        if p1 <= p0:
            continue
        up = math.log(n)

        def total_cost(states: tuple[int, ...], counts: list[int] = counts, totals: list[int] = totals,
                       p0: float = p0, p1: float = p1, up: float = up) -> float:
            cost, previous = 0.0, 0
            for r, d, st in zip(counts, totals, states, strict=True):
                if st > previous:
                    cost += up
                if d:
                    cost += direct_cost(r, d, p1 if st else p0)
                previous = st
            return cost

        ranked = sorted((total_cost(seq), seq) for seq in itertools.product((0, 1), repeat=n))
        if len(ranked) > 1 and ranked[1][0] - ranked[0][0] < 1e-7:
            continue  # a near tie: the rule (lower state) is tested elsewhere
        assert tuple(kleinberg_states(counts, totals)) == ranked[0][1], (counts, totals)


def test_kleinberg_rejects_bad_input() -> None:
    with pytest.raises(UsageError, match="differ in length"):
        kleinberg_states([1], [1, 2])
    with pytest.raises(UsageError, match="count 3 of total 2"):
        kleinberg_states([3], [2])
    with pytest.raises(UsageError, match=r"s=1.0 must be greater than 1"):
        kleinberg_states([1], [2], s=1.0)
    with pytest.raises(UsageError, match="gamma=-1"):
        kleinberg_states([1], [2], gamma=-1)
    with pytest.raises(UsageError, match=r"burst bins 3..8"):
        burst_strength(COUNTS, TOTALS, 3, 8)


def burst_fixture() -> nx.DiGraph:
    """Hand-made unit-test graph (not Crossref data).

    Every year 2010-2015 five works (``p<year>-<i>``, with ``year``) make one citation each;
    ``10.5555/t`` gets 1, 1, 4, 4, 1, 1 of them, the others go to works cited once (``x...``).
    ``10.5555/u`` is cited once a year 2010-2012 (3 citations, steady: no burst).
    """
    G = nx.DiGraph()
    for year, hits in zip(range(2010, 2016), [1, 1, 4, 4, 1, 1], strict=True):
        for i in range(5):
            G.add_node(f"p{year}-{i}", year=year, resolved=True)
            G.add_edge(f"p{year}-{i}", "10.5555/t" if i < hits else f"x{year}-{i}")
    for year in (2010, 2011, 2012):
        G.add_node(f"q{year}", year=year, resolved=True)
        G.add_edge(f"q{year}", "10.5555/u")
    G.nodes["10.5555/t"].update(label="Tee 2009", year=2009, resolved=False)
    return G


def test_citation_bursts_finds_the_known_burst() -> None:
    # d_t = 5 citations a year, plus 1 to u in 2010-2012: d = 6, 6, 6, 5, 5, 5; r(t) = 1, 1, 4, 4, 1, 1
    # p0 = 12 / 33, p1 = 24 / 33; ln 6 to move up; bursting in 2012-2013 saves
    # (4 ln 2 + 2 ln(9/21)) + (4 ln 2 + ln(9/21)) = 8 ln 2 + 3 ln(3/7) = 3.0034 > ln 6 = 1.7918
    bursts = citation_bursts(burst_fixture())
    assert len(bursts) == 1
    b = bursts[0]
    assert (b.doi, b.label, b.start, b.end, b.citations) == ("10.5555/t", "Tee 2009", 2012, 2013, 8)
    p0, p1 = 12 / 33, 24 / 33
    expected = (direct_cost(4, 6, p0) - direct_cost(4, 6, p1)) + (direct_cost(4, 5, p0) - direct_cost(4, 5, p1))
    assert b.strength == pytest.approx(expected, rel=1e-12)
    assert b.strength == pytest.approx(8 * math.log(2) + 3 * math.log(3 / 7), rel=1e-12)


def test_citation_bursts_options() -> None:
    G = burst_fixture()
    assert citation_bursts(G, min_citations=13) == []  # t has 12 citations
    # within 2012-2015 only: d = 6, 5, 5, 5, t has 4, 4, 1, 1 (u only 1: not examined); p0 = 10/21,
    # p1 = 20/21, (1-p1)/(1-p0) = 1/11: 2012 saves 4 ln 2 + 2 ln(1/11) = -2.02, 2013 saves
    # 4 ln 2 + ln(1/11) = 0.375, less than the ln 4 = 1.386 of moving up: no burst
    assert citation_bursts(G, years=(2012, 2015)) == []
    # a very high transition cost: no burst at all
    assert citation_bursts(G, gamma=10.0) == []
    with pytest.raises(UsageError, match="reversed"):
        citation_bursts(G, years=(2015, 2010))
    with pytest.raises(UsageError, match="min_citations 0"):
        citation_bursts(G, min_citations=0)
    assert citation_bursts(nx.DiGraph()) == []


# -- vectorised bursts == the public scalar functions --------------------------------------


def scalar_bursts_of_series(
    columns: list[list[int]], totals: list[int], s: float, gamma: float
) -> list[tuple[int, int, int, str, int]]:
    """(work, first bin, last bin, strength as hex, citations) by a loop over the public scalar functions."""
    found = []
    for w, counts in enumerate(columns):
        states = kleinberg_states(counts, totals, s=s, gamma=gamma)
        t = 0
        for state, run in itertools.groupby(states):
            length = len(list(run))
            if state:
                a, b = t, t + length - 1
                strength = burst_strength(counts, totals, a, b, s=s, gamma=gamma)
                found.append((w, a, b, strength.hex(), sum(counts[a : b + 1])))
            t += length
    return found


def test_vectorised_bursts_equal_the_scalar_functions_on_random_series() -> None:
    """Seeded random series (hand-made, not Crossref data): ties, empty years, counts equal to totals, capped p1."""
    rng = random.Random(8)
    checked = bursts = capped = 0
    for _ in range(300):
        n = rng.choice([1, 1, 2, 3, 5, 8, 13, 21])
        totals = [rng.choice([0, 0, 1, 2, 3, 5, 10, 40]) for _ in range(n)]
        columns = []
        for _ in range(rng.randint(1, 8)):
            kind = rng.random()
            if kind < 0.1:
                columns.append([0] * n)  # a work with no citations: no burst possible
            elif kind < 0.2:
                columns.append(list(totals))  # all the citations made: p0 = 1, no burst possible
            else:  # random counts, some equal to the totals, some bursting late
                columns.append([d if rng.random() < 0.15 else rng.randint(0, d) if t > n // 2 else
                                rng.randint(0, d // 3) for t, d in enumerate(totals)])
        s = rng.choice([1.5, 2.0, 3.0, 1e4])  # 1e4: p1 capped at 0.9999
        gamma = rng.choice([0.0, 0.0, 0.5, 1.0, 2.0])  # 0: empty years tie exactly (both states cost 0)
        expected = scalar_bursts_of_series(columns, totals, s, gamma)
        lgamma1 = np.array([math.lgamma(k + 1) for k in range(max(totals) + 1)])
        got = bursts_module._block_bursts(np.array(columns, dtype=np.int64).T.copy(),
                                     np.array(totals, dtype=np.int64), lgamma1, s, gamma)
        assert [(w, a, b, x.hex(), c) for w, a, b, x, c in got] == expected, (columns, totals, s, gamma)
        assert all(isinstance(x, float) and isinstance(c, int) for _, _, _, x, c in got)
        checked += len(columns)
        bursts += len(expected)
        capped += s == 1e4 and bool(expected)
    assert checked > 1000 and bursts > 200 and capped > 5  # the cases above were really exercised


def test_vectorised_bursts_keep_the_tie_rule() -> None:
    """Near ties: p0 = 1/3, p1 = 2/3 and r = d/2 make both states cost the same up to the last bits.

    Only the tie rule of ``kleinberg_states`` (within 1e-9, the lower state) keeps these series flat; a plain
    ``<`` finds bursts in many of them (hand-made series).
    """
    patterns = sorted(set(itertools.permutations([1, 1, 1, 1, 0, 0])))
    for r in (1, 2, 3, 5):
        columns = [[r * x for x in pattern] for pattern in patterns]
        totals = [2 * r] * 6
        for gamma in (0.0, 0.5):
            expected = scalar_bursts_of_series(columns, totals, 2.0, gamma)
            lgamma1 = np.array([math.lgamma(k + 1) for k in range(2 * r + 1)])
            block = np.array(columns, dtype=np.int64).T.copy()
            got = bursts_module._block_bursts(block, np.array(totals, dtype=np.int64), lgamma1, 2.0, gamma)
            assert [(w, a, b, x.hex(), c) for w, a, b, x, c in got] == expected == [], (r, gamma)


def scalar_citation_bursts(G: nx.DiGraph, *, s: float = 2.0, gamma: float = 1.0, min_citations: int = 3,
                           years: tuple[int, int] | None = None, totals: str = "works",
                           min_duration: int = 1) -> list[Burst]:
    """citation_bursts as a loop over kleinberg_states and burst_strength, one work at a time.

    ``totals="works"``: a year's total is its citing works (each once); ``"citations"``: its citations.
    """
    made: Counter[int] = Counter()
    citing_works: set[str] = set()
    received: dict[str, Counter[int]] = {}
    for citing, cited in G.edges():
        year = G.nodes[citing].get("year")
        if citing == cited or not isinstance(year, int) or isinstance(year, bool):
            continue
        if years is not None and not years[0] <= year <= years[1]:
            continue
        if totals == "citations" or citing not in citing_works:
            made[year] += 1
        citing_works.add(citing)
        received.setdefault(cited, Counter())[year] += 1
    if not made:
        return []
    first, last = years if years is not None else (min(made), max(made))
    span = list(range(first, last + 1))
    per_year = [made[y] for y in span]
    found = []
    for node in sorted(received, key=str):
        counts = [received[node][y] for y in span]
        if sum(counts) < min_citations:
            continue
        for _w, a, b, strength, citations in scalar_bursts_of_series([counts], per_year, s, gamma):
            if b - a + 1 < min_duration:
                continue
            found.append(Burst(node, str(G.nodes[node].get("label", node)), span[a], span[b],
                               float.fromhex(strength), citations))
    return sorted(found, key=lambda x: (-x.strength, x.doi, x.start))


def bursty_citation_graph(seed: int) -> nx.DiGraph:
    """Hand-made seeded random citation graph (not Crossref data), 1990-2009 with a gap in 1995-1996.

    Works cite earlier works preferentially, a few "hot" works draw many citations for some years;
    some works have no year (or a bool one), one cites itself, some cite later works.
    """
    rng = random.Random(seed)
    G = nx.DiGraph()
    works: list[str] = []
    for year in [y for y in range(1990, 2010) if y not in (1995, 1996)]:
        hot = works[(year * 7) % len(works)] if works else None
        for i in range(rng.randint(3, 15)):
            key = f"10.5555/w{year}-{i}"
            G.add_node(key, year=year, label=f"W{i} {year}")
            for cited in {rng.choice(works) for _ in range(min(len(works), rng.randint(0, 4)))}:
                G.add_edge(key, cited)
            if hot is not None and rng.random() < 0.6:
                G.add_edge(key, hot)
            works.append(key)
    G.add_node("10.5555/undated")
    G.add_node("10.5555/bool", year=True)
    for citing in ("10.5555/undated", "10.5555/bool"):
        for cited in works[:5]:
            G.add_edge(citing, cited)
    G.add_edge(works[3], works[3])
    G.add_edge(works[0], works[-1])
    return G


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_citation_bursts_equal_a_loop_over_the_scalar_functions(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    G = bursty_citation_graph(seed)
    options: list[dict[str, object]] = [
        {}, {"s": 3.0, "gamma": 0.5}, {"s": 1.5, "gamma": 0.0, "min_citations": 1}, {"s": 1e4, "gamma": 0.2},
        {"years": (1993, 2001)}, {"years": (1985, 2012), "gamma": 0.3}, {"years": (1995, 1996)},
        {"years": (2000, 2000), "min_citations": 1}, {"min_citations": 8, "gamma": 0.1},
        {"totals": "citations"}, {"totals": "citations", "s": 3.0, "gamma": 0.5, "years": (1993, 2001)},
        {"min_duration": 2}, {"min_duration": 3, "s": 1.5, "gamma": 0.0, "totals": "citations"},
    ]
    found = 0
    for opts in options:
        expected = scalar_citation_bursts(G, **opts)  # type: ignore[arg-type]
        got = citation_bursts(G, **opts)  # type: ignore[arg-type]
        assert got == expected, opts
        assert [b.strength.hex() for b in got] == [b.strength.hex() for b in expected]
        monkeypatch.setattr(bursts_module, "_BURST_BLOCK", 37)  # many small blocks of works: the same answer
        assert citation_bursts(G, **opts) == got  # type: ignore[arg-type]
        monkeypatch.undo()
        found += len(got)
    assert found > 10
    assert citation_bursts(G, years=(1995, 1996)) == []  # no citing work in those years


def test_publications_per_year() -> None:
    G = burst_fixture()
    # 5 works a year 2010-2015, plus q2010, q2011, q2012; t (2009) is not resolved
    assert publications_per_year(G) == [(2010, 6), (2011, 6), (2012, 6), (2013, 5), (2014, 5), (2015, 5)]
    assert publications_per_year(G, resolved_only=False)[0] == (2009, 1)


# -- RPYS --------------------------------------------------------------------------------

# Hand example: references per publication year 1950-1960
RPYS_COUNTS = {1950: 2, 1951: 2, 1952: 3, 1953: 3, 1954: 3, 1955: 12, 1956: 3, 1957: 3, 1958: 5, 1959: 2, 1960: 2}
# five-year medians (years before 1950 and after 1960 count 0):
#   1950: 0 0 2 2 3 -> 2      1951: 0 2 2 3 3 -> 2     1952: 2 2 3 3 3 -> 3     1953: 2 3 3 3 12 -> 3
#   1954: 3 3 3 12 3 -> 3     1955: 3 3 12 3 3 -> 3    1956: 3 12 3 3 5 -> 3    1957: 12 3 3 5 2 -> 3
#   1958: 3 3 5 2 2 -> 3      1959: 3 5 2 2 0 -> 2     1960: 5 2 2 0 0 -> 2
RPYS_MEDIANS = [2, 2, 3, 3, 3, 3, 3, 3, 3, 2, 2]
# deviations: 0 0 0 0 0 +9 0 0 +2 0 0 -> peaks 1955 (9) and 1958 (2)


def rpys_references() -> list[tuple[int, str | None, str | None]]:
    """Hand-made unit-test references (not Crossref data); 1955: 7 x 10.5555/classic, 3 x a book, 2 others."""
    refs: list[tuple[int, str | None, str | None]] = []
    for year, n in RPYS_COUNTS.items():
        if year == 1955:
            refs += [(1955, "10.5555/classic", "10.5555/classic")] * 7
            refs += [(1955, None, "Fisher 1955 The design of experiments")] * 3
            refs += [(1955, "10.5555/other", "10.5555/other"), (1955, None, "Roe 1955 A note")]
        else:
            refs += [(year, f"10.5555/w{year}-{i}", f"10.5555/w{year}-{i}") for i in range(n)]
    return refs


def test_rpys_known_peak() -> None:
    refs = rpys_references()
    rows = rpys(y for y, _, _ in refs)
    assert [r.year for r in rows] == list(range(1950, 1961))
    assert [r.references for r in rows] == list(RPYS_COUNTS.values())
    assert [r.median for r in rows] == RPYS_MEDIANS
    assert [r.deviation for r in rows] == [0, 0, 0, 0, 0, 9, 0, 0, 2, 0, 0]
    assert rpys_peaks(rows) == [1955, 1958]
    assert rpys_peaks(rows, top=1) == [1955]
    assert peak_works(refs, 1955) == [
        ("10.5555/classic", 7), ("Fisher 1955 The design of experiments", 3), ("10.5555/other", 1),
        ("Roe 1955 A note", 1)]
    assert peak_works(refs, 1955, top=2) == [("10.5555/classic", 7), ("Fisher 1955 The design of experiments", 3)]


def test_rpys_zero_years_window_and_range() -> None:
    rows = rpys([1990, 1990, 1993])
    # 1991, 1992 have no references but are rows; 1990: window 0 0 2 0 0 -> median 0
    assert [(r.year, r.references, r.median, r.deviation) for r in rows] == [
        (1990, 2, 0.0, 2.0), (1991, 0, 0.0, 0.0), (1992, 0, 0.0, 0.0), (1993, 1, 0.0, 1.0)]
    # window 1: the median is the year itself
    assert all(r.deviation == 0 for r in rpys([1990, 1990, 1993], window=1))
    # a restricted range keeps the true counts around it: 1955's window is still 3 3 12 3 3
    sub = rpys((y for y, _, _ in rpys_references()), years=(1955, 1956))
    assert sub == [RPYSRow(1955, 12, 3.0, 9.0), RPYSRow(1956, 3, 3.0, 0.0)]
    assert rpys([]) == []
    with pytest.raises(UsageError, match="window 4 must be an odd number"):
        rpys([1990], window=4)


def test_rpys_peak_ties_are_deterministic() -> None:
    # deviations 0, 2, 2, 0, 1, 1, 3: the plateau 2001-2002 is one peak (its first year);
    # 2004-2005 (1, 1) is followed by 3, no peak; 2006 is a peak at the end of the range
    devs = [0, 2, 2, 0, 1, 1, 3]
    rows = [RPYSRow(2000 + i, 0, 0.0, float(d)) for i, d in enumerate(devs)]
    assert rpys_peaks(rows) == [2006, 2001]
    assert rpys_peaks(list(reversed(rows))) == [2006, 2001]
    assert rpys_peaks([RPYSRow(2000, 0, 1.0, -1.0)]) == []


def test_reference_years_from_store(tmp_path: Path) -> None:
    record = {  # hand-made unit-test record (not Crossref data)
        "DOI": "10.5555/citing", "issued": {"date-parts": [[2020]]},
        "reference": [
            {"key": "1", "DOI": "10.5555/Classic", "year": "1955"},
            {"key": "2", "author": "Fisher", "year": "1935", "volume-title": "The design of experiments"},
            {"key": "3", "author": "Roe", "year": "1955", "article-title": "A note", "journal-title": "J X"},
            {"key": "4", "unstructured": "Anonymous (1955) untitled"},
            {"key": "5", "year": "1955"},
            {"key": "6", "DOI": "10.5555/undated"},
        ],
    }
    with Store(tmp_path / "s.sqlite") as s:
        s.add_works([parse_work(record, source="fixture")])
        refs = reference_years_from_store(s)
    # entry 4: unstructured only, its year read from the text, but no author or title to name it by; entry 5 has
    # only a year; entry 6 no year at all. Named by the label rule ("Surname Year"), never "(undescribed...)"
    assert refs == [
        (1955, "10.5555/classic", "10.5555/classic"),
        (1935, None, "Fisher 1935: The design of experiments"),
        (1955, None, "Roe 1955: A note"),
        (1955, None, None),
        (1955, None, None),
    ]
    assert peak_works(refs, 1955) == [("10.5555/classic", 1), ("Roe 1955: A note", 1)]


# -- main path analysis -------------------------------------------------------------

# Hand-made unit-test network (not Crossref data), in the style of Hummon & Doreian (1989) and
# Batagelj (2003). Letters are in publication order (A = 2000 ... I = 2008); arrows are knowledge flow,
# cited -> citing (the citation graph holds the reverse: C cites A, D cites B, ...):
#
#     A ----> C ----> E ----> F ----> H ----> I
#             |     ^ |     ^ |
#             |    /  |    /  v
#             +---/---|---+   G          (C -> F, D -> F, E -> G, F -> G, D -> G)
#                /    |  /    ^
#     B ----> D ------+-/-----+
#
KNOWLEDGE_FLOW = [("A", "C"), ("B", "D"), ("C", "E"), ("C", "F"), ("D", "E"), ("D", "F"), ("D", "G"),
                  ("E", "F"), ("E", "G"), ("F", "G"), ("F", "H"), ("H", "I")]
# sources A, B; sinks G, I
# N-(v), paths from a source:  A 1, B 1, C 1, D 1, E = C + D = 2, F = C + D + E = 4, G = D + E + F = 7,
#                              H = F = 4, I = H = 4            (into the sinks: 7 + 4 = 11 paths)
# N+(v), paths to a sink:      G 1, I 1, H = 1, F = G + H = 2, E = F + G = 3, D = E + F + G = 6,
#                              C = E + F = 5, B = D = 6, A = C = 5   (out of the sources: 5 + 6 = 11)
# SPC(u -> v) = N-(u) * N+(v):
SPC = {("A", "C"): 1 * 5, ("B", "D"): 1 * 6, ("C", "E"): 1 * 3, ("C", "F"): 1 * 2, ("D", "E"): 1 * 3,
       ("D", "F"): 1 * 2, ("D", "G"): 1 * 1, ("E", "F"): 2 * 2, ("E", "G"): 2 * 1, ("F", "G"): 4 * 1,
       ("F", "H"): 4 * 1, ("H", "I"): 4 * 1}
# heaviest path to a sink from each node (backward):  H: 4 (H-I);  F: max(F-G 4, F-H 4 + 4) = 8;
#   E: max(E-F 4 + 8, E-G 2) = 12;  D: max(D-E 3 + 12, D-F 2 + 8, D-G 1) = 15;  C: max(C-E 3 + 12, C-F 2 + 8) = 15
#   from the sources: B: 6 + 15 = 21, A: 5 + 15 = 20  -> global main path B D E F H I (21)
GLOBAL_PATH = ["B", "D", "E", "F", "H", "I"]
# key route k=1: the heaviest edge B -> D (6); B is a source, forward from D as above: D E F H I
KEY_ROUTE_1 = [("B", "D"), ("D", "E"), ("E", "F"), ("F", "H"), ("H", "I")]
# k=2 adds A -> C (5): A is a source, forward from C: C E F H I (15) -> adds A-C and C-E
KEY_ROUTE_2 = sorted([*KEY_ROUTE_1, ("A", "C"), ("C", "E")])


def spc_fixture() -> nx.DiGraph:
    """The citation graph (citing -> cited) of the network above, with years."""
    G = nx.DiGraph([(citing, cited) for cited, citing in KNOWLEDGE_FLOW])
    for i, node in enumerate("ABCDEFGHI"):
        G.nodes[node]["year"] = 2000 + i
    return G


def brute_force_spc(edges: list[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """Count the source-to-sink paths through each edge by enumerating every path."""
    D = nx.DiGraph(edges)
    counts: Counter[tuple[str, str]] = Counter()
    for s in (n for n in D if D.in_degree(n) == 0):
        for t in (n for n in D if D.out_degree(n) == 0):
            for path in nx.all_simple_paths(D, s, t):
                counts.update(itertools.pairwise(path))
    return counts


def test_spc_weights_known_example() -> None:
    weights = spc_weights(spc_fixture())
    assert weights == SPC
    assert weights == dict(brute_force_spc(KNOWLEDGE_FLOW))
    assert all(type(w) is int for w in weights.values())


def test_global_and_key_route_main_paths() -> None:
    G = spc_fixture()
    assert global_main_path(G) == GLOBAL_PATH
    assert key_route_main_path(G, k=1) == KEY_ROUTE_1
    assert key_route_main_path(G, k=2) == KEY_ROUTE_2
    # k=3: the third heaviest edges are E-F, F-G, F-H, H-I (4 each), E-F first: already on the route
    assert key_route_main_path(G, k=3) == KEY_ROUTE_2
    # k beyond the edges: every edge is a key route; the union covers all but nothing more
    assert set(key_route_main_path(G, k=100)) == set(KNOWLEDGE_FLOW)
    with pytest.raises(UsageError, match="k=0"):
        key_route_main_path(G, k=0)


def test_main_path_ties_and_custom_weights() -> None:
    G = spc_fixture()
    # all weights 1: the longest path wins; A C E F H I and B D E F H I both have 5 edges -> A first
    unit = dict.fromkeys(SPC, 1)
    assert global_main_path(G, unit) == ["A", "C", "E", "F", "H", "I"]
    # a symmetric graph: b and c cite a, d cites b and c -> two paths of equal SPC, the smaller (b) wins
    H = nx.DiGraph([("b", "a"), ("c", "a"), ("d", "b"), ("d", "c")])
    assert spc_weights(H) == {("a", "b"): 1, ("a", "c"): 1, ("b", "d"): 1, ("c", "d"): 1}
    assert global_main_path(H) == ["a", "b", "d"]
    assert global_main_path(nx.DiGraph()) == [] and key_route_main_path(nx.DiGraph()) == []


def test_cycle_against_time_is_dropped() -> None:
    # F (2005) also "cites" H (2007), an erratum-like back citation: knowledge flow H -> F is against time
    G = spc_fixture()
    G.add_edge("F", "H")
    dag, dropped = knowledge_flow_dag(G)
    assert dropped == [("H", "F")]
    assert nx.is_directed_acyclic_graph(dag)
    assert spc_weights(G) == SPC
    assert global_main_path(G) == GLOBAL_PATH


def test_same_year_cycle_is_broken_by_dfs() -> None:
    # x and y (both 2010) cite each other, z (2011) cites x, and x cites itself
    G = nx.DiGraph([("x", "y"), ("y", "x"), ("z", "x"), ("x", "x")])
    for node, year in (("x", 2010), ("y", 2010), ("z", 2011)):
        G.nodes[node]["year"] = year
    dag, dropped = knowledge_flow_dag(G)
    # knowledge flow: y -> x, x -> y, x -> z; DFS from x (smallest): x -> y tree edge, y -> x back edge
    assert dropped == [("x", "x"), ("y", "x")]
    assert sorted(dag.edges) == [("x", "y"), ("x", "z")]
    assert spc_weights(G) == {("x", "y"): 1, ("x", "z"): 1}
    assert global_main_path(G) == ["x", "y"]


def test_results_do_not_depend_on_insertion_order() -> None:
    G = spc_fixture()
    G.add_edge("F", "H")  # the back citation of test_cycle_against_time_is_dropped
    expected = (spc_weights(G), global_main_path(G), key_route_main_path(G, k=2), knowledge_flow_dag(G)[1])
    rng = random.Random(3)
    for _ in range(5):
        nodes, edges = list(G.nodes(data=True)), list(G.edges)
        rng.shuffle(nodes)
        rng.shuffle(edges)
        H = nx.DiGraph()
        H.add_nodes_from(nodes)
        H.add_edges_from(edges)
        assert (spc_weights(H), global_main_path(H), key_route_main_path(H, k=2), knowledge_flow_dag(H)[1]) == expected


# -- the array implementation against a straightforward one ------------------------------------------
# A plain networkx + dict implementation of the documented rules (topological_sort, per-node sums, sorted
# neighbours), written here as the reference. Graphs are hand-made and seeded-random (not Crossref data).


def ref_knowledge_flow_dag(G: nx.DiGraph) -> tuple[nx.DiGraph, list[tuple[str, str]]]:
    def year(node: str) -> int | None:
        y = G.nodes[node].get("year")
        return y if isinstance(y, int) and not isinstance(y, bool) else None

    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    loops = []
    for citing, cited in G.edges():
        if citing == cited:
            loops.append((cited, citing))
        else:
            D.add_edge(cited, citing)
    against = []
    for comp in nx.strongly_connected_components(D):
        for u in comp if len(comp) > 1 else ():
            for v in D.successors(u):
                yu, yv = year(u), year(v)
                if v in comp and yu is not None and yv is not None and yu > yv:
                    against.append((u, v))
    against.sort()
    D.remove_edges_from(against)
    back = []
    for comp in nx.strongly_connected_components(D):
        if len(comp) < 2:
            continue
        state: dict[str, int] = {}

        def visit(node: str, members: set[str], state: dict[str, int]) -> None:
            state[node] = 1
            for child in sorted(w for w in D.successors(node) if w in members):
                if child not in state:
                    visit(child, members, state)
                elif state[child] == 1:
                    back.append((node, child))
            state[node] = 2

        for root in sorted(comp):
            if root not in state:
                visit(root, comp, state)
    back.sort()
    D.remove_edges_from(back)
    return D, sorted(loops) + against + back


def ref_spc(D: nx.DiGraph) -> dict[tuple[str, str], int]:
    into: dict[str, int] = {}
    for v in nx.topological_sort(D):
        into[v] = sum(into[u] for u in D.predecessors(v)) or 1
    out: dict[str, int] = {}
    for v in reversed(list(nx.topological_sort(D))):
        out[v] = sum(out[w] for w in D.successors(v)) or 1
    return {(u, v): into[u] * out[v] for u, v in sorted(D.edges())}


def ref_best(D: nx.DiGraph, w: dict[tuple[str, str], float], forward: bool) -> dict[str, tuple[float, str | None]]:
    best: dict[str, tuple[float, str | None]] = {}
    order = list(nx.topological_sort(D))
    for v in reversed(order) if forward else order:
        choice: tuple[float, str | None] = (0.0, None)
        for other in sorted(D.successors(v) if forward else D.predecessors(v)):
            total = w.get((v, other) if forward else (other, v), 0) + best[other][0]
            if choice[1] is None or total > choice[0]:
                choice = (total, other)
        best[v] = choice
    return best


def ref_main_paths(G: nx.DiGraph, weights: dict[tuple[str, str], float] | None,
                   k: int) -> tuple[list[str], list[tuple[str, str]]]:
    D = ref_knowledge_flow_dag(G)[0]
    w: dict[tuple[str, str], float] = dict(ref_spc(D)) if weights is None else weights
    forward, backward = ref_best(D, w, True), ref_best(D, w, False)
    starts = [v for v in sorted(D) if D.in_degree(v) == 0 and D.out_degree(v) > 0]
    path: list[str] = []
    if starts:
        node: str | None = max(starts, key=lambda v: forward[v][0])
        while node is not None:
            path.append(node)
            node = forward[node][1]
    kept = set()
    for tail, head in sorted(D.edges(), key=lambda e: (-w.get(e, 0), e))[:k]:
        kept.add((tail, head))
        a: str | None = tail
        while a is not None and backward[a][1] is not None:
            kept.add((backward[a][1], a))
            a = backward[a][1]
        b: str | None = head
        while b is not None and forward[b][1] is not None:
            kept.add((b, forward[b][1]))
            b = forward[b][1]
    return path, sorted(kept)


def random_citation_graph(seed: int, n: int, *, cycles: bool) -> nx.DiGraph:
    """Seeded random hand-made graph; names in random str order, few distinct years (ties), some unknown.

    With ``cycles``: also citations of later works (against time or same year), mutual citations and
    self-citations; without, every work cites only works added before it (a DAG).
    """
    rng = random.Random(seed)
    names = [f"w{x}" for x in rng.sample(range(10 * n), n)]
    G = nx.DiGraph()
    for name in names:
        year = rng.choice([None, 2000, 2001, 2002, 2003])
        G.add_node(name, **({} if year is None else {"year": year}))
    for i, citing in enumerate(names):
        for _ in range(rng.randrange(4)):
            if i:
                G.add_edge(citing, names[rng.randrange(i)])
        if cycles and rng.random() < 0.3:
            cited = rng.choice(names)
            G.add_edge(citing, cited)
            if rng.random() < 0.5:
                G.add_edge(cited, citing)
    return G


def check_against_reference(G: nx.DiGraph, k: int, weights: dict[tuple[str, str], float] | None = None,
                            *, dag_and_spc: bool = True) -> None:
    ref_dag, ref_dropped = ref_knowledge_flow_dag(G)
    dag, dropped = knowledge_flow_dag(G)
    if dag_and_spc:  # the same graph and SPC, in the same order
        assert (list(dag.nodes), list(dag.edges), dropped) == (list(ref_dag.nodes), list(ref_dag.edges), ref_dropped)
        spc = ref_spc(ref_dag)
        assert list(spc_weights(G).items()) == list(spc_weights(G, dag=dag).items()) == list(spc.items())
    path, routes = ref_main_paths(G, weights, k)
    for d in (None, dag):
        assert global_main_path(G, weights, dag=d) == path
        assert key_route_main_path(G, weights, k=k, dag=d) == routes
    if weights is None:
        got = main_path_analysis(G, k=k)
        assert (list(got.spc.items()), got.main_path, got.key_routes, got.dropped) == (
            list(ref_spc(ref_dag).items()), path, routes, ref_dropped)


@pytest.mark.parametrize("cycles", [False, True])
def test_main_paths_agree_with_the_reference_on_random_graphs(cycles: bool) -> None:
    broke = 0
    for seed in range(20):
        G = random_citation_graph(seed, 5 + seed * 4, cycles=cycles)
        broke += bool(ref_knowledge_flow_dag(G)[1])
        D = ref_knowledge_flow_dag(G)[0]
        rng = random.Random(seed)
        unit = dict.fromkeys(D.edges, 1)  # many ties
        small = {e: rng.choice([0, 1, 2]) for e in D.edges}  # ties, and zero weights
        halves = {e: rng.choice([0.5, 1.0, 1.5, -0.5]) for e in D.edges}  # floats, negative, some missing below
        halves.pop(next(iter(D.edges), None), None)  # type: ignore[arg-type]
        check_against_reference(G, 1)
        for k, weights in ((3, None), (1000, None), (2, unit), (3, small), (3, halves)):
            check_against_reference(G, k, weights, dag_and_spc=False)  # type: ignore[arg-type]
    assert broke > 8 if cycles else broke == 0  # the cyclic graphs do exercise both stages


def test_mutual_citations_and_cycles_against_time_agree_with_the_reference() -> None:
    # hand-made: p1 and p2 (2001) cite each other (same year: the DFS from p1 drops the flow p2 -> p1);
    # q (2003) and r (2002) cite each other (the flow q -> r runs against time); s (no year), t (2004) and
    # u (2005) cite in a ring s -> t -> u -> s (the flow u -> t runs against time, s's edges are kept); v cites v
    G = nx.DiGraph([("p1", "p2"), ("p2", "p1"), ("q", "r"), ("r", "q"), ("q", "p1"), ("s", "t"), ("t", "u"),
                    ("u", "s"), ("u", "p2"), ("v", "v")])
    for node, year in (("p1", 2001), ("p2", 2001), ("q", 2003), ("r", 2002), ("t", 2004), ("u", 2005)):
        G.nodes[node]["year"] = year
    _dag, dropped = knowledge_flow_dag(G)
    assert dropped == [("v", "v"), ("q", "r"), ("u", "t"), ("p2", "p1")]
    for k in (1, 2, 5):
        check_against_reference(G, k, None)


def test_object_path_counts_agree_with_int64(monkeypatch: pytest.MonkeyPatch) -> None:
    graphs = [random_citation_graph(seed, 40, cycles=seed % 2 == 1) for seed in range(6)]
    expected = [main_path_analysis(G, k=3) for G in graphs]
    monkeypatch.setattr(mainpath, "_INT64_SAFE", 0.0)  # every count as Python ints in object arrays
    for G, mp in zip(graphs, expected, strict=True):
        got = main_path_analysis(G, k=3)
        assert got == mp and all(type(v) is int for v in got.spc.values())
        check_against_reference(G, 3, None)


def deep_lattice(layers: int) -> nx.DiGraph:
    """Hand-made DAG: each layer's two works cite both works of the layer before; a tail chain off layer 5."""
    G = nx.DiGraph()
    for i in range(1, layers):
        for a in "ab":
            for b in "ab":
                G.add_edge(f"L{i:03d}{a}", f"L{i - 1:03d}{b}")
    G.add_edges_from([("x1", "L005a"), ("x2", "x1"), ("x3", "x2")])
    return G


def test_spc_beyond_int64_is_exact() -> None:
    G = deep_lattice(70)
    spc = spc_weights(G)
    assert max(spc.values()) > 2**64
    # from L001a: 2 choices per layer to layer 69 (2**68 paths), plus 2**3 paths to L005a, then down the x chain
    assert spc[("L000a", "L001a")] == 2**68 + 2**3
    assert all(type(v) is int for v in spc.values())
    check_against_reference(G, 3, None)
    check_against_reference(G, 2, {e: 2**70 + i for i, e in enumerate(sorted(spc))})  # ties once in float


def test_key_edges_compare_exact_weights() -> None:
    G = nx.DiGraph([("b", "a"), ("c", "a")])  # knowledge flow a -> b, a -> c (hand-made)
    assert float(2**70) == float(2**70 + 1)
    assert key_route_main_path(G, {("a", "b"): 2**70, ("a", "c"): 2**70 + 1}) == [("a", "c")]
    assert key_route_main_path(G, {("a", "b"): 2**60 + 1, ("a", "c"): float(2**60)}) == [("a", "b")]  # mixed
    assert key_route_main_path(G, {("a", "b"): 1.0, ("a", "c"): 1.0}) == [("a", "b")]  # tie: smaller edge


def test_bad_weights_and_cyclic_dags_are_rejected() -> None:
    G = nx.DiGraph([("b", "a"), ("c", "a")])
    with pytest.raises(UsageError, match=r"\('a', 'c'\) is nan; weights must be finite"):
        global_main_path(G, {("a", "b"): 1.0, ("a", "c"): math.nan})
    with pytest.raises(UsageError, match="inf; weights must be finite"):
        key_route_main_path(G, {("a", "b"): math.inf})
    with pytest.raises(UsageError, match="k=0"):
        main_path_analysis(G, k=0)
    with pytest.raises(nx.NetworkXUnfeasible):
        spc_weights(G, dag=nx.DiGraph([("a", "b"), ("b", "a")]))
    empty = main_path_analysis(nx.DiGraph())
    assert empty == MainPaths({}, [], [], [])


# -- real data ----------------------------------------------------------------------------


SHARED_FIGURES = {  # the recorded Crossref works in ../shared (6,587 records)
    "edges_path": (13_563, 13_563, 5),  # citations, SPC-weighted edges (no cycle), global main path nodes
    "path_ends": ("10.1006/jtbi.1998.0660", "10.1111/ele.14024"),  # 1998 -> 2022
    "rpys_peaks": [2020, 2014, 2000, 2002, 1990],  # years read from 1,436 unstructured references too
    "eager_bursts": 6,  # 4 with totals="citations" (each year's citations, not its citing works)
}


@pytest.fixture(scope="module")
def shared_store_data(shared_corpus: Path) -> tuple[nx.DiGraph, list[tuple[int, str | None, str | None]]]:
    with Store(shared_corpus, readonly=True) as store:
        return citation_graph(store), reference_years_from_store(store)


def analyse(G: nx.DiGraph, refs: list[tuple[int, str | None, str | None]]) -> dict[str, object]:
    weights = spc_weights(G)
    rows = rpys(y for y, _, _ in refs)
    peaks = rpys_peaks(rows)
    return {
        "weights": weights,
        "global": global_main_path(G, weights),
        "key_route": key_route_main_path(G, weights, k=2),
        "rows": rows,
        "peaks": peaks,
        "peak_works": [peak_works(refs, year, top=3) for year in peaks],
        "bursts": citation_bursts(G),
        "per_year": publications_per_year(G),
    }


@pytest.mark.shared
def test_real_data_is_deterministic(
    shared_store_data: tuple[nx.DiGraph, list[tuple[int, str | None, str | None]]],
) -> None:
    G, refs = shared_store_data
    first = analyse(G, refs)  # about 1.4 s here; speed is measured in bench/, not asserted in tests
    assert analyse(G, refs) == first
    weights = first["weights"]
    assert isinstance(weights, dict) and weights and all(w >= 1 for w in weights.values())
    path = first["global"]
    assert isinstance(path, list) and len(path) >= 2
    assert all((u, v) in weights for u, v in itertools.pairwise(path))
    bursts = first["bursts"]
    assert isinstance(bursts, list) and all(isinstance(b, Burst) and b.start <= b.end for b in bursts)
    # the figures of the recorded corpus (unrelated test cassettes, so little shared history): no work
    # is cited more than 6 times, and with the defaults over 100 citing years (ln 100 to start a burst)
    # none bursts; a lower threshold (s=3, gamma=0.5) finds a few one- or two-year bursts
    assert (G.number_of_edges(), len(weights), len(path)) == SHARED_FIGURES["edges_path"]
    assert (path[0], path[-1]) == SHARED_FIGURES["path_ends"]
    assert first["peaks"] == SHARED_FIGURES["rpys_peaks"]
    assert len(bursts) == 0
    eager = citation_bursts(G, s=3.0, gamma=0.5)
    assert len(eager) == SHARED_FIGURES["eager_bursts"] and eager == citation_bursts(G, s=3.0, gamma=0.5)
    assert all(b.citations >= 2 and b.strength > 0 for b in eager)
    assert len(citation_bursts(G, s=3.0, gamma=0.5, totals="citations")) == 4


def test_the_main_paths_accept_the_dag_built_once() -> None:
    """analyse builds the knowledge-flow graph once for SPC and both main paths: same answers (hand-made graph)."""
    import random

    from citegraph.analysis.mainpath import global_main_path, key_route_main_path, knowledge_flow_dag, spc_weights

    rng = random.Random(3)
    G = nx.DiGraph()
    for i in range(60):
        G.add_node(f"w{i:02d}", year=1990 + i // 3)
        for j in rng.sample(range(i), min(i, 3)):
            G.add_edge(f"w{i:02d}", f"w{j:02d}")
    G.add_edge("w05", "w40")  # one citation against time, dropped to break the cycle it makes
    dag = knowledge_flow_dag(G)[0]
    spc = spc_weights(G)
    assert spc_weights(G, dag=dag) == spc
    assert global_main_path(G, spc, dag=dag) == global_main_path(G, spc)
    assert key_route_main_path(G, spc, k=2, dag=dag) == key_route_main_path(G, spc, k=2)
    assert len(global_main_path(G, spc)) > 3
