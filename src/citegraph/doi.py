"""Recognise, normalise and extract DOIs.

A DOI (Digital Object Identifier) is ``10.`` + a numeric registrant code +
``/`` + a suffix, e.g. ``10.1000/xyz123``. DOIs are case-insensitive for
ASCII letters, so citegraph stores them under a lower-case *key* and keeps the
original spelling for display.

Rules applied by :func:`normalize_doi`, in this order:

1. Remove surrounding whitespace (including non-breaking and zero-width
   spaces), surrounding quotes (``"``, ``'``, backtick, curly and angle
   quotes) and an outer ``<...>``, ``(...)`` or ``[...]`` that wraps the whole
   value.
2. Remove one resolver/scheme prefix, case-insensitively: ``https://doi.org/``,
   ``http://doi.org/``, ``https://dx.doi.org/``, ``http://dx.doi.org/``
   (also with ``www.``), ``doi.org/``, ``dx.doi.org/``, ``doi:`` (with or
   without spaces around the colon), ``DOI`` followed by a space,
   ``info:doi/`` and ``urn:doi:``. Steps 1 and 2 repeat until nothing changes.
3. Percent-decode once, and only when the value contains ``%XX`` escapes
   (``10.1000%2Fabc`` becomes ``10.1000/abc``), then repeat steps 1-2.
4. Remove trailing ``.``, ``,``, ``;`` and ``:`` and a trailing ``)``, ``]``,
   ``}`` or ``>`` that has no opening partner in the value (text copied from
   ``"(see doi:10.1000/xyz)."``). Brackets inside the DOI, as in SICI DOIs
   like ``10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P``,
   are kept.

The result must then start with ``10.``, have a registrant code of digits
with optional ``.digits`` parts (``10.1000``, ``10.1000.10``), a ``/`` and a
non-empty suffix, contain no whitespace, control or invisible formatting
characters, and be at most 1024 characters long.

Examples
--------
>>> doi = normalize_doi(" https://doi.org/10.1000/ABC.123 ")
>>> doi.key, doi.original
('10.1000/abc.123', '10.1000/ABC.123')
>>> print(doi.url)
https://doi.org/10.1000/ABC.123
>>> [str(d) for d in extract_dois("See doi:10.1000/a1 and (https://dx.doi.org/10.5555/B2).")]
['10.1000/a1', '10.5555/B2']
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from citegraph.errors import InvalidDOIError

__all__ = [
    "DOI",
    "MAX_DOI_LENGTH",
    "doi_key",
    "extract_dois",
    "is_doi_key",
    "is_valid_doi",
    "normalize_doi",
]

logger = logging.getLogger(__name__)

#: Longest DOI accepted, in characters (after normalisation).
MAX_DOI_LENGTH = 1024

# Raw values longer than this are rejected before any processing.
_MAX_RAW_LENGTH = 4 * MAX_DOI_LENGTH

_EXAMPLE = "a DOI looks like 10.1234/abc"

# Zero-width and other invisible characters that str.strip() keeps.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_QUOTES = "\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a"
_WRAPPERS = {"<": ">", "(": ")", "[": "]"}
_TRAILING_PUNCT = ".,;:"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}

_PREFIX_RE = re.compile(
    r"""^(?:
        (?:https?://)?(?:www\.|dx\.)?doi\.org/
      | info:doi/
      | urn:doi:
      | doi\s*:\s*
      | doi\s+
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
_REGISTRANT_RE = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*")
# A DOI as deposited: registrant, "/", printable ASCII without space or "%", ending in a letter or digit.
_PLAIN_RE = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*/[!-$&-~]*[A-Za-z0-9]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# Characters left readable in DOI.url; everything else is percent-encoded
# (this always encodes % " # ? < > { } [ ] | \ ^ ` and whitespace, as the
# DOI Handbook asks).
_URL_SAFE = "/;:()@!$&'*+,=~"


@dataclass(frozen=True, order=True)
class DOI:
    """A normalised DOI.

    Two DOIs are equal, hash and sort by :attr:`key` alone, because DOIs are
    case-insensitive; :attr:`original` only affects display.

    Parameters
    ----------
    key : str
        The normalised DOI with ASCII letters in lower case: the store key.
    original : str
        The normalised DOI in its original letter case, for display.

    Examples
    --------
    >>> doi = normalize_doi("doi:10.1038/NPHYS1170")
    >>> doi
    DOI(key='10.1038/nphys1170', original='10.1038/NPHYS1170')
    >>> str(doi)
    '10.1038/NPHYS1170'
    >>> doi == normalize_doi("10.1038/nphys1170")
    True
    """

    key: str
    original: str = field(compare=False)

    def __str__(self) -> str:
        return self.original

    @property
    def url(self) -> str:
        """The ``https://doi.org/`` resolver URL, percent-encoded where needed.

        Returns
        -------
        str
            The URL; ``/``, ``;``, ``:``, ``(`` and ``)`` stay readable,
            while ``%``, ``"``, ``#``, ``?``, ``<``, ``>``, ``[``, ``]``,
            spaces and non-ASCII characters are percent-encoded.

        Examples
        --------
        >>> print(normalize_doi("10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P").url)
        https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C437::AID-JBM5%3E3.0.CO;2-P
        """
        return "https://doi.org/" + quote(self.original, safe=_URL_SAFE)


def _strip_outer(value: str) -> str:
    """Remove whitespace, quotes, wrappers and prefixes until nothing changes."""
    while True:
        before = value
        value = value.strip().strip(_INVISIBLE).strip()
        value = value.strip(_QUOTES)
        if len(value) >= 2 and value[0] in _WRAPPERS and _wraps_whole(value):
            value = value[1:-1]
        value = _PREFIX_RE.sub("", value, count=1)
        if value == before:
            return value


def _wraps_whole(value: str) -> bool:
    """Whether ``value[0]`` is an opening bracket closed by the last character."""
    opener, closer = value[0], _WRAPPERS[value[0]]
    if value[-1] != closer:
        return False
    depth = 0
    for index, char in enumerate(value):
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return index == len(value) - 1
    return False


def _trim_trailing(value: str) -> str:
    """Remove trailing punctuation and unbalanced closing brackets.

    Examples
    --------
    >>> _trim_trailing("10.1000/xyz).")
    '10.1000/xyz'
    >>> _trim_trailing("10.1000/a(b)")
    '10.1000/a(b)'
    """
    while value:
        last = value[-1]
        if last in _TRAILING_PUNCT or (last in _CLOSERS and value.count(last) > value.count(_CLOSERS[last])):
            value = value[:-1]
        else:
            break
    return value


def _clean(value: str) -> str:
    """Apply normalisation steps 1-4 (see the module docstring)."""
    value = _strip_outer(value)
    if _PERCENT_RE.search(value):
        value = _strip_outer(unquote(value))
    while True:
        trimmed = _strip_outer(_trim_trailing(value))
        if trimmed == value:
            return value
        value = trimmed


def _invalid_reason(doi: str) -> str | None:
    """Why the cleaned value ``doi`` is not a DOI, or None when it is one."""
    if not doi:
        return f"empty value ({_EXAMPLE})"
    if len(doi) > MAX_DOI_LENGTH:
        return f"too long ({len(doi)} characters; DOIs are at most {MAX_DOI_LENGTH} here)"
    if not doi.startswith("10."):
        return f"does not start with '10.' ({_EXAMPLE})"
    prefix, slash, suffix = doi.partition("/")
    if not _REGISTRANT_RE.fullmatch(prefix):
        shown = prefix if len(prefix) <= 40 else prefix[:37] + "..."
        if any(char.isspace() for char in prefix):
            return f"contains whitespace in the prefix {shown!r} ({_EXAMPLE}, without spaces)"
        return (
            f"registrant code {shown!r} is not numeric (the part before '/' must be "
            "'10.' followed by digits, optionally with '.digits' parts, e.g. 10.1000 or 10.1000.10)"
        )
    if not slash or not suffix:
        return f"no suffix after the prefix '{prefix}/' (a DOI looks like {prefix}/abc)"
    if doi.isascii() and doi.isprintable() and " " not in doi:
        return None  # the common case, decided without a loop: no ASCII character is Cf, and isprintable excludes Cc
    for char in doi:
        if char.isspace():
            return f"contains whitespace ({_EXAMPLE}, without spaces)"
    for char in doi:
        category = unicodedata.category(char)
        if category == "Cc":
            return f"contains a control character (U+{ord(char):04X}); a DOI has only printable characters"
        if category == "Cf":
            return (
                f"contains an invisible formatting character (U+{ord(char):04X}); "
                "a DOI has only printable characters"
            )
    return None


def is_doi_key(key: str) -> bool:
    """Whether a store key is a DOI (``10.`` + ...), not a database identifier such as ``wos:000123``.

    Works imported from a database export without a DOI are keyed by the database's own identifier;
    outputs link and cite a work by DOI only when its key is one.

    Examples
    --------
    >>> is_doi_key("10.1111/jdv.14987"), is_doi_key("wos:000263829900013"), is_doi_key("openalex:W2755950973")
    (True, False, False)
    """
    return key[:3] == "10."


def normalize_doi(value: str) -> DOI:
    """Normalise a DOI given in any common form and check that it is valid.

    Parameters
    ----------
    value : str
        A DOI, possibly as a resolver URL (``https://doi.org/...``), with a
        ``doi:`` prefix, quoted, wrapped in ``<...>``, percent-encoded or
        followed by punctuation (see the module docstring for every rule).

    Returns
    -------
    DOI
        The normalised DOI.

    Raises
    ------
    InvalidDOIError
        If the value is not a DOI; its ``reason`` says what is wrong and what
        would be valid. For values longer than the limit, ``value`` holds the
        first 80 characters followed by ``...``.

    Examples
    --------
    >>> normalize_doi('"https://dx.doi.org/10.1000%2FXyz".')
    DOI(key='10.1000/xyz', original='10.1000/Xyz')
    >>> normalize_doi("10.1890/0012-9658(2006)87[2832:TIOPMA]2.0.CO;2").key
    '10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2'
    >>> try:
    ...     normalize_doi("10.1000")
    ... except InvalidDOIError as exc:
    ...     print(exc.reason)
    no suffix after the prefix '10.1000/' (a DOI looks like 10.1000/abc)
    """
    if not isinstance(value, str):
        raise InvalidDOIError(repr(value), f"not a string but {type(value).__name__} ({_EXAMPLE})")
    if len(value) > _MAX_RAW_LENGTH:
        raise InvalidDOIError(
            value[:80] + "...",
            f"too long ({len(value)} characters; DOIs are at most {MAX_DOI_LENGTH} here)",
        )
    found = _normalized(value)
    if isinstance(found, str):
        shown = value if len(value) <= MAX_DOI_LENGTH else value[:80] + "..."
        raise InvalidDOIError(shown, found)
    return found


@functools.lru_cache(maxsize=1 << 18)
def _normalized(value: str) -> DOI | str:
    """The DOI of ``value``, or why it is none: remembered, since a snapshot cites the same DOIs again and again.

    A DOI is frozen, so a remembered one is shared safely; 2^18 values take about 60 MB at most. Ingesting a
    SYNTHETIC snapshot of 10^6 references spent 40% of its time here before.
    """
    if len(value) <= MAX_DOI_LENGTH and _PLAIN_RE.fullmatch(value):
        # already clean (no space, quote, prefix, %-escape or trailing punctuation to remove) and valid: what
        # _clean and _invalid_reason would find, found at a fifth of the cost (tested against them)
        return DOI(key=value.translate(_ASCII_LOWER), original=value)
    cleaned = _clean(value)
    reason = _invalid_reason(cleaned)
    if reason is not None:
        return reason
    return DOI(key=cleaned.translate(_ASCII_LOWER), original=cleaned)


def doi_key(value: str) -> str:
    """Return the store key (normalised, lower-case DOI) of ``value``.

    Parameters
    ----------
    value : str
        A DOI in any form :func:`normalize_doi` accepts.

    Returns
    -------
    str
        ``normalize_doi(value).key``.

    Raises
    ------
    InvalidDOIError
        If the value is not a DOI.

    Examples
    --------
    >>> doi_key("DOI: 10.1111/JDV.14987")
    '10.1111/jdv.14987'
    """
    return normalize_doi(value).key


def is_valid_doi(value: str) -> bool:
    """Tell whether ``value`` is a DOI in any form :func:`normalize_doi` accepts.

    Parameters
    ----------
    value : str
        The value to test.

    Returns
    -------
    bool
        True if :func:`normalize_doi` accepts it.

    Examples
    --------
    >>> is_valid_doi("https://doi.org/10.3390/ijerph18147338")
    True
    >>> is_valid_doi("10.abc/def")
    False
    """
    try:
        normalize_doi(value)
    except InvalidDOIError:
        return False
    return True


# A DOI start in free text: "10." not glued to a preceding word, number or dot
# (so "110.1/x" and "v10.1/x" are not matched), or right after an encoded
# slash ("...doi.org%2F10.1000%2Fabc").
_START_RE = re.compile(
    r"(?:(?<![0-9A-Za-z.])|(?<=%2[Ff]))(10\.[0-9]+(?:\.[0-9]+)*)(/|%2[Ff])"
)
_TEXT_STOP = frozenset(_QUOTES)
# A SICI contribution segment such as "<437::AID-JBM5>".
_SICI_SEGMENT_RE = re.compile(r"<[^<>\s\"']*::[^<>\s\"']*>")


def _scan_suffix(text: str, start: int, url_context: bool, encoded: bool) -> int:
    """Return the index where a DOI suffix that begins at ``start`` ends."""
    index = start
    length = len(text)
    while index < length:
        char = text[index]
        if char.isspace() or char in _TEXT_STOP or char == ">":
            break
        if char == "<":
            segment = _SICI_SEGMENT_RE.match(text, index)
            if segment is None:
                break
            index = segment.end()
            continue
        if url_context and char in "?#":
            break
        if encoded and char == "&":
            break
        index += 1
    return index


def extract_dois(text: str) -> list[DOI]:
    """Find every DOI in free text, HTML or a URL.

    Rules: a DOI starts at ``10.`` + registrant code + ``/`` (or an encoded
    ``%2F``) that is not glued to a preceding letter, digit or dot, so DOIs
    inside resolver URLs and after ``doi:`` are found. It ends at whitespace,
    at a quote character, at a ``>`` and at a ``<`` (so an HTML tag such as
    ``</a>`` after it is excluded) — except that a SICI segment like
    ``<437::AID-JBM5>`` is kept. Inside a ``doi.org/`` URL it also ends at
    ``?`` or ``#`` (those would be percent-encoded if part of the DOI). Then
    the trailing punctuation and unbalanced brackets are removed as in
    :func:`normalize_doi`. HTML entities are not decoded: unescape HTML
    first if the DOIs in it may contain ``&lt;`` or ``&amp;``.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    list of DOI
        The DOIs in order of first appearance, each key once (the first
        spelling wins). Candidates that are not valid DOIs are skipped.

    Examples
    --------
    >>> html = '<a href="https://doi.org/10.1111/ijd.13612">10.1111/IJD.13612</a>'
    >>> extract_dois(html)
    [DOI(key='10.1111/ijd.13612', original='10.1111/ijd.13612')]
    >>> [d.original for d in extract_dois("(see doi:10.1000/xyz), also 10.1000/b(1)c.")]
    ['10.1000/xyz', '10.1000/b(1)c']
    """
    found: list[DOI] = []
    seen: set[str] = set()
    previous_end = 0
    for match in _START_RE.finditer(text):
        start = match.start()
        if start < previous_end:
            continue  # "10.x/" inside the suffix of the DOI just read
        before = text[max(0, start - 8) : start].lower()
        encoded = match.group(2) != "/" or before.endswith("%2f")
        url_context = encoded or before.endswith("doi.org/")
        end = _scan_suffix(text, match.end(), url_context=url_context, encoded=encoded)
        previous_end = end
        candidate = _trim_trailing(text[start:end])
        try:
            doi = normalize_doi(candidate)
        except InvalidDOIError as exc:
            logger.debug("skipping DOI-like text %r: %s", candidate[:80], exc.reason)
            continue
        if doi.key not in seen:
            seen.add(doi.key)
            found.append(doi)
    return found
