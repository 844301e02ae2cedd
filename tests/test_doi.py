"""Tests for citegraph.doi: normalisation, validation, URLs and extraction."""

from __future__ import annotations

import dataclasses
import random

import pytest

from citegraph.doi import DOI, MAX_DOI_LENGTH, doi_key, extract_dois, is_valid_doi, normalize_doi
from citegraph.errors import CitegraphError, InvalidDOIError

SICI_WILEY = "10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P"
SICI_ESA = "10.1890/0012-9658(2006)87[2832:TIOPMA]2.0.CO;2"


# --------------------------------------------------------------------------
# normalize_doi: accepted forms

NORMALISED = [
    # (value, original)
    ("10.1000/xyz", "10.1000/xyz"),
    ("10.1000/XYZ", "10.1000/XYZ"),
    ("  10.1000/xyz\t\n", "10.1000/xyz"),
    ("\u00a010.1000/xyz\u00a0", "10.1000/xyz"),
    ("\u200b10.1000/xyz\ufeff", "10.1000/xyz"),
    ("\u200d\u2060 10.1000/xyz \u200c", "10.1000/xyz"),
    ('"10.1000/xyz"', "10.1000/xyz"),
    ("'10.1000/xyz'", "10.1000/xyz"),
    ("\u201c10.1000/xyz\u201d", "10.1000/xyz"),
    ("\u201810.1000/xyz\u2019", "10.1000/xyz"),
    ("<10.1000/xyz>", "10.1000/xyz"),
    ("(10.1000/xyz)", "10.1000/xyz"),
    ("[10.1000/xyz]", "10.1000/xyz"),
    ("https://doi.org/10.1000/xyz", "10.1000/xyz"),
    ("http://doi.org/10.1000/xyz", "10.1000/xyz"),
    ("https://dx.doi.org/10.1000/xyz", "10.1000/xyz"),
    ("http://dx.doi.org/10.1000/xyz", "10.1000/xyz"),
    ("HTTPS://DOI.ORG/10.1000/xyz", "10.1000/xyz"),
    ("https://www.doi.org/10.1000/xyz", "10.1000/xyz"),
    ("doi.org/10.1000/xyz", "10.1000/xyz"),
    ("dx.doi.org/10.1000/xyz", "10.1000/xyz"),
    ("doi:10.1000/xyz", "10.1000/xyz"),
    ("DOI:10.1000/xyz", "10.1000/xyz"),
    ("doi: 10.1000/xyz", "10.1000/xyz"),
    ("doi : 10.1000/xyz", "10.1000/xyz"),
    ("DOI 10.1000/xyz", "10.1000/xyz"),
    ("info:doi/10.1000/xyz", "10.1000/xyz"),
    ("urn:doi:10.1000/xyz", "10.1000/xyz"),
    ("URN:DOI:10.1000/xyz", "10.1000/xyz"),
    ('"https://doi.org/10.1000/xyz"', "10.1000/xyz"),
    ("<https://doi.org/10.1000/xyz>", "10.1000/xyz"),
    ('"doi: 10.1000/xyz".', "10.1000/xyz"),
    ("10.1000%2Fxyz", "10.1000/xyz"),
    ("https://doi.org/10.1000%2Fxyz", "10.1000/xyz"),
    ("https%3A%2F%2Fdoi.org%2F10.1000%2Fxyz", "10.1000/xyz"),
    ("10.1000/a%3Cb%3E", "10.1000/a<b>"),
    ("10.1000/a%2541", "10.1000/a%41"),  # decoded once only
    ("10.1000/100%", "10.1000/100%"),  # a lone % is not an escape
    ("10.1000/xyz.", "10.1000/xyz"),
    ("10.1000/xyz,", "10.1000/xyz"),
    ("10.1000/xyz;", "10.1000/xyz"),
    ("10.1000/xyz:", "10.1000/xyz"),
    ("10.1000/xyz).", "10.1000/xyz"),
    ("10.1000/xyz]", "10.1000/xyz"),
    ("10.1000/xyz>", "10.1000/xyz"),
    ("10.1000/xyz}", "10.1000/xyz"),
    ("10.1000/a(b)", "10.1000/a(b)"),
    ("10.1000/a(b).", "10.1000/a(b)"),
    ("10.1000/a[1]", "10.1000/a[1]"),
    ("10.1000.10/abc", "10.1000.10/abc"),
    ("10.1000.10.5/abc", "10.1000.10.5/abc"),
    ("10.1000/a/b/c", "10.1000/a/b/c"),
    ("10.1000/\u00e9t\u00e9", "10.1000/\u00e9t\u00e9"),
    (SICI_WILEY, SICI_WILEY),
    (SICI_ESA, SICI_ESA),
    (f"<{SICI_WILEY}>", SICI_WILEY),
    (f"doi:{SICI_WILEY}.", SICI_WILEY),
    (f"https://doi.org/{SICI_ESA}", SICI_ESA),
]


@pytest.mark.parametrize(("value", "original"), NORMALISED)
def test_normalize_doi_accepts(value: str, original: str) -> None:
    doi = normalize_doi(value)
    assert doi.original == original
    assert doi.key == original.lower()
    assert str(doi) == original


def test_key_lowercases_ascii_only() -> None:
    doi = normalize_doi("10.1000/ABC\u00c9")
    assert doi.key == "10.1000/abc\u00c9"
    assert doi.original == "10.1000/ABC\u00c9"


def test_sici_keys() -> None:
    assert doi_key(SICI_WILEY) == "10.1002/(sici)1097-4636(199706)35:4<437::aid-jbm5>3.0.co;2-p"
    assert doi_key(SICI_ESA) == "10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2"


def test_doi_equality_and_order_use_the_key() -> None:
    upper, lower = normalize_doi("10.1000/ABC"), normalize_doi("10.1000/abc")
    assert upper == lower
    assert hash(upper) == hash(lower)
    assert len({upper, lower}) == 1
    assert upper.original == "10.1000/ABC"
    assert sorted([normalize_doi("10.2/b"), normalize_doi("10.1/Z"), normalize_doi("10.1/a")]) == [
        DOI("10.1/a", "10.1/a"),
        DOI("10.1/z", "10.1/Z"),
        DOI("10.2/b", "10.2/b"),
    ]


def test_doi_is_frozen() -> None:
    doi = normalize_doi("10.1000/x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        doi.key = "10.1/y"  # type: ignore[misc]


# --------------------------------------------------------------------------
# normalize_doi: rejections

REJECTED = [
    # (value, words the reason must contain)
    ("", ["empty value", "10.1234/abc"]),
    ("   \u00a0", ["empty value"]),
    ('""', ["empty value"]),
    ("doi:", ["empty value"]),
    ("https://doi.org/", ["empty value"]),
    ("hello", ["does not start with '10.'", "10.1234/abc"]),
    ("11.1000/xyz", ["does not start with '10.'"]),
    ("10/xyz", ["does not start with '10.'"]),
    ("1O.1000/xyz", ["does not start with '10.'"]),
    ("https://example.org/10.1000/xyz", ["does not start with '10.'"]),
    ("10.abc/xyz", ["registrant code '10.abc' is not numeric", "10.1000"]),
    ("10./xyz", ["registrant code '10.' is not numeric"]),
    ("10.1000./xyz", ["registrant code '10.1000.' is not numeric"]),
    ("10.10a0/xyz", ["registrant code '10.10a0' is not numeric"]),
    ("10. 1000/xyz", ["contains whitespace"]),
    ("10.1000", ["no suffix after the prefix '10.1000/'", "10.1000/abc"]),
    ("10.1000/", ["no suffix after the prefix '10.1000/'"]),
    ("doi:10.1000/.", ["no suffix after the prefix '10.1000/'"]),
    ("10.1000/a b", ["contains whitespace", "without spaces"]),
    ("10.1000/a\tb", ["contains whitespace"]),
    ("10.1000/a\u00a0b", ["contains whitespace"]),
    ("10.1000/a\x07b", ["contains a control character", "U+0007", "printable"]),
    ("10.1000/a\x00b", ["contains a control character", "U+0000"]),
    ("10.1000/a\x7fb", ["contains a control character", "U+007F"]),
    ("10.1000/a\u200bb", ["invisible formatting character", "U+200B"]),
    ("10.1000/a%20b", ["contains whitespace"]),
]


@pytest.mark.parametrize(("value", "words"), REJECTED)
def test_normalize_doi_rejects(value: str, words: list[str]) -> None:
    with pytest.raises(InvalidDOIError) as caught:
        normalize_doi(value)
    for word in words:
        assert word in caught.value.reason
    assert caught.value.value == value
    assert str(caught.value) == f"{value!r} is not a DOI: {caught.value.reason}"
    assert isinstance(caught.value, CitegraphError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.exit_code == 2


def test_longest_accepted_doi() -> None:
    value = "10.1000/" + "a" * (MAX_DOI_LENGTH - len("10.1000/"))
    assert len(normalize_doi(value).original) == MAX_DOI_LENGTH


def test_too_long_doi() -> None:
    value = "10.1000/" + "a" * (MAX_DOI_LENGTH - len("10.1000/") + 1)
    with pytest.raises(InvalidDOIError) as caught:
        normalize_doi(value)
    assert caught.value.reason == "too long (1025 characters; DOIs are at most 1024 here)"
    assert caught.value.value == value[:80] + "..."
    assert len(str(caught.value)) < 200


def test_huge_value_is_rejected_without_processing() -> None:
    value = "x" * 1_000_000
    with pytest.raises(InvalidDOIError) as caught:
        normalize_doi(value)
    assert caught.value.reason == "too long (1000000 characters; DOIs are at most 1024 here)"
    assert caught.value.value == "x" * 80 + "..."


def test_non_string_is_rejected() -> None:
    with pytest.raises(InvalidDOIError) as caught:
        normalize_doi(None)  # type: ignore[arg-type]
    assert caught.value.reason == "not a string but NoneType (a DOI looks like 10.1234/abc)"


# --------------------------------------------------------------------------
# doi_key, is_valid_doi, DOI.url


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("10.1212/NXI.0000000000000454", "10.1212/nxi.0000000000000454"),
        ("https://doi.org/10.3389/FNEUR.2017.00569", "10.3389/fneur.2017.00569"),
        ("doi:10.1111/ddg.14448.", "10.1111/ddg.14448"),
    ],
)
def test_doi_key(value: str, key: str) -> None:
    assert doi_key(value) == key


def test_doi_key_raises() -> None:
    with pytest.raises(InvalidDOIError):
        doi_key("not a doi")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("10.1000/xyz", True),
        ("https://dx.doi.org/10.1000/xyz", True),
        (SICI_WILEY, True),
        ("", False),
        ("10.1000", False),
        ("10.abc/x", False),
        ("10.1000/a b", False),
        (None, False),
    ],
)
def test_is_valid_doi(value: str, valid: bool) -> None:
    assert is_valid_doi(value) is valid


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("10.1000/xyz", "https://doi.org/10.1000/xyz"),
        ("10.1000/ABC(1);2:3", "https://doi.org/10.1000/ABC(1);2:3"),
        (SICI_WILEY, "https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C437::AID-JBM5%3E3.0.CO;2-P"),
        (SICI_ESA, "https://doi.org/10.1890/0012-9658(2006)87%5B2832:TIOPMA%5D2.0.CO;2"),
        ("10.1000/a#b", "https://doi.org/10.1000/a%23b"),
        ("10.1000/a?b", "https://doi.org/10.1000/a%3Fb"),
        ("10.1000/100%", "https://doi.org/10.1000/100%25"),
        ('10.1000/a"b', "https://doi.org/10.1000/a%22b"),
        ("10.1000/\u00e9", "https://doi.org/10.1000/%C3%A9"),
        ("10.1000/a-b_c.d~e", "https://doi.org/10.1000/a-b_c.d~e"),
    ],
)
def test_doi_url(value: str, url: str) -> None:
    assert normalize_doi(value).url == url


# --------------------------------------------------------------------------
# extract_dois

PARAGRAPH = """\
Alemtuzumab-associated alopecia was first described in a case report
(doi:10.1212/NXI.0000000000000454) and reviewed later, see
https://doi.org/10.3389/fneur.2017.00569, and https://dx.doi.org/10.1111/ddg.14448.
A related meta-analysis [DOI: 10.1111/jdv.14987]; the seed paper is
"10.3390/ijerph18147338". Repeated: 10.1212/nxi.0000000000000454.
Not DOIs: 110.1000/x, v10.1000/y, 10.abc/z, 10.1000 and 2010.5/w.
"""


def test_extract_dois_from_paragraph() -> None:
    assert [doi.original for doi in extract_dois(PARAGRAPH)] == [
        "10.1212/NXI.0000000000000454",
        "10.3389/fneur.2017.00569",
        "10.1111/ddg.14448",
        "10.1111/jdv.14987",
        "10.3390/ijerph18147338",
    ]


HTML = """\
<ul>
<li><a href="https://doi.org/10.1111/ijd.13612">10.1111/ijd.13612</a></li>
<li><a href='https://dx.doi.org/10.1000/ABC?utm_source=x#top'>link</a></li>
<li>doi:<b>10.5555/bold</b><br>10.5555/afterbr<br/></li>
<li><a href=https://doi.org/10.5555/unquoted>x</a></li>
<li>SICI: 10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P</li>
<li>https://example.org/r?u=https%3A%2F%2Fdoi.org%2F10.1000%2Fenc.1&amp;x=1</li>
</ul>
"""


def test_extract_dois_from_html() -> None:
    assert [doi.original for doi in extract_dois(HTML)] == [
        "10.1111/ijd.13612",
        "10.1000/ABC",
        "10.5555/bold",
        "10.5555/afterbr",
        "10.5555/unquoted",
        SICI_WILEY,
        "10.1000/enc.1",
    ]


@pytest.mark.parametrize(
    ("text", "originals"),
    [
        ("", []),
        ("no identifiers here", []),
        ("(see doi:10.1000/xyz)", ["10.1000/xyz"]),
        ("(see doi:10.1000/xyz).", ["10.1000/xyz"]),
        ("[10.1000/xyz]", ["10.1000/xyz"]),
        ("[link](https://doi.org/10.1000/xyz)", ["10.1000/xyz"]),
        ("10.1000/a(b) and 10.1000/c(d))", ["10.1000/a(b)", "10.1000/c(d)"]),
        (f"[{SICI_ESA}]", [SICI_ESA]),
        (f"({SICI_ESA}).", [SICI_ESA]),
        (f"x {SICI_WILEY}, y", [SICI_WILEY]),
        ("10.1000/abc</a>", ["10.1000/abc"]),
        ("10.1000/abc<br>", ["10.1000/abc"]),
        ("10.1000/A 10.1000/a 10.1000/b", ["10.1000/A", "10.1000/b"]),
        ("10.1000/x'y", ["10.1000/x"]),
        ("\u201c10.1000/curly\u201d", ["10.1000/curly"]),
        ("10.1000/10.2000/q", ["10.1000/10.2000/q"]),
        ("https://doi.org/10.1000%2Fpct", ["10.1000/pct"]),
        ("10.1000/a\n10.1000/b", ["10.1000/a", "10.1000/b"]),
        ("10.1000/", []),
    ],
)
def test_extract_dois_cases(text: str, originals: list[str]) -> None:
    assert [doi.original for doi in extract_dois(text)] == originals


def test_extract_dois_returns_doi_objects() -> None:
    assert extract_dois("doi:10.1000/XY") == [DOI("10.1000/xy", "10.1000/XY")]


def test_the_ascii_fast_path_decides_as_the_character_loop_does() -> None:
    import unicodedata

    from citegraph.doi import _invalid_reason

    def by_loop(doi: str) -> bool:  # the rule written out: no whitespace, no Cc, no Cf character
        return not any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in doi)

    for code in [*range(0x180), 0x200B, 0x2028, 0xFEFF, 0x3000, 0x00AD]:
        doi = f"10.1000/a{chr(code)}b"
        assert (_invalid_reason(doi) is None) == by_loop(doi), hex(code)


def test_a_remembered_doi_is_the_same_answer_and_a_bad_value_still_raises() -> None:
    first = normalize_doi("https://doi.org/10.1000/XYZ")
    assert normalize_doi("https://doi.org/10.1000/XYZ") == first == normalize_doi("doi:10.1000/XYZ")
    for _ in range(2):  # the second time from memory: the same error, a new exception
        with pytest.raises(InvalidDOIError, match="no suffix"):
            normalize_doi("10.1000")


def test_plain_fast_path_gives_what_the_full_rules_give() -> None:
    """Values the deposited-DOI shortcut takes are exactly those the full rules leave as they are and accept."""
    from citegraph import doi as doi_module

    rnd = random.Random(11)
    alphabet = [*"0123456789./-_;:()<>[]{}%\"'` ,aAzZ", "\u00e9", "\u200b", "\t", "\n", "%2F", "doi:", "https://doi.org/"]
    taken = 0
    for _ in range(60_000):
        registrant = rnd.choice(["1000", "5555.12", "", "12a", "1.2.3"]) + rnd.choice(["/", "/", ""])
        value = "10." + registrant + "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))
        if rnd.random() < 0.3:
            value = rnd.choice(alphabet) + value
        fast = doi_module._PLAIN_RE.fullmatch(value) is not None and len(value) <= doi_module.MAX_DOI_LENGTH
        cleaned = doi_module._clean(value)
        full = None if doi_module._invalid_reason(cleaned) is not None else cleaned
        if fast:
            taken += 1
            assert full == value, value
        found = doi_module._normalized(value)
        assert (found.original if isinstance(found, doi_module.DOI) else None) == full, value
    assert taken > 2_000
