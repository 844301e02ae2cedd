"""Topic similarity between works, and a keyword co-occurrence graph.

Many works, older medical literature above all, have no open reference
list, so the citation graph alone leaves them isolated. This module links
works by *what they are about*: a TF-IDF model (scikit-learn) over each
work's title, abstract and subjects, and a k-nearest-neighbour graph over
the cosine similarity of those vectors. It also builds a graph of the terms
themselves (which keywords occur together) and names the terms that set a
group of works apart (for cluster labels).

Text
----
:func:`work_text` joins the title (twice, so that the few words of a title
weigh as much as a paragraph of abstract), the abstract and the subjects,
each passed through :func:`clean_text` (JATS/HTML tags stripped, entities
unescaped, whitespace collapsed). The vectoriser then lower-cases, strips
accents and keeps tokens that start with a letter and are at least two
characters long, including digits and inner hyphens (``il-17``, ``jak1``,
``t-cell``); bare numbers (years, doses, page counts) are dropped.

Stop words are scikit-learn's English list plus :data:`DOMAIN_STOP_WORDS`,
the words every scholarly abstract carries whatever its subject (section
headings, publisher boilerplate, "using", "based"...). Words that *do*
separate literatures are kept on purpose: "patients" (clinical versus
laboratory work), "review" (reviews versus primary research), "case" and
"report".

Model
-----
:func:`fit_topics` sorts works by DOI key first, so nothing depends on the
input order, and returns a :class:`TopicModel`: the keys, an L2-normalised
sparse TF-IDF matrix (one row per work, ``sublinear_tf``) and its terms in
column (alphabetical) order. A work without text keeps its key and gets an
all-zero row; a corpus with fewer than two texts, or whose vocabulary is
empty after pruning, gives an empty but valid model (no terms) instead of
scikit-learn's ``ValueError``.

Similarity
----------
:func:`similarity_edges` finds each work's ``k`` most similar others at or
above ``threshold`` (ties by DOI key); an edge exists when either end keeps
it, so a work never loses its nearest neighbour to a hub with many closer
ones. Similarities are exact cosines rounded to 6 decimals *before*
anything is ranked or compared, so ties and thresholds do not depend on the
last bits of floating point. The search is exact (``X @ X.T``, a block of
rows at a time, never a dense n x n array) while no term is in more than
``max_postings`` works (100 by default), or while the exact search is cheap
(its estimated cost, :func:`similarity_plan`, within about a second:
:data:`DEFAULT_SIMILARITY_BUDGET`); beyond that, terms that frequent
are searched through *champion lists* (their most heavily weighted works
only) and the best candidates re-scored exactly, which keeps the work linear
in the corpus (see :func:`similarity_edges`; about 98% of the exact
neighbour pairs are found on real titles and abstracts).
:func:`topic_graph` turns those edges into a :class:`networkx.Graph` in
which every work is a node, linked or not.

Examples
--------
Hand-made unit-test records (not Crossref data):

>>> works = [
...     {"doi": "10.5555/a", "title": "Alopecia areata and the hair follicle"},
...     {"doi": "10.5555/b", "title": "JAK inhibitors for alopecia areata"},
...     {"doi": "10.5555/c", "title": "Betweenness centrality in large networks"},
...     {"doi": "10.5555/d", "title": "Approximating centrality in sparse networks"},
...     {"doi": "10.5555/e", "title": None},
... ]
>>> g = topic_graph(works, k=2, threshold=0.1)
>>> sorted(g.edges())
[('10.5555/a', '10.5555/b'), ('10.5555/c', '10.5555/d')]
>>> g.degree("10.5555/e")
0
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    TfidfVectorizer,
)

from citegraph.errors import RecordError, UsageError

__all__ = [
    "DEFAULT_MAX_POSTINGS",
    "DEFAULT_SIMILARITY_BUDGET",
    "DOMAIN_STOP_WORDS",
    "QUERY_TERMS",
    "RANK_DECIMALS",
    "TOKEN_PATTERN",
    "TopicModel",
    "clean_text",
    "distinctive_terms",
    "fit_topics",
    "keyword_graph",
    "similarity_edges",
    "similarity_plan",
    "topic_graph",
    "work_text",
]

log = logging.getLogger(__name__)

#: Words that every scholarly abstract carries whatever its subject, removed
#: on top of scikit-learn's English stop words: structured-abstract headings
#: ("background", "methods", "results", "conclusions"...), citation and
#: publisher boilerplate ("et al", "doi", "copyright", "elsevier", "all rights
#: reserved"...), and generic verbs and fillers ("using", "based", "also").
#: Kept out on purpose, because they separate literatures: "patients"
#: (clinical versus laboratory work), "review" (reviews versus primary
#: research), "case" and "report" (case reports). Some words are already in
#: scikit-learn's list ("also", "however", "one"...); they are listed anyway
#: so this list says what citegraph relies on.
DOMAIN_STOP_WORDS: frozenset[str] = frozenset({
    # structured-abstract headings and paper parts
    "abstract", "background", "introduction", "objective", "objectives",
    "purpose", "aim", "aims", "method", "methods", "result", "results",
    "finding", "findings", "discussion", "conclusion", "conclusions",
    "study", "studies", "paper", "article",
    # citation and publisher boilerplate
    "et", "al", "doi", "copyright", "rights", "reserved", "ltd", "inc",
    "published", "publisher", "elsevier", "wiley", "springer",
    "author", "authors",
    # generic verbs and fillers
    "using", "use", "used", "based", "also", "however", "may", "can",
    "one", "two", "three",
})

#: Tokens: a letter, then letters/digits, with inner hyphens, two characters
#: at least ("il-17", "jak1", "t-cell"); bare numbers and one-letter words
#: are not tokens.
TOKEN_PATTERN = r"(?u)\b[^\W\d_](?:[^\W_]+(?:-[^\W_]+)*|(?:-[^\W_]+)+)"

# A tag: "<" or "</" directly followed by a letter (so "p<0.05" survives).
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACE = re.compile(r"\s+")
# Where word pairs stop: line breaks (between parts) and sentence ends.
_SEGMENT = re.compile(r"\n|[.!?;:](?:\s+|$)")
# Decimals used to make near-ties exact before ranking.
_SIM_DECIMALS = 6
#: Decimals term weights are rounded to before terms are ranked (:func:`distinctive_terms`), so near-ties
#: are exact ties broken by the term; anything ranking terms the same way uses it too.
RANK_DECIMALS = 9
#: Default of ``max_postings`` (:func:`similarity_edges`): works a term can be found through.
DEFAULT_MAX_POSTINGS = 100
#: Frequent terms (in more than ``max_postings`` works) a work is searched through (:func:`similarity_edges`).
QUERY_TERMS = 10
#: Default of ``exact_budget`` (:func:`similarity_edges`): the exact search is kept, whatever terms are
#: frequent, while its estimated cost (:func:`similarity_plan`, candidate pairs ``min(n^2, sum of
#: postings^2)``, a count, never a timing) is at most this: about one second here. Calibrated on this
#: project's machine (2 cores shared with other jobs, CPU time): the exact search took 1.06 s for 2.4e7
#: candidate pairs on the 6,012 recorded Crossref works (2.3e7 pairs/s), 0.28 s for 6.3e6 on the
#: CRISPR Web of Science store (2,501 works) and 0.07 s for 1.1e6 on the coffee/obesity one (1,052
#: works); the champion lists took 0.63 s, 0.59 s and 0.15 s.
DEFAULT_SIMILARITY_BUDGET = 20_000_000
# Products (multiply-adds) per block of rows, and cells of a padded array: bound memory.
_PRODUCT_BUDGET = 1 << 24
_PAD_CELLS = 1 << 22
# Pairs re-scored at a time.
_RESCORE_CHUNK = 1 << 16


def clean_text(text: str | None) -> str:
    """Plain text of a title or abstract: tags stripped, entities unescaped.

    Tags (JATS ``<jats:p>``, HTML ``<i>``, MathML...) are replaced by a
    space, character entities are unescaped, tags that only appear after
    unescaping (``&lt;i&gt;``) are stripped too, and runs of whitespace
    become one space.

    Parameters
    ----------
    text : str or None
        The raw text; ``None`` gives ``""``.

    Returns
    -------
    str

    Examples
    --------
    >>> clean_text("<jats:title>Abstract</jats:title><jats:p>Hair &amp; nail\\n loss</jats:p>")
    'Abstract Hair & nail loss'
    >>> clean_text("The <i>JAK1</i> gene &lt;i&gt;in vivo&lt;/i&gt; (p<0.05)")
    'The JAK1 gene in vivo (p<0.05)'
    >>> clean_text(None)
    ''
    """
    if not text:
        return ""
    if "<" not in text and "&" not in text:  # nothing to strip or unescape
        return " ".join(text.split())  # str.split splits where r"\s" matches
    text = _TAG.sub(" ", text)
    text = _TAG.sub(" ", html.unescape(text))
    return _SPACE.sub(" ", text).strip()


def _joined(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ".join(v for v in value if isinstance(v, str))
    return ""


def work_text(work: Mapping[str, Any]) -> str:
    """The text a work is modelled by: title twice, abstract, subjects.

    Each part goes on its own line (each subject too), so that word pairs
    are never formed across parts (see :func:`fit_topics`).

    Parameters
    ----------
    work : Mapping
        A work as :meth:`citegraph.store.Store.works` yields it (``title``,
        ``abstract``, ``subjects``); missing or ``None`` fields count as
        empty, and a list of strings as title or abstract is joined.

    Returns
    -------
    str
        Cleaned text (:func:`clean_text`), one part a line, ``""`` when the
        work has none.

    Examples
    --------
    >>> work_text({"title": "Hair <i>loss</i>", "abstract": "<jats:p>A &amp; B</jats:p>",
    ...            "subjects": ["Dermatology", "General Medicine"]})
    'Hair loss\\nHair loss\\nA & B\\nDermatology\\nGeneral Medicine'
    >>> work_text({"title": None, "abstract": None, "subjects": []})
    ''
    """
    title = clean_text(_joined(work.get("title")))
    subjects = work.get("subjects")
    if isinstance(subjects, str):
        subjects = [subjects]
    parts = [title, title, clean_text(_joined(work.get("abstract")))]
    if isinstance(subjects, (list, tuple)):
        parts.extend(clean_text(s) for s in subjects if isinstance(s, str))
    return "\n".join(p for p in parts if p)


class _SegmentAnalyzer:
    """A word analyser applied to each segment (line, sentence) of a text separately."""

    def __init__(self, analyze: Callable[[str], list[str]]) -> None:
        self.analyze = analyze

    def __call__(self, doc: str) -> list[str]:
        return [token for segment in _SEGMENT.split(doc) for token in self.analyze(segment)]


@dataclass(eq=False)
class TopicModel:
    """A fitted TF-IDF model: one row per work, one column per term.

    Attributes
    ----------
    keys : list of str
        DOI keys in row order (sorted).
    matrix : scipy.sparse.csr_matrix
        ``len(keys) x len(terms)`` float64 TF-IDF weights, each non-zero row
        of unit L2 norm; works without text have all-zero rows.
    terms : list of str
        The terms (words and, by default, word pairs) in column order
        (alphabetical).

    Examples
    --------
    >>> model = fit_topics([{"doi": "10.5555/b", "title": "hair loss"},
    ...                     {"doi": "10.5555/a", "title": "hair growth"}], max_df=1.0)
    >>> model.keys, model.terms
    (['10.5555/a', '10.5555/b'], ['growth', 'hair', 'hair growth', 'hair loss', 'loss'])
    >>> model.row("10.5555/b"), model.matrix.shape
    (1, (2, 5))
    """

    keys: list[str]
    matrix: sp.csr_matrix
    terms: list[str]
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {key: i for i, key in enumerate(self.keys)}
        if self.matrix.shape != (len(self.keys), len(self.terms)):
            raise UsageError(f"matrix shape {self.matrix.shape} does not match "
                             f"{len(self.keys)} keys x {len(self.terms)} terms")

    def row(self, key: str) -> int:
        """The row of a DOI key.

        Raises
        ------
        KeyError
            The key is not in the model.
        """
        return self._index[key]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __len__(self) -> int:
        return len(self.keys)


def _empty_model(keys: list[str]) -> TopicModel:
    return TopicModel(keys=keys, matrix=sp.csr_matrix((len(keys), 0), dtype=np.float64), terms=[])


def fit_topics(
    works: Iterable[Mapping[str, Any]],
    *,
    min_df: int = 1,
    max_df: float = 0.8,
    ngram_range: tuple[int, int] = (1, 2),
    extra_stop_words: Iterable[str] = (),
    max_features: int | None = 50_000,
) -> TopicModel:
    """Fit a TF-IDF model over the text of works.

    Parameters
    ----------
    works : iterable of Mapping
        Works with a ``doi`` key (and ``title``, ``abstract``, ``subjects``,
        see :func:`work_text`). Their order does not matter.
    min_df : int, default 1
        Keep terms found in at least this many works.
    max_df : float, default 0.8
        Drop terms found in more than this share of the works that have text
        (a term in every one of them separates nothing). With very few works
        this removes every shared term: with 2 works, 0.8 keeps only terms
        found in one of them; pass ``max_df=1.0`` for tiny corpora.
    ngram_range : tuple of int, default (1, 2)
        Word n-grams to use, as in scikit-learn. Stop words are removed
        before n-grams are formed; n-grams never span two parts of the text
        (title, abstract, each subject) nor a sentence end (``.``, ``!``,
        ``?``, ``;`` or ``:`` before a space).
    extra_stop_words : iterable of str
        More stop words, on top of scikit-learn's English list and
        :data:`DOMAIN_STOP_WORDS` (give them lower-case, without accents).
    max_features : int or None, default 50000
        Keep at most this many terms (the most frequent in the corpus).

    Returns
    -------
    TopicModel
        Rows sorted by DOI key. Empty (no terms) when fewer than two works
        have text or no term survives pruning.

    Raises
    ------
    RecordError
        A work has no ``doi``, or two works have the same one.
    ValueError
        A parameter is out of range.

    Examples
    --------
    Hand-made unit-test records (not Crossref data):

    >>> model = fit_topics([
    ...     {"doi": "10.5555/2", "title": "Graph centrality", "subjects": ["Networks"]},
    ...     {"doi": "10.5555/1", "title": "The <i>hair</i> follicle", "abstract": None},
    ...     {"doi": "10.5555/3", "title": ""},
    ... ], ngram_range=(1, 1))
    >>> model.keys, model.terms
    (['10.5555/1', '10.5555/2', '10.5555/3'], ['centrality', 'follicle', 'graph', 'hair', 'networks'])
    >>> model.matrix[2].nnz
    0
    """
    if not isinstance(min_df, (int, np.integer)) or isinstance(min_df, bool) or min_df < 1:
        raise UsageError(f"min_df must be an integer >= 1, not {min_df!r}")
    if not 0.0 < float(max_df) <= 1.0:
        raise UsageError(f"max_df must be a share in (0, 1], not {max_df!r}")
    low, high = ngram_range
    if not 1 <= low <= high:
        raise UsageError(f"ngram_range must be (low, high) with 1 <= low <= high, not {ngram_range!r}")
    if max_features is not None and max_features < 1:
        raise UsageError(f"max_features must be >= 1 or None, not {max_features!r}")

    by_key: dict[str, str] = {}
    for work in works:
        key = work.get("doi")
        if not isinstance(key, str) or not key:
            raise RecordError(f"work without a DOI key: title {work.get('title')!r}")
        if key in by_key:
            raise RecordError(f"DOI key {key!r} appears twice among the works")
        by_key[key] = work_text(work)
    keys = sorted(by_key)
    with_text = [i for i, key in enumerate(keys) if by_key[key]]
    if len(with_text) < 2:
        log.info("topics: %d works, %d with text: empty model", len(keys), len(with_text))
        return _empty_model(keys)

    stop_words = sorted(ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS | {w.lower() for w in extra_stop_words})
    words = TfidfVectorizer(
        lowercase=True,
        strip_accents="unicode",
        token_pattern=TOKEN_PATTERN,
        stop_words=stop_words,
        ngram_range=(low, high),
    ).build_analyzer()
    vectorizer = TfidfVectorizer(
        analyzer=_SegmentAnalyzer(words),
        min_df=int(min_df),
        max_df=float(max_df),
        max_features=max_features,
        sublinear_tf=True,
        norm="l2",
        dtype=np.float64,
    )
    try:
        fitted = vectorizer.fit_transform([by_key[keys[i]] for i in with_text])
    except ValueError as exc:  # "empty vocabulary", "no terms remain", max_df < min_df
        log.warning("topics: no vocabulary over %d texts (%s): empty model", len(with_text), exc)
        return _empty_model(keys)
    fitted = sp.csr_matrix(fitted, dtype=np.float64)
    fitted.sort_indices()
    terms = [str(t) for t in vectorizer.get_feature_names_out()]

    # Spread the rows of the works with text over all rows (others stay empty).
    nnz = np.zeros(len(keys), dtype=np.int64)
    nnz[np.asarray(with_text, dtype=np.int64)] = np.diff(fitted.indptr)
    indptr = np.concatenate(([0], np.cumsum(nnz)))
    matrix = sp.csr_matrix((fitted.data, fitted.indices, indptr), shape=(len(keys), len(terms)))
    log.info("topics: %d works, %d with text, %d terms", len(keys), len(with_text), len(terms))
    return TopicModel(keys=keys, matrix=matrix, terms=terms)


def _top_per_row(block: sp.csr_matrix, k: int, row_offset: int = 0) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of each row's ``k`` largest entries (ties by column)."""
    coo = block.tocoo()
    rows, cols, vals = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    order = np.lexsort((cols, -vals, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - starts) < k
    return rows[keep] + row_offset, cols[keep], vals[keep]


def _select_top(indptr: np.ndarray, cols: np.ndarray, vals: np.ndarray, k: int) -> tuple[
        np.ndarray, np.ndarray]:
    """Rows and entry positions of each CSR row's ``k`` largest values, in (row, -value, column) order.

    Linear in the entries: rows longer than ``k`` are taken shortest first,
    in runs whose padded rows x longest-row array stays within
    :data:`_PAD_CELLS` cells (one row at least); :func:`numpy.partition`
    finds each row's ``k``-th largest value and only entries at or above it
    (ties included) reach the final sort, which breaks ties by column.
    """
    lengths = np.diff(indptr)
    cutoff = np.full(len(lengths), -np.inf, dtype=vals.dtype)
    long_rows = np.flatnonzero(lengths > k)
    long_rows = long_rows[np.argsort(lengths[long_rows], kind="stable")]
    start = 0
    while start < len(long_rows):
        # widths grow along long_rows: a run ends where rows x width passes the budget
        cells = lengths[long_rows[start:]] * np.arange(1, len(long_rows) - start + 1)
        stop = start + max(1, int(np.searchsorted(cells, _PAD_CELLS, side="right")))
        group = long_rows[start:stop]
        counts = lengths[group]
        width = int(counts[-1])
        offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        slot = np.repeat(np.arange(len(group)), counts)
        pad = np.full((len(group), width), -np.inf, dtype=vals.dtype)
        pad[slot, offset] = vals[np.repeat(indptr[group], counts) + offset]
        cutoff[group] = np.partition(pad, width - k, axis=1)[:, width - k]
        start = stop
    entries = np.flatnonzero(vals >= np.repeat(cutoff, lengths)) if len(long_rows) else np.arange(len(vals))
    rows = np.searchsorted(indptr, entries, side="right").astype(np.int64) - 1
    order = np.lexsort((cols[entries], -vals[entries], rows))
    rows, entries = rows[order], entries[order]
    keep = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left") < k
    return rows[keep], entries[keep]


def _heaviest(matrix: sp.csr_matrix, limit: int, among: np.ndarray | None = None) -> sp.csr_matrix:
    """The matrix with each row's entries cut to its ``limit`` largest (ties by column).

    With ``among`` (a boolean mask of columns), only entries in those
    columns are cut; the others are all kept.
    """
    matrix = sp.csr_matrix(matrix)
    matrix.sort_indices()
    eligible = np.ones(matrix.nnz, dtype=bool) if among is None else among[matrix.indices]
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    over = np.bincount(rows[eligible], minlength=matrix.shape[0]) > limit
    candidates = np.flatnonzero(eligible & over[rows])  # rows with few eligible entries keep them all
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[candidates], minlength=matrix.shape[0]))))
    _, chosen = _select_top(indptr, matrix.indices[candidates],
                            np.round(matrix.data[candidates], RANK_DECIMALS), limit)
    keep = ~(eligible & over[rows])
    keep[candidates[chosen]] = True
    counts = np.bincount(rows[keep], minlength=matrix.shape[0])
    return sp.csr_matrix((matrix.data[keep], matrix.indices[keep], np.concatenate(([0], np.cumsum(counts)))),
                         shape=matrix.shape)


def _row_dots(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Exact ``matrix[i] . matrix[j]`` for each pair ``(i, j)``, a chunk of pairs at a time."""
    out = np.empty(len(rows), dtype=np.float64)
    for start in range(0, len(rows), _RESCORE_CHUNK):
        a = matrix[rows[start:start + _RESCORE_CHUNK]]
        b = matrix[cols[start:start + _RESCORE_CHUNK]]
        out[start:start + _RESCORE_CHUNK] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return out


def similarity_plan(model: TopicModel, *, max_postings: int | None = DEFAULT_MAX_POSTINGS,
                    exact_budget: int = DEFAULT_SIMILARITY_BUDGET) -> dict[str, Any]:
    """Whether :func:`similarity_edges` searches exactly, at what estimated cost, and what it cuts if not.

    The cost of the exact search is estimated as the candidate pairs of
    ``X @ X.T``: ``min(n^2, sum over terms of postings^2)`` (``n`` works;
    a term in ``p`` works makes ``p^2`` products, and there are at most
    ``n^2`` pairs), which is what its time follows (see
    :data:`DEFAULT_SIMILARITY_BUDGET`). The search is exact when no term is
    in more than ``max_postings`` works, when ``max_postings`` is None, or
    when that cost is at most ``exact_budget``; otherwise champion lists cut
    the postings of the frequent terms.

    Returns
    -------
    dict
        ``exact`` (bool), ``cost`` and ``budget`` (candidate pairs),
        ``max_postings``, ``frequent_terms`` (terms in more than
        ``max_postings`` works), ``terms``, and ``postings_cut``: the
        postings the champion lists leave out (0 when exact).

    Examples
    --------
    Hand-made unit-test records (not Crossref data): "hair" and "follicle"
    are in 2 of the 3 works, 2 x 2^2 + 4 x 1^2 = 12 products, at most 3^2 = 9
    pairs.

    >>> model = fit_topics([
    ...     {"doi": "10.5555/a", "title": "hair follicle stem cells"},
    ...     {"doi": "10.5555/b", "title": "hair follicle cycling"},
    ...     {"doi": "10.5555/c", "title": "network centrality"},
    ... ], ngram_range=(1, 1), max_df=1.0)
    >>> plan = similarity_plan(model, max_postings=1)
    >>> plan["exact"], plan["cost"], plan["frequent_terms"], plan["postings_cut"]
    (True, 9, 2, 0)
    >>> cut = similarity_plan(model, max_postings=1, exact_budget=8)
    >>> cut["exact"], cut["postings_cut"]
    (False, 2)
    """
    if max_postings is not None and max_postings < 1:
        raise UsageError(f"max_postings must be >= 1 or None, not {max_postings!r}")
    if exact_budget < 0:
        raise UsageError(f"exact_budget must be >= 0, not {exact_budget!r}")
    matrix = model.matrix
    n = int(matrix.shape[0])
    doc_freq = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.int64)
    cost = min(n * n, int((doc_freq * doc_freq).sum()))
    over = doc_freq > max_postings if max_postings is not None else np.zeros(len(doc_freq), dtype=bool)
    exact = not bool(over.any()) or cost <= exact_budget
    return {"exact": exact, "cost": cost, "budget": exact_budget, "max_postings": max_postings,
            "frequent_terms": int(over.sum()), "terms": len(doc_freq),
            "postings_cut": 0 if exact or max_postings is None else int((doc_freq[over] - max_postings).sum())}


def similarity_edges(
    model: TopicModel, *, k: int = 10, threshold: float = 0.1, block: int = 2000,
    max_postings: int | None = DEFAULT_MAX_POSTINGS, exact_budget: int = DEFAULT_SIMILARITY_BUDGET,
) -> list[tuple[str, str, float]]:
    """Each work's nearest neighbours by cosine similarity, as undirected edges.

    Exact when no term is in more than ``max_postings`` works, with
    ``max_postings=None``, or when the exact search is cheap: its estimated
    cost (:func:`similarity_plan`, candidate pairs) is at most
    ``exact_budget`` (about one second by default). Exact, the cosines are
    ``X @ X.T``, a block of rows at
    a time, and each row keeps its ``k`` best. Otherwise candidates come
    from *champion lists*, the standard way to keep all-pairs cosine
    nearest-neighbour search sparse when some terms are in very many works
    (such a term links everything to everything, the product grows with
    the square of the corpus, and each of its links carries little):

    - a term in more than ``max_postings`` works is *frequent*; through it
      only its ``max_postings`` works of highest weight can be found;
    - a work looks for others through all its rare terms and its
      :data:`QUERY_TERMS` frequent terms of highest weight;
    - each work's ``2 k`` best candidates by that partial score are
      re-scored with their exact cosine, and the ``k`` best are kept.

    Every term stays in the model (labels and keywords use them); only the
    search skips postings. The product then costs at most ``QUERY_TERMS x
    max_postings`` plus the rare terms' postings per work: linear in the
    corpus. Similarities are always exact; a neighbour can be missed, when
    it shares with the work no rare term and no frequent one both weigh
    heavily. On the recorded Crossref corpus in ``../shared`` (16,153 works
    with text; measured in the tests) about 98% of the exact neighbour
    pairs are found, and the others are replaced by pairs nearly as similar.

    Parameters
    ----------
    model : TopicModel
        A fitted model (rows of unit norm, so the dot product is the cosine).
    k : int, default 10
        Neighbours kept per work (ties by DOI key).
    threshold : float, default 0.1
        Lowest similarity kept (after rounding to 6 decimals); only
        positive similarities ever make edges.
    block : int, default 2000
        Rows multiplied at a time at most (fewer when a block's products
        would pass about 16 million); bounds memory, not the result.
    max_postings : int or None, default :data:`DEFAULT_MAX_POSTINGS` (100)
        Works a frequent term can lead to (see above); ``None``: all, exact
        but quadratic in the worst case.
    exact_budget : int, default :data:`DEFAULT_SIMILARITY_BUDGET`
        The search stays exact while its estimated cost is at most this
        (candidate pairs, :func:`similarity_plan`); 0: champion lists
        whenever a term is frequent.

    Returns
    -------
    list of (str, str, float)
        ``(a, b, similarity)`` with ``a < b``, once per pair, sorted; an
        edge is present when either end keeps the other among its ``k``
        nearest. Similarities are rounded to 6 decimals.

    Raises
    ------
    UsageError
        ``k``, ``threshold``, ``block``, ``max_postings`` or ``exact_budget``
        out of range.

    Examples
    --------
    Hand-made unit-test records (not Crossref data):

    >>> model = fit_topics([
    ...     {"doi": "10.5555/a", "title": "hair follicle stem cells"},
    ...     {"doi": "10.5555/b", "title": "hair follicle cycling"},
    ...     {"doi": "10.5555/c", "title": "network centrality"},
    ... ], ngram_range=(1, 1), max_df=1.0)
    >>> similarity_edges(model, k=1)
    [('10.5555/a', '10.5555/b', 0.443333)]

    With one posting per term (and no budget for the exact search), "hair"
    and "follicle" lead to one of the two works only, yet each finds the
    other and the similarity is exact:

    >>> similarity_edges(model, k=1, max_postings=1, exact_budget=0)
    [('10.5555/a', '10.5555/b', 0.443333)]
    """
    if k < 1:
        raise UsageError(f"k must be >= 1, not {k!r}")
    if threshold < 0:
        raise UsageError(f"threshold must be >= 0, not {threshold!r}")
    if block < 1:
        raise UsageError(f"block must be >= 1, not {block!r}")
    plan = similarity_plan(model, max_postings=max_postings, exact_budget=exact_budget)
    matrix = model.matrix
    n = matrix.shape[0]
    if n < 2 or matrix.shape[1] == 0 or matrix.nnz == 0:
        return []
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    exact = bool(plan["exact"])
    if exact:
        query, transposed = matrix, sp.csr_matrix(matrix.T)  # terms x works
        if plan["frequent_terms"]:
            log.info("topic similarity: exact (cost %.2g <= budget %.2g candidate pairs), though %d of %d terms "
                     "are in more than %d works", plan["cost"], exact_budget, plan["frequent_terms"], plan["terms"],
                     max_postings)
    else:
        assert max_postings is not None
        frequent = np.bincount(matrix.indices, minlength=matrix.shape[1]) > max_postings
        # float32 is plenty to rank candidates: their similarities are computed again, exactly
        query = sp.csr_matrix(_heaviest(matrix, QUERY_TERMS, among=frequent), dtype=np.float32)
        # terms x works, each term's postings cut to its max_postings heaviest (its champion list)
        transposed = sp.csr_matrix(_heaviest(matrix.T, max_postings), dtype=np.float32)
        log.info("topic similarity: %d of %d terms in more than %d works, searched through champion lists "
                 "(%d postings cut; exact would cost %.2g > budget %.2g candidate pairs)", plan["frequent_terms"],
                 plan["terms"], max_postings, plan["postings_cut"], plan["cost"], exact_budget)
    # products per row (bounds a block's work and memory)
    postings = np.diff(transposed.indptr)
    cost = np.cumsum(np.add.reduceat(np.r_[postings[query.indices], 0.0], query.indptr[:-1])
                     * (np.diff(query.indptr) > 0))
    found_rows, found_cols, found_vals = [], [], []
    start = 0
    while start < n:
        done = float(cost[start - 1]) if start else 0.0
        reach = int(np.searchsorted(cost, done + _PRODUCT_BUDGET, side="right"))
        stop = min(n, start + block, max(start + 1, reach))
        sims = sp.csr_matrix(query[start:stop] @ transposed)
        if exact:
            rows = np.repeat(np.arange(start, stop, dtype=np.int64), np.diff(sims.indptr))
            vals = np.round(sims.data, _SIM_DECIMALS)
            keep = np.flatnonzero((sims.indices != rows) & (vals >= threshold) & (vals > 0))
            indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[keep] - start, minlength=stop - start))))
            rows, chosen = _select_top(indptr, sims.indices[keep], vals[keep], k)
            entries, values = keep[chosen], vals[keep[chosen]]
        else:
            # the work itself is among its best candidates (dropped below): one more
            rows, entries = _select_top(sims.indptr, sims.indices, sims.data, 2 * k + 1)
            values = np.zeros(len(entries))
        found_rows.append(rows + start)
        found_cols.append(sims.indices[entries].astype(np.int64))
        found_vals.append(values)
        start = stop
    rows, cols, vals = np.concatenate(found_rows), np.concatenate(found_cols), np.concatenate(found_vals)
    if not exact:
        other = np.flatnonzero(rows != cols)
        rows, cols = rows[other], cols[other]
        vals = np.round(_row_dots(matrix, rows, cols), _SIM_DECIMALS)
        keep = np.flatnonzero((vals >= threshold) & (vals > 0))
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[keep], minlength=n))))
        rows, chosen = _select_top(indptr, cols[keep], vals[keep], k)
        cols, vals = cols[keep[chosen]], vals[keep[chosen]]
    # undirected, once per pair: the value seen first (from the lower row when it kept the pair)
    pair = np.minimum(rows, cols) * n + np.maximum(rows, cols)
    unique, first = np.unique(pair, return_index=True)
    keys = model.keys
    return [(keys[a], keys[b], v) for a, b, v in zip((unique // n).tolist(), (unique % n).tolist(),
                                                      vals[first].tolist(), strict=True)]


def _as_model(works: Iterable[Mapping[str, Any]] | TopicModel) -> TopicModel:
    return works if isinstance(works, TopicModel) else fit_topics(works)


def topic_graph(
    works: Iterable[Mapping[str, Any]] | TopicModel, *, k: int = 10, threshold: float = 0.1,
    max_postings: int | None = DEFAULT_MAX_POSTINGS, exact_budget: int = DEFAULT_SIMILARITY_BUDGET,
) -> nx.Graph:
    """The topic-similarity graph of works.

    Parameters
    ----------
    works : iterable of Mapping, or TopicModel
        Works (fitted with :func:`fit_topics` defaults) or a fitted model.
    k, threshold, max_postings, exact_budget : int, float, int or None, int
        As in :func:`similarity_edges`.

    Returns
    -------
    networkx.Graph
        One node per work, keyed by DOI key (attribute ``doi``), isolated
        when nothing is similar enough; edges carry ``weight`` (the cosine
        similarity) and ``kind="topic"``. The graph attribute ``similarity``
        says how the neighbours were searched (:func:`similarity_plan`:
        exact or champion lists, cost, budget, what was cut).

    Examples
    --------
    Hand-made unit-test records (not Crossref data):

    >>> model = fit_topics([
    ...     {"doi": "10.5555/a", "title": "hair follicle stem cells"},
    ...     {"doi": "10.5555/b", "title": "hair follicle cycling"},
    ...     {"doi": "10.5555/c", "title": "network centrality"},
    ... ], ngram_range=(1, 1), max_df=1.0)
    >>> g = topic_graph(model, k=1)
    >>> g.number_of_nodes(), g.edges["10.5555/a", "10.5555/b"]
    (3, {'weight': 0.443333, 'kind': 'topic'})
    >>> g.graph["similarity"]["exact"], g.graph["similarity"]["cost"]
    (True, 9)
    """
    model = _as_model(works)
    plan = similarity_plan(model, max_postings=max_postings, exact_budget=exact_budget)
    graph = nx.Graph(kind="topic", k=k, threshold=threshold, similarity=plan)
    graph.add_nodes_from((key, {"doi": key}) for key in model.keys)
    graph.add_edges_from((a, b, {"weight": w, "kind": "topic"})
                         for a, b, w in similarity_edges(model, k=k, threshold=threshold,
                                                         max_postings=max_postings, exact_budget=exact_budget))
    return graph


def _keyword_incidence(model: TopicModel, top_terms: int) -> sp.csr_matrix:
    """Binary works x terms matrix: 1 where the term is among the work's top terms."""
    weights = model.matrix.copy()
    weights.data = np.round(weights.data, RANK_DECIMALS)
    weights.eliminate_zeros()
    rows, cols, _ = _top_per_row(weights, top_terms)
    return sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=model.matrix.shape)


def keyword_graph(
    works: Iterable[Mapping[str, Any]] | TopicModel,
    *,
    top_terms: int = 10,
    max_terms: int = 200,
    min_cooccurrence: int = 2,
) -> nx.Graph:
    """The co-occurrence graph of the works' keywords.

    Parameters
    ----------
    works : iterable of Mapping, or TopicModel
        Works (fitted with :func:`fit_topics` defaults) or a fitted model.
    top_terms : int, default 10
        A work's keywords are its ``top_terms`` terms of highest TF-IDF
        weight (ties alphabetical).
    max_terms : int, default 200
        The graph keeps the ``max_terms`` terms that are keywords of the
        most works (ties alphabetical).
    min_cooccurrence : int, default 2
        Link two terms when they are keywords of at least this many works
        together.

    Returns
    -------
    networkx.Graph
        Nodes are terms (attributes ``label``, the term, and ``works``, the
        number of works having it as keyword); edges carry ``weight``, the
        number of works having both as keywords.

    Examples
    --------
    Hand-made unit-test records (not Crossref data):

    >>> g = keyword_graph([
    ...     {"doi": "10.5555/a", "title": "hair follicle"},
    ...     {"doi": "10.5555/b", "title": "hair follicle"},
    ...     {"doi": "10.5555/c", "title": "network centrality"},
    ... ], min_cooccurrence=2)
    >>> sorted(g.edges(data="weight"))
    [('follicle', 'hair', 2), ('follicle', 'hair follicle', 2), ('hair', 'hair follicle', 2)]
    >>> g.nodes["hair"]
    {'label': 'hair', 'works': 2}
    """
    if top_terms < 1 or max_terms < 1 or min_cooccurrence < 1:
        raise UsageError("top_terms, max_terms and min_cooccurrence must be >= 1")
    model = _as_model(works)
    graph = nx.Graph(kind="keyword")
    if not model.terms or model.matrix.nnz == 0:
        return graph
    incidence = _keyword_incidence(model, top_terms)
    counts = np.asarray(incidence.sum(axis=0)).ravel()
    present = np.flatnonzero(counts)
    # most works first, then alphabetical (column order is alphabetical)
    chosen = present[np.lexsort((present, -counts[present]))][:max_terms]
    chosen.sort()
    sub = incidence[:, chosen].tocsc()
    co = sp.triu(sub.T @ sub, k=1).tocoo()
    graph.add_nodes_from((model.terms[c], {"label": model.terms[c], "works": int(counts[c])})
                         for c in chosen)
    keep = co.data >= min_cooccurrence
    edges = sorted(zip(co.row[keep].tolist(), co.col[keep].tolist(), co.data[keep].tolist(), strict=True))
    graph.add_edges_from((model.terms[chosen[i]], model.terms[chosen[j]], {"weight": int(w)})
                         for i, j, w in edges)
    log.info("keyword graph: %d terms, %d links", graph.number_of_nodes(), graph.number_of_edges())
    return graph


def distinctive_terms(model: TopicModel, members: Iterable[str], n: int = 5) -> list[str]:
    """The terms that set a group of works apart from all of them.

    Parameters
    ----------
    model : TopicModel
        A fitted model.
    members : iterable of str
        DOI keys of the group; keys not in the model are ignored.
    n : int, default 5
        How many terms.

    Returns
    -------
    list of str
        Up to ``n`` terms whose mean TF-IDF weight over the members most
        exceeds their mean over all works (only terms that exceed it; ties
        alphabetical); ``[]`` when no member is in the model.

    Examples
    --------
    Hand-made unit-test records (not Crossref data):

    >>> model = fit_topics([
    ...     {"doi": "10.5555/a", "title": "hair follicle stem cells"},
    ...     {"doi": "10.5555/b", "title": "hair follicle cycling"},
    ...     {"doi": "10.5555/c", "title": "network centrality"},
    ... ], ngram_range=(1, 1), max_df=1.0)
    >>> distinctive_terms(model, ["10.5555/a", "10.5555/b"], n=2)
    ['follicle', 'hair']
    >>> distinctive_terms(model, ["10.9999/unknown"])
    []
    """
    rows = sorted({model.row(m) for m in members if m in model})
    if not rows or n < 1 or not model.terms:
        return []
    group_mean = np.asarray(model.matrix[rows].mean(axis=0)).ravel()
    overall = np.asarray(model.matrix.mean(axis=0)).ravel()
    excess = np.round(group_mean - overall, RANK_DECIMALS)
    candidates = np.flatnonzero(excess > 0)
    order = candidates[np.lexsort((candidates, -excess[candidates]))][:n]
    return [model.terms[i] for i in order]
