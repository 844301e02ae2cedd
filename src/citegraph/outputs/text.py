"""Record text made safe for where it is shown: spreadsheet cells and terminals.

Titles, author names and journal names come from the records as anyone
deposited them, so they may hold what a spreadsheet runs or a terminal obeys:

- :func:`spreadsheet_cell` neutralises a CSV/TSV cell that a spreadsheet
  would take as a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``) the
  OWASP way, with a leading single quote; every CSV and TSV writer of
  citegraph passes its text cells through it (numbers are not text: they
  stay numbers, negative ones too);
- :func:`terminal_text` removes escape sequences, control characters and
  bidirectional overrides; the command line passes everything it prints
  through it.

Examples
--------
>>> spreadsheet_cell('=HYPERLINK("http://example.org")')
'\\'=HYPERLINK("http://example.org")'
>>> terminal_text("\\x1b]0;title\\x07A \\x1b[31mred\\x1b[0m word")
'A red word'
"""

from __future__ import annotations

import re

__all__ = ["FORMULA_START", "spreadsheet_cell", "terminal_text"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_cell(text: str) -> str:
    """``text`` as a CSV/TSV cell no spreadsheet takes for a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading ``'`` (OWASP's advice: spreadsheets show the text
    and do not evaluate it). A cell that is just a number (``-3``,
    ``+1.5e-3``) is left as it is: it is no formula, and it must stay a
    number.

    Examples
    --------
    >>> spreadsheet_cell("=1+2"), spreadsheet_cell("@SUM(A1)"), spreadsheet_cell("-2+3")
    ("'=1+2", "'@SUM(A1)", "'-2+3")
    >>> spreadsheet_cell("-0.25"), spreadsheet_cell("Graph study"), spreadsheet_cell("")
    ('-0.25', 'Graph study', '')
    """
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


# Escape sequences, as terminals read them (ECMA-48): control strings (OSC, DCS, SOS, PM, APC) up to their
# terminator, CSI sequences, and the other two- or three-character ESC sequences; 8-bit C1 forms too.
_ESCAPES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # control strings
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[ -/]*[0-~]"  # other ESC sequences (charset, reset, keypad...)
)
# What is left: C0 controls but tab and newline, DEL, C1 controls, bidirectional embeddings, overrides and
# isolates (they reorder what follows on the line).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def terminal_text(text: str) -> str:
    """``text`` without what a terminal would obey instead of show.

    Escape sequences (colours, cursor moves, screen clears, window titles,
    hyperlinks) are removed whole, so no ``[31m`` is left behind; then
    every other control character but newline and tab, and the
    bidirectional embeddings, overrides and isolates (U+202A-U+202E,
    U+2066-U+2069), are removed. Lone surrogates, which cannot be printed,
    become U+FFFD. Everything else, right-to-left scripts and emoji
    included, is kept.

    Examples
    --------
    >>> terminal_text("\\x1b[2J\\x1b[1;31mAlert\\x1b[0m: \\x9b5mblink\\x07 \\u202eevil\\u202c")
    'Alert: blink evil'
    >>> terminal_text("two\\nlines\\tand עברית 🧬")
    'two\\nlines\\tand עברית 🧬'
    """
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", _ESCAPES.sub("", text)))
