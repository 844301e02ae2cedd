"""The ``citegraph`` command line: a thin layer over the library.

It parses arguments, calls the library, prints, and turns every
:class:`~citegraph.errors.CitegraphError` into one line on stderr and the exit
code documented in :mod:`citegraph.errors`. A traceback is only shown for an
unexpected error, and then only with ``-v``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from citegraph._version import __version__
from citegraph.config import Settings, load_settings
from citegraph.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    CitegraphError,
    PartialInputError,
    SourceError,
    StoreError,
    UsageError,
)
from citegraph.outputs.text import terminal_text

__all__ = ["cli", "main"]

log = logging.getLogger("citegraph")


class _Context:
    def __init__(self, flags: dict[str, Any], verbosity: int) -> None:
        self.flags = flags
        self.verbosity = verbosity

    def settings(self, **more: Any) -> Settings:
        return load_settings({**self.flags, **{k: v for k, v in more.items() if v is not None}})


class _TerminalFormatter(logging.Formatter):
    """Log lines through :func:`~citegraph.outputs.text.terminal_text`, as everything else printed."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_text(super().format(record))


def _setup_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_TerminalFormatter("citegraph: %(message)s" if verbosity < 2 else
                                            "citegraph %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("citegraph")
    root.handlers[:] = [handler]
    root.setLevel(level)
    # what a long step is doing (a fetch level, an analysis): shown by default, hidden by -q
    logging.getLogger("citegraph.progress").setLevel(logging.INFO if verbosity >= 0 else logging.ERROR)
    root.propagate = False


class _Group(click.Group):
    """Turns library errors, and click's usage errors, into one-line messages and exit codes."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            returned = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `citegraph` alone: the help, as click shows it
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            _say(f"citegraph: error: {_usage_line(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            _say("citegraph: interrupted; everything stored so far is kept", err=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(returned if isinstance(returned, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CitegraphError as exc:
            _say(f"citegraph: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _say("citegraph: interrupted; everything stored so far is kept", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # the reader of our output went away (e.g. `citegraph status | head`):
            # not an error; silence the flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug: say so, briefly unless -v
            verbose = bool(ctx.obj and ctx.obj.verbosity > 0)
            if verbose:
                raise
            _say(
                f"citegraph: internal error: {type(exc).__name__}: {exc} "
                "(this is a bug; rerun with -v for details and report it)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)


@click.group(name="citegraph", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="citegraph")
@click.option("--store", type=click.Path(path_type=Path), default=None,
              help="SQLite store [default: data/citegraph.sqlite; env CITEGRAPH_STORE].")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", count=True, help="More detail (-vv for debugging).")
@click.pass_context
def cli(ctx: click.Context, store: Path | None, quiet: bool, verbose: int) -> None:
    """citegraph: map a research literature from a few seed DOIs.

    \b
    Typical use:
      citegraph fetch seeds/alopecia-areata.txt --depth 1 --mailto you@example.org
      citegraph status
      citegraph analyse          # rankings, clusters, bursts, RPYS, main path -> data/
      citegraph report           # one HTML page: data/report.html (figures in figures/)
      citegraph export           # GraphML, GEXF, CSV, Pajek, JSON, VOSviewer, BibTeX, RIS -> data/

    Settings come from flags, then CITEGRAPH_* environment variables, then
    [tool.citegraph] in the nearest pyproject.toml, then defaults.
    Exit codes: 0 ok, 1 internal error, 2 usage error, 3 some inputs rejected,
    4 store unusable, 5 source failed after retries, 130 interrupted.
    """
    verbosity = -1 if quiet else verbose
    _setup_logging(verbosity)
    ctx.obj = _Context({"store": store}, verbosity)


def _usage_line(exc: click.ClickException) -> str:
    """Click's usage error in one line, naming the command whose help says more.

    Examples
    --------
    >>> _usage_line(click.UsageError("No such option: --bogus"))
    'No such option: --bogus'
    """
    message = " ".join(exc.format_message().split())
    command = getattr(getattr(exc, "ctx", None), "command_path", None)
    return f"{message} (see '{command} -h')" if command else message


def _late_store(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.find_object(_Context).flags["store"] = value  # type: ignore[union-attr]


def _late_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    obj = ctx.find_object(_Context)
    if value and obj is not None:
        obj.verbosity = -1
        _setup_logging(obj.verbosity)


def _late_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    obj = ctx.find_object(_Context)
    if value and obj is not None:
        obj.verbosity = max(obj.verbosity, 0) + value
        _setup_logging(obj.verbosity)


def _global_options() -> list[click.Option]:
    """``--store``, ``-q`` and ``-v`` as every command's own options too: accepted before or after its name."""
    return [
        click.Option(["--store"], type=click.Path(path_type=Path), default=None, expose_value=False,
                     callback=_late_store, help="SQLite store (as before the command)."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_late_quiet,
                     help="Print only errors."),
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_late_verbose,
                     help="More detail (-vv for debugging)."),
    ]


def _n(count: int, noun: str) -> str:
    """``"1 record"``, ``"2 records"``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _say(message: str = "", *, err: bool = False) -> None:
    """Print one message (on stderr with ``err``) through :func:`~citegraph.outputs.text.terminal_text`.

    Every line the command line prints goes through here, so escape sequences and control characters in
    record text (a title, an author's name) are shown as nothing rather than obeyed by the terminal.
    """
    click.echo(terminal_text(str(message)), err=err)


def _echo(ctx: click.Context, text: str = "") -> None:
    if ctx.obj.verbosity >= 0:
        _say(text)


@cli.command()
@click.argument("seeds", nargs=-1)
@click.option("--from", "from_file", type=click.Path(path_type=Path), default=None,
              help="Read Crossref records from a local file (.jsonl, .json, .gz, .tar.gz, folder) "
                   "instead of the API.")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True,
              help="0 = the seeds only, 1 = also the works linked to them, 2 = ...")
@click.option("--direction", type=click.Choice(["backward", "forward", "both"]), default="backward",
              show_default=True,
              help="Follow references (backward), works citing them (forward: OpenCitations, OpenAlex), or both.")
@click.option("--source", "sources", default="crossref,opencitations", show_default=True, metavar="NAMES",
              help="Sources to ask, separated by commas: crossref, opencitations (citing works; asked only with "
                   "--direction forward/both), openalex (records, references and citing works; needs an API key: "
                   "env CITEGRAPH_OPENALEX_KEY or openalex_key in [tool.citegraph]).")
@click.option("--max-works", type=click.IntRange(min=1), default=None,
              help="Cap on each level after the seeds (most linked to the set first).")
@click.option("--query", default=None,
              help="Also seed from a topic query: Crossref's query.bibliographic, or with --from a "
                   "title/abstract/subject match in the file.")
@click.option("--rows", type=click.IntRange(min=1, max=100_000), default=100, show_default=True,
              help="How many works --query takes (most relevant first).")
@click.option("--match-references", is_flag=True,
              help="Match references without DOI by bibliographic query (one request each).")
@click.option("--match-threshold", type=click.FloatRange(min=0), default=None,
              help="Lowest Crossref score a reference match needs [default: 60].")
@click.option("--merge-duplicates", is_flag=True,
              help="Merge likely duplicates (same title, close year; preprint/article) and record it.")
@click.option("--mailto", default=None, help="Contact e-mail for Crossref's polite pool [env CITEGRAPH_MAILTO].")
@click.option("--crossref-url", default=None, help="Crossref API base URL [env CITEGRAPH_CROSSREF_URL].")
@click.option("--openalex-url", default=None, help="OpenAlex API base URL [env CITEGRAPH_OPENALEX_URL].")
@click.option("--timeout", type=float, default=None,
              help="Seconds to wait for one response [default: 30; env CITEGRAPH_TIMEOUT].")
@click.option("--retry-not-found", is_flag=True, help="Ask again for DOIs the source did not know before.")
@click.pass_context
def fetch(
    ctx: click.Context,
    seeds: Sequence[str],
    from_file: Path | None,
    depth: int,
    direction: str,
    sources: str,
    max_works: int | None,
    query: str | None,
    rows: int,
    match_references: bool,
    match_threshold: float | None,
    merge_duplicates: bool,
    mailto: str | None,
    crossref_url: str | None,
    openalex_url: str | None,
    timeout: float | None,
    retry_not_found: bool,
) -> None:
    """Fetch seeds and the works linked to them into the store.

    SEEDS are DOIs, or seed files (.txt, .csv/.tsv with a doi column, .bib,
    .ris). Without SEEDS, the seeds already in the store are used. A rerun
    sends no request for what is already stored, so an interrupted fetch
    resumes where it stopped.

    \b
    Examples:
      citegraph fetch seeds/alopecia-areata.txt --depth 1 --mailto you@example.org
      citegraph fetch 10.1111/jdv.14987 --direction both --match-references -q
      citegraph fetch seeds.txt --source crossref,openalex --direction both
    """
    from citegraph.sources.fetch import DEFAULT_MATCH_THRESHOLD, FetchOptions, parse_sources, run_fetch
    from citegraph.sources.seeds import load_seeds
    from citegraph.store import Store

    wanted = parse_sources(sources)
    settings = ctx.obj.settings(mailto=mailto, crossref_url=crossref_url, openalex_url=openalex_url, timeout=timeout)
    loaded = load_seeds(seeds)
    for rejection in loaded.rejected:
        _say(f"citegraph: rejected: {rejection}", err=True)
    if seeds and not loaded.seeds and not query:
        raise UsageError(
            f"none of the {len(seeds)} seed argument(s) gave a DOI (see above); "
            "give DOIs such as 10.1111/jdv.14987 or seed files (.txt, .csv, .tsv, .bib, .ris)"
        )
    options = FetchOptions(
        depth=depth, max_works=max_works, direction=direction, retry_not_found=retry_not_found,
        from_file=from_file, query=query, rows=rows, match_references=match_references,
        match_threshold=DEFAULT_MATCH_THRESHOLD if match_threshold is None else match_threshold,
        merge_duplicates=merge_duplicates, sources=wanted,
    )
    with Store(settings.store) as store, store.writer_lock():
        outcome = run_fetch(store, settings, loaded.seeds, options, progress=ctx.obj.verbosity >= 0)
        report = outcome.report
        _echo(ctx, f"store: {settings.store}")
        _echo(ctx, f"seeds: {len(store.seeds())} ({len(loaded.seeds)} given now, {len(loaded.rejected)} rejected"
                   + (f", {outcome.query_seeds} found by the query" if query else "") + ")")
        for lv in report.levels:
            extra = []
            if lv.capped:
                extra.append(f"{lv.capped} dropped by --max-works")
            if lv.forward_checked or lv.forward_failed:
                extra.append(f"citing works asked for {lv.forward_checked} works, {lv.forward_citations} new citations"
                             + (f", {lv.forward_failed} not checked" if lv.forward_failed else ""))
            if lv.references_tried or lv.references_skipped:
                extra.append(f"references without DOI: {lv.references_matched} matched, {lv.references_tried} "
                             f"looked up, {lv.references_skipped} not looked up (cannot identify a work), "
                             f"{lv.references_rejected} hits refused (disagree with the reference)")
            if lv.openalex_asked or lv.openalex_citing or lv.openalex_requests:
                extra.append(f"openalex: {lv.openalex_asked} asked, {lv.openalex_fetched} records stored, "
                             f"{lv.openalex_not_found} not in openalex, {lv.openalex_citing} citing works found")
            primary = report.source.split("+")[0]
            counts = (f"{lv.already_stored} already stored, {lv.fetched} fetched, "
                      f"{lv.not_found + lv.known_missing} not in {primary}" if primary != "openalex" else "")
            _echo(ctx, f"level {lv.level}: {lv.candidates} works" + (f", {counts}" if counts else "")
                       + "".join(f"; {e}" for e in extra))
        spent = [f"{report.match_requests} to match references"] if report.match_requests else []
        if report.openalex_requests and report.openalex_requests != report.requests:
            spent.append(f"{report.openalex_requests} to openalex")
        _echo(ctx, f"requests: {report.requests}" + (f" ({', '.join(spent)})" if spent else ""))
        if outcome.duplicates:
            _echo(ctx, f"likely duplicates: {len(outcome.duplicates)} groups"
                       + (f", {outcome.merged} merges recorded" if merge_duplicates
                          else " (not merged: see `citegraph duplicates`, merge with --merge-duplicates)"))
    if report.degraded:
        raise SourceError("; ".join(report.degraded) + "; the rest was fetched: run the same command again "
                          "to fill the gap")
    if loaded.rejected:
        raise PartialInputError(f"{len(loaded.rejected)} seed input(s) rejected (listed above); the rest was fetched")


@cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "wos", "wos-tab", "wos-bib", "scopus", "lens",
                                                    "openalex-csv"]),
              default="auto", show_default=True, help="Export format; auto detects it from each file's content.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--enrich", is_flag=True,
              help="Then resolve the imported DOIs through Crossref, in batches, and add what the exports lack "
                   "(abstract, type, pages...); where an export and Crossref disagree, the export's value stays "
                   "and both are kept (see status).")
@click.option("--from", "from_file", type=click.Path(path_type=Path), default=None,
              help="With --enrich: read Crossref records from a local file (.jsonl, .json, .gz, .tar.gz, folder) "
                   "instead of the API.")
@click.option("--mailto", default=None, help="Contact e-mail for Crossref's polite pool [env CITEGRAPH_MAILTO].")
@click.option("--crossref-url", default=None, help="Crossref API base URL [env CITEGRAPH_CROSSREF_URL].")
@click.option("--timeout", type=float, default=None,
              help="Seconds to wait for one response [default: 30; env CITEGRAPH_TIMEOUT].")
@click.option("--retry-not-found", is_flag=True, help="With --enrich: ask again for DOIs the source did not know.")
@click.pass_context
def import_(ctx: click.Context, files: Sequence[Path], fmt: str, as_json: bool, enrich: bool, from_file: Path | None,
            mailto: str | None, crossref_url: str | None, timeout: float | None, retry_not_found: bool) -> None:
    """Import database exports (Web of Science, Scopus, Lens, OpenAlex) into the store.

    Stores every record with its cited references, matches the references to
    the records (by DOI, else by first author, year, volume and page), and
    makes the records the store's seeds, so analyse, plot, export and report
    work on them and fetch grows the map from them. Importing a file again
    replaces its records.

    \b
    Examples:
      citegraph import savedrecs*.txt              # a WoS export saved in files of 500
      citegraph import scopus.csv --format scopus --store scopus.sqlite
      citegraph import savedrecs*.txt --enrich --mailto you@example.org
    """
    import contextlib

    from citegraph.sources.importing import import_exports
    from citegraph.store import Store

    if not enrich and (from_file is not None or retry_not_found):
        raise UsageError("--from and --retry-not-found go with --enrich: add --enrich")
    settings = ctx.obj.settings(mailto=mailto, crossref_url=crossref_url, timeout=timeout)
    enriched: Any = None  # an EnrichReport with --enrich (whose module, with Crossref's client, loads only then)
    with Store(settings.store) as store, store.writer_lock(), contextlib.ExitStack() as stack:
        source = None
        if enrich:
            from citegraph.sources.enrich import enrich_imported, record_source

            source = stack.enter_context(record_source(settings, from_file))  # a bad --from stops here
        report = import_exports(store, [str(f) for f in files], fmt=fmt)
        for problem in report.problems:
            _say(f"citegraph: {problem}", err=True)
        if not any(f.records for f in report.files):
            # raised inside the lock: a store this command created and left empty is removed
            raise UsageError(f"nothing imported: no file gave a record ({_n(len(report.problems), 'problem')}, "
                             "above)")
        if source is not None:
            enriched = enrich_imported(store, source, progress=ctx.obj.verbosity >= 0, retry_not_found=retry_not_found)
    m = report.matching
    if as_json:
        _say(json.dumps({"store": str(settings.store), **report.as_dict(),
                         "enrich": enriched.as_dict() if enriched is not None else None}, indent=2, sort_keys=True))
    else:
        _echo(ctx, f"store: {settings.store}")
        for f in report.files:
            problems = f", {_n(len(f.problems), 'problem')}" if f.problems else ""
            _echo(ctx, f"{f.path}: {f.format if f.format != 'auto' else 'not read'}, {_n(f.records, 'record')}, "
                       f"{_n(f.references, 'reference')}{problems}")
        duplicates = sum(f.duplicates for f in report.files)
        kept = sum(f.kept_existing for f in report.files)
        _echo(ctx, f"records read: {sum(f.records for f in report.files)}, works stored: {report.records}"
                   + (f" ({_n(duplicates, 'record')} with the DOI or identifier of an earlier record: one work, "
                      "stored once)" if duplicates else "")
                   + (f"; {kept} already stored from Crossref, kept" if kept else ""))
        _echo(ctx, f"references: {m.references} ({m.with_doi} with DOI); citing a stored record: {m.by_doi} "
                   f"by DOI, {m.by_key} by key, {m.by_id} by identifier ({m.ambiguous} ambiguous keys left "
                   f"unmatched); {m.outside} cite works outside the store")
        if enriched is not None:
            _echo(ctx, enriched.summary())
    if enriched is not None and enriched.error:
        raise SourceError(f"--enrich: {enriched.error}; the import and what was found are stored: run the same "
                          "command again to ask for the rest")
    if report.problems:
        raise PartialInputError(f"{_n(len(report.problems), 'problem')} in the files (listed above); "
                                "the rest was imported")


@cli.command()
@click.option("--merge", is_flag=True, help="Merge every group listed (recorded in the store).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def duplicates(ctx: click.Context, merge: bool, as_json: bool) -> None:
    """List likely duplicates: different DOIs, same work (e.g. preprint and article)."""
    from citegraph.store import Store
    from citegraph.store.duplicates import find_duplicates, merge_duplicates, unmerged

    settings = ctx.obj.settings()
    if merge and not Path(settings.store).exists():
        raise StoreError(f"no store at {str(settings.store)!r}: nothing to merge (run `citegraph fetch` or "
                         "`citegraph import` first, or pass --store)")
    with Store(settings.store, readonly=not merge) as store:
        found = find_duplicates(store.works())
        groups = unmerged(found, store.merges())
        merged = merge_duplicates(store, groups) if merge and groups else 0
    if as_json:
        _say(json.dumps([g.as_row() for g in groups], indent=2, sort_keys=True))
        return
    if not groups:
        done = len(found) - len(groups)
        _say("no likely duplicates" + (f" left to merge ({done} groups merged before)" if done else ""))
        return
    for g in groups:
        row = g.as_row()
        _say(f"{row['canonical']}  <=  {row['aliases']}  ({row['evidence']})")
        _say(f"    {row['title']}")
    _say(f"{len(groups)} groups" + (f"; {merged} merges recorded" if merge else
                                          "; not merged (use --merge, or fetch --merge-duplicates)"))


#: Seeds listed by a plain ``status`` (the worst covered); ``status --seeds`` lists every one.
_STATUS_SEEDS = 5


def _seed_rows(rows: Sequence[Any]) -> list[str]:
    lines = [f"{'seed DOI':<32} {'role':<8} {'stored':<6} {'refs':>5} {'open':>5} {'doi':>5} "
             f"{'stored':>6} {'missing':>7}"]
    for c in rows:
        lines.append(
            f"{c.doi:<32} {(c.role or '-'):<8} {'yes' if c.stored else 'no':<6} "
            f"{'-' if c.references_count is None else c.references_count:>5} {c.references_open:>5} "
            f"{c.with_doi:>5} {c.resolved:>6} {c.not_found:>7}")
    lines.append("(refs: reference count Crossref reports; open: entries deposited; doi: entries with a DOI; "
                 "stored: those in the store; missing: those the source does not know)")
    return lines


def _worst_covered(coverage: Sequence[Any]) -> list[Any]:
    """Seeds by how little of their reference list the store holds: not stored, no open list, then share."""
    def key(c: Any) -> tuple[Any, ...]:
        share = c.resolved / c.with_doi if c.with_doi else 0.0
        return (c.stored, c.references_open > 0, share, c.doi)
    return sorted(coverage, key=key)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True,
              help="Disagreements listed per kind (the counts are always complete; 0 = counts only).")
@click.pass_context
def sources(ctx: click.Context, as_json: bool, limit: int) -> None:
    """What each source gave and where the sources disagree.

    \b
    Per source: works it gave a record of, citation edges it gives, edges
    no other source gives. Disagreements: works whose title or year differs
    between sources, and edges one source gives where the other's reference
    list of the citing work is complete and lacks them (others: undecided).
      citegraph sources
      citegraph sources --limit 50 --json > data/sources.json
    """
    from citegraph.store import Store
    from citegraph.store.provenance import format_disagreements, source_coverage, source_disagreements

    settings = ctx.obj.settings()
    with Store(settings.store, readonly=True) as store:
        rows = source_coverage(store)
        found = source_disagreements(store, limit=limit)
    if as_json:
        _say(json.dumps({"store": str(settings.store), "sources": [r.as_dict() for r in rows],
                         "disagreements": found.as_dict()}, indent=2, sort_keys=True))
        return
    _say(f"store: {settings.store}")
    for line in _source_lines(rows) or ["no source has given anything yet"]:
        _say(line)
    _say("")
    for line in format_disagreements(found, limit=limit):
        _say(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text (every seed).")
@click.option("--seeds", "with_seeds", is_flag=True,
              help=f"The table of every seed (default: a summary and the {_STATUS_SEEDS} worst-covered seeds).")
@click.option("--coverage", "with_coverage", is_flag=True,
              help="Print the coverage report: how complete the network is, per seed.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="With --coverage: also save the report as JSON in this file (e.g. data/coverage.json).")
@click.pass_context
def status(ctx: click.Context, as_json: bool, with_seeds: bool, with_coverage: bool, output: Path | None) -> None:
    """What the store holds: works, references, not-found DOIs, seed coverage.

    \b
    A read command: it writes nothing unless --coverage -o FILE asks it to.
      citegraph status                      # counts, seeds in a line, the worst-covered seeds
      citegraph status --seeds              # every seed
      citegraph status --coverage -o data/coverage.json
    """
    from dataclasses import asdict

    from citegraph.store import Store

    if output is not None and not with_coverage:
        raise UsageError(f"-o {str(output)!r} saves the coverage report: add --coverage")
    settings = ctx.obj.settings()
    if output is not None:
        from citegraph.outputs.files import check_output_files

        check_output_files([output])  # before the report is computed
    report: dict[str, Any] | None = None
    with Store(settings.store, readonly=True) as store:
        counts = store.counts()
        coverage = store.seed_coverage()
        runs = store.runs()
        imported = store.import_summary()
        disagreements = store.field_conflicts_summary()
        flags = store.notice_flags()
        sources = _source_rows(store, always=with_coverage)
        if with_coverage:  # the analysis and output modules only for --coverage (a plain status stays light)
            from citegraph.analysis.coverage import coverage_report

            report = coverage_report(store)
    notices = {c: sum(1 for f in flags.values() if f == c) for c in ("retracted", "concern", "corrected")}
    if report is not None:
        from citegraph.analysis.coverage import format_coverage
        from citegraph.outputs.tables import write_coverage

        report["sources"] = [row.as_dict() for row in sources or []]
        path = write_coverage(report, output) if output is not None else None
        if as_json:
            _say(json.dumps(report, indent=2, sort_keys=True))
        else:
            for line in format_coverage(report):
                _say(line)
            _say("")
            for line in _source_lines(sources or []):
                _say(line)
            if path is not None:
                _say(f"(saved to {path})")
        return
    if as_json:
        _say(json.dumps({"store": str(settings.store), "counts": counts, "imported": imported,
                         "field_conflicts": disagreements, "notices": notices,
                         "sources": [row.as_dict() for row in sources] if sources is not None else None,
                         "seeds": [asdict(c) for c in coverage],
                         "last_run": runs[-1] if runs else None}, indent=2, sort_keys=True))
        return
    _say(f"store: {settings.store}")
    _say(f"works: {counts['works']}")
    _say(f"references: {counts['references']} ({counts['references_with_doi']} with DOI, "
         f"{counts['references_without_doi']} without)")
    _say(f"cited DOIs: {counts['distinct_cited_dois']} distinct, {counts['cited_dois_resolved']} resolved")
    _say(f"not found: {counts['not_found']}")
    if any(notices.values()):
        _say(f"notices: {notices['retracted']} works retracted, {notices['concern']} with an expression of concern, "
             f"{notices['corrected']} corrected")
    if sources is not None:
        for line in _source_lines(sources):
            _say(line)
    stored = sum(1 for c in coverage if c.stored)
    closed = sum(1 for c in coverage if c.stored and not c.references_open)
    _say(f"seeds: {counts['seeds']}" + (f" ({stored} stored, {closed} of them without open references, "
                                        f"{len(coverage) - stored} not stored)" if coverage else ""))
    if coverage:
        shown = coverage if with_seeds else _worst_covered(coverage)[:_STATUS_SEEDS]
        _say("")
        if not with_seeds and len(coverage) > len(shown):
            _say(f"the {len(shown)} worst-covered seeds (status --seeds lists all {len(coverage)}):")
        for line in _seed_rows(shown):
            _say(line)
    if imported is not None and imported["records"]:
        last_import = next((r for r in reversed(runs) if r["command"] == "import"), None)
        ambiguous = ((last_import or {}).get("counts") or {}).get("matching", {}).get("ambiguous")
        _say("")
        _say(f"imported: {imported['records']} records from "
             + ", ".join(f"{f['files']} {f['format']} file{'s' if f['files'] != 1 else ''}" for f in imported["files"]))
        _say(f"their references: {imported['references']} ({imported['with_doi']} with DOI); citing a stored "
             f"record: {imported['by_doi']} by DOI, {imported['by_key']} by key, {imported['by_id']} by identifier"
             + (f" ({ambiguous} ambiguous keys left unmatched)" if ambiguous else "")
             + f"; {imported['outside']} cite works outside the store")
    if disagreements:
        _say("field disagreements with Crossref: "
             + ", ".join(f"{name} {n}" for name, n in sorted(disagreements.items()))
             + " (works; the imported value is kept, both are in the table field_conflicts)")
    if runs:
        last = runs[-1]
        _say("")
        _say(f"last run: {last['command']} {last['status']} at {last['started_at']}"
             + (f" ({last['error']})" if last.get("error") else ""))


def _source_rows(store: Any, *, always: bool = False) -> list[Any] | None:
    """Per-source coverage when more than one source gave edges (or ``always``); None otherwise.

    A store with one source needs no breakdown, and skipping it keeps ``status`` fast on large stores.
    """
    several = store.execute(  # EXISTS: each table read up to its first row, not counted
        "SELECT EXISTS (SELECT 1 FROM source_records) + EXISTS (SELECT 1 FROM oc_citations) "
        "+ EXISTS (SELECT 1 FROM imports) + EXISTS (SELECT 1 FROM works WHERE source = 'crossref')"
    ).fetchone()[0] > 1
    if not (several or always):
        return None
    from citegraph.store.provenance import source_coverage  # only when it is needed: status stays light

    return source_coverage(store)


def _source_lines(rows: Sequence[Any]) -> list[str]:
    """``status``'s per-source lines: works, edges, edges only that source found, not found."""
    if not rows:
        return []
    lines = ["by source (works with its record; citation edges it gives; of them found by no other source):"]
    for row in rows:
        lines.append(f"  {row.source}: {row.works} works, {row.edges} edges ({row.edges_only} only here"
                     + (f", {row.edges_matched} by matching" if row.edges_matched else "") + ")"
                     + (f", {row.not_found} not found" if row.not_found else ""))
    return lines


def _year_range(value: str | None) -> tuple[int | None, int | None] | None:
    if value is None:
        return None
    import re

    match = re.fullmatch(r"\s*(\d{4})?\s*[-:]\s*(\d{4})?\s*|\s*(\d{4})\s*", value)
    if not match:
        raise UsageError(f"--years {value!r}: give a range such as 1990-2020, 1990- or -2020, or one year")
    if match.group(3):
        return int(match.group(3)), int(match.group(3))
    lo = int(match.group(1)) if match.group(1) else None
    hi = int(match.group(2)) if match.group(2) else None
    if lo is not None and hi is not None and lo > hi:
        raise UsageError(f"--years {value!r}: the first year is after the last")
    return lo, hi


def _weights(value: str | None) -> dict[str, float] | None:
    if value is None:
        return None
    out: dict[str, float] = {}
    for part in value.split(","):
        name, _, number = part.partition("=")
        try:
            out[name.strip()] = float(number)
        except ValueError:
            raise UsageError(f"--weights {value!r}: give kind=number pairs, e.g. citation=1,coupling=0.5,topic=2") \
                from None
    return out


#: ``citegraph.analysis.pipeline.ANALYSE_TOP_K``, written out: importing the analysis here would cost every
#: command 1.5 s of start-up (scikit-learn, igraph); a test checks the two agree.
_TOP_K = 20


def _keep_graph_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta.setdefault("citegraph.graph_options", {})[param.name] = value
    return value


def _graph_options(func: Any) -> Any:
    """The selection and graph options every command that builds a graph shares, with one set of defaults.

    ``graph``, ``analyse``, ``plot``, ``export`` and ``report`` take them alike, so the hybrid graph
    ``analyse`` clusters is the one ``graph --kind hybrid`` describes for the same options; read back with
    :func:`_selected_graph_options`.
    """
    def option(*names: str, **kwargs: Any) -> Any:
        return click.option(*names, expose_value=False, callback=_keep_graph_option, **kwargs)

    options = [
        option("--normalise", type=click.Choice(["count", "cosine", "association", "jaccard"]), default="cosine",
               show_default=True, help="Weight of co-citation and coupling links."),
        option("--min-count", type=click.IntRange(min=1), default=1, show_default=True,
               help="Drop co-citation/coupling pairs seen fewer times."),
        option("--min-weight", type=click.FloatRange(min=0), default=0.0, show_default=True,
               help="Drop links weaker than this (normalised weight)."),
        option("--top-k", type=click.IntRange(min=0), default=_TOP_K, show_default=True,
               help="Keep each work's K strongest co-citation/coupling links (0: every link)."),
        option("--topic-k", type=click.IntRange(min=1), default=10, show_default=True,
               help="Topic neighbours per work."),
        option("--topic-threshold", type=click.FloatRange(min=0, max=1), default=0.1, show_default=True,
               help="Lowest TF-IDF cosine similarity for a topic link."),
        option("--weights", default=None, help="Hybrid weights, e.g. citation=1,cocitation=1,coupling=1,topic=1."),
        option("--years", default=None, help="Keep works published in a range, e.g. 1990-2020."),
        option("--types", default=None, help="Keep these work types, e.g. journal-article,book-chapter."),
        option("--min-local-citations", type=click.IntRange(min=0), default=0, show_default=True,
               help="Keep works cited at least this often in the network."),
        option("--largest-component", is_flag=True, help="Keep only the largest connected component."),
        option("--stored-only", is_flag=True,
               help="Keep only the stored works (the records imported or fetched), not the works they cite."),
    ]
    for decorate in reversed(options):
        func = decorate(func)
    return func


def _selected_graph_options(ctx: click.Context) -> Any:
    """The :class:`~citegraph.graphs.build.GraphOptions` of the shared options given to this command."""
    from citegraph.graphs.build import GraphOptions

    o = ctx.meta.get("citegraph.graph_options", {})
    return GraphOptions(
        normalise=o["normalise"], min_count=o["min_count"], min_weight=o["min_weight"],
        top_k=o["top_k"] or None, topic_k=o["topic_k"], topic_threshold=o["topic_threshold"],
        hybrid_weights=_weights(o["weights"]), years=_year_range(o["years"]),
        types=tuple(t.strip() for t in o["types"].split(",") if t.strip()) if o["types"] else None,
        min_local_citations=o["min_local_citations"], largest_component=o["largest_component"],
        stored_only=o["stored_only"],
    )


@cli.command()
@click.option("--kind", type=click.Choice(["citation", "cocitation", "coupling", "topic", "hybrid"]),
              default="citation", show_default=True, help="Which graph.")
@_graph_options
@click.option("--links", "--top", "top", type=click.IntRange(min=0), default=10, show_default=True,
              help="Heaviest links to list (--top: the old name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def graph(ctx: click.Context, kind: str, top: int, as_json: bool) -> None:
    """Build a graph from the store and describe it. Seeds are always kept (a seed the store has no record of
    is left out by --stored-only)."""
    from citegraph.graphs.build import build_graph, graph_summary
    from citegraph.store import Store

    options = _selected_graph_options(ctx)
    settings = ctx.obj.settings()
    with Store(settings.store, readonly=True) as store:
        G = build_graph(store, kind, options)
    summary = graph_summary(G, top=top)
    if as_json:
        _say(json.dumps({"kind": kind, **summary}, indent=2, sort_keys=True))
        return
    _say(f"{kind} graph{' (directed)' if G.is_directed() else ''}: {summary['nodes']} nodes, "
               f"{summary['edges']} edges, density {summary['density']:g}")
    _say(f"components: {summary['components']} (largest {summary['largest_component']} nodes, "
               f"{summary['isolated']} isolated)")
    if summary["heaviest"]:
        _say("heaviest links:")
        for u, v, w in summary["heaviest"]:
            lu, lv = G.nodes[u].get("label", u), G.nodes[v].get("label", v)
            _say(f"  {w:>10g}  {lu} ({u})  --  {lv} ({v})")


_SCORES = ["composite", "local", "global", "per_year", "pagerank", "authority", "hub", "betweenness",
           "cocitation_seeds"]


#: The defaults of the burst and main-path options, as :class:`citegraph.analysis.pipeline.AnalyseOptions` has them
#: (written out so ``--help`` need not import the analysis; a test checks the two agree).
_BURST_S, _BURST_GAMMA, _BURST_MIN_CITATIONS, _BURST_MIN_DURATION, _KEY_ROUTES = 2.0, 1.0, 3, 2, 3
_CLUSTER_ITERATIONS = 2  # = citegraph.analysis.clusters.LEIDEN_ITERATIONS (not imported: startup)
_BETWEENNESS_BUDGET = 15_000_000  # = citegraph.analysis.rank.DEFAULT_BETWEENNESS_BUDGET (not imported: startup)


def _keep_analysis_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta.setdefault("citegraph.analysis_options", {})[param.name] = value
    return value


def _analysis_options(func: Any) -> Any:
    """The options every command that analyses the store shares (analyse, plot, export, report).

    The burst and main-path options are read back by :func:`_run_analysis` (from ``ctx.meta``), not passed to
    the commands.
    """
    def kept(*names: str, **kwargs: Any) -> Any:
        return click.option(*names, expose_value=False, callback=_keep_analysis_option, show_default=True,
                            **kwargs)

    options = [
        click.option("--graph", "graph_kind",
                     type=click.Choice(["citation", "cocitation", "coupling", "topic", "hybrid"]),
                     default="hybrid", show_default=True, help="The graph clusters are found in."),
        click.option("--score", type=click.Choice(_SCORES), default="composite", show_default=True,
                     help="The score works are ranked (and sized) by."),
        click.option("--cluster-method", type=click.Choice(["leiden", "louvain"]), default="leiden",
                     show_default=True, help="Leiden or Louvain (both python-igraph, seeded)."),
        kept("--cluster-iterations", "cluster_iterations", type=click.IntRange(min=-1), default=_CLUSTER_ITERATIONS,
             help="Leiden's iterations: -1 until the partition is stable (slower; modularity up by at most "
                  "0.001 on the WoS corpora)."),
        click.option("--resolution", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
                     help="Cluster resolution: above 1, more and smaller clusters."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random step."),
        click.option("--reference-year", type=int, default=None,
                     help="'Now' for citations per year [default: the latest publication year in the store]."),
        kept("--burst-s", "burst_s", type=click.FloatRange(min=1, min_open=True), default=_BURST_S,
             help="Citation bursts (Kleinberg): how many times its usual share of a year's citing works a work "
                  "must draw to burst (CiteSpace's state ratio)."),
        kept("--burst-gamma", "burst_gamma", type=click.FloatRange(min=0), default=_BURST_GAMMA,
             help="Citation bursts: the cost of entering a burst (higher: fewer, stronger bursts)."),
        kept("--burst-min-citations", "burst_min_citations", type=click.IntRange(min=1),
             default=_BURST_MIN_CITATIONS, help="Citation bursts: works cited less often are not examined."),
        kept("--burst-min-duration", "burst_min_duration", type=click.IntRange(min=1), default=_BURST_MIN_DURATION,
             help="Citation bursts: shorter bursts (years) are left out (CiteSpace's minimum duration)."),
        kept("--key-routes", "key_routes", type=click.IntRange(min=1), default=_KEY_ROUTES,
             help="Main paths: the heaviest links the key-route main path runs through."),
        kept("--betweenness-budget", "betweenness_budget", type=click.IntRange(min=0), default=_BETWEENNESS_BUDGET,
             help="Betweenness is exact while its estimated cost (nodes x (nodes + links) visits; 1.5e7 is about "
                  "1 s) is within this; sampled above (at least 500 pivots), its error stated in summary.json."),
    ]
    for option in reversed(options):
        func = option(func)
    return _graph_options(func)


def _import_igraph_without_pyplot() -> None:
    """Import igraph with matplotlib hidden, when nothing has loaded matplotlib (``analyse``, ``export``).

    ``import igraph`` imports ``matplotlib.pyplot`` for igraph's own drawing, which citegraph never uses
    (python-igraph issue 762): 28 MB of the analysis stack's 160 MB, and a quarter of its import time.
    The command line owns its process, so while igraph loads it makes ``import matplotlib`` fail, which
    igraph takes as "not installed"; igraph's matplotlib drawing is then unavailable in this process, and
    matplotlib itself still imports as usual afterwards. The commands that draw (``plot``, ``report``)
    import matplotlib first, so igraph loads whole there. The library never does this.
    """
    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        return
    sys.modules["matplotlib"] = None  # type: ignore[assignment]  # `import matplotlib` raises ImportError
    try:
        import igraph  # noqa: F401
    except ImportError:  # an igraph that needs matplotlib: the analysis imports both as usual below
        pass
    finally:
        del sys.modules["matplotlib"]


def _run_analysis(ctx: click.Context, *, graph_kind: str, score: str, cluster_method: str, resolution: float,
                  seed: int, reference_year: int | None, top: int = 20,
                  with_coverage: bool = False) -> tuple[Any, Settings, dict[str, Any] | None]:
    """Analyse the store; returns the analysis, the settings and (if asked) the coverage report."""
    _import_igraph_without_pyplot()
    from citegraph.analysis.coverage import coverage_report
    from citegraph.analysis.pipeline import AnalyseOptions
    from citegraph.analysis.pipeline import analyse as run_analysis
    from citegraph.store import Store

    settings = ctx.obj.settings()
    chosen = ctx.meta.get("citegraph.analysis_options", {})
    options = AnalyseOptions(graph=graph_kind, score=score, top=top, cluster_method=cluster_method,
                             resolution=resolution, seed=seed, reference_year=reference_year,
                             burst_s=chosen.get("burst_s", _BURST_S),
                             burst_gamma=chosen.get("burst_gamma", _BURST_GAMMA),
                             burst_min_citations=chosen.get("burst_min_citations", _BURST_MIN_CITATIONS),
                             burst_min_duration=chosen.get("burst_min_duration", _BURST_MIN_DURATION),
                             key_routes=chosen.get("key_routes", _KEY_ROUTES),
                             cluster_iterations=chosen.get("cluster_iterations", _CLUSTER_ITERATIONS),
                             betweenness_budget=chosen.get("betweenness_budget", _BETWEENNESS_BUDGET),
                             graph_options=_selected_graph_options(ctx))
    with Store(settings.store, readonly=True) as store:
        result = run_analysis(store, options)
        coverage = coverage_report(store) if with_coverage else None
    return result, settings, coverage


@cli.command()
@click.option("-o", "--output", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for rankings.csv, clusters.csv, bursts.csv, rpys.csv, main_path.csv, summary.json "
                   "[default: data/].")
@_analysis_options
@click.option("--show", "--top", "top", type=click.IntRange(min=0), default=20, show_default=True,
              help="Best-ranked works to print (--top: the old name).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary (summary.json) as JSON instead of text.")
@click.pass_context
def analyse(ctx: click.Context, out_dir: Path | None, graph_kind: str, score: str, top: int, as_json: bool,
            cluster_method: str, resolution: float, seed: int, reference_year: int | None) -> None:
    """Rank the influential literature; find clusters, bursts, RPYS peaks and main paths."""
    from citegraph.outputs.files import check_output_files
    from citegraph.outputs.tables import OUTPUT_FILES, write_outputs

    out = out_dir if out_dir is not None else ctx.obj.settings().data_dir
    check_output_files([out / name for name in OUTPUT_FILES])  # before the analysis
    result, _, _ = _run_analysis(ctx, graph_kind=graph_kind, score=score, top=top, cluster_method=cluster_method,
                                 resolution=resolution, seed=seed, reference_year=reference_year)
    written = write_outputs(result, out)
    if as_json:
        _say(json.dumps({**result.summary, "written": [str(p) for p in written]}, indent=2, sort_keys=True,
                        default=str))
        return
    if ctx.obj.verbosity < 0:
        return
    s = result.summary
    _say(f"{s['store']['works']} works, citation graph {s['citation_graph']['nodes']} nodes / "
               f"{s['citation_graph']['edges']} links; {s['clusters']} clusters in the {graph_kind} graph")
    from citegraph.analysis.notices import notice_message

    flagged = notice_message(s)
    if flagged:
        _say(flagged)
    if top and result.rankings:
        _say("")
        _say(f"top {min(top, len(result.rankings))} by {score}:")
        _say(f"{'#':>3} {score[:9]:>9} {'local':>5} {'global':>6} {'/year':>6} {'cl':>3}  work")
        for row in result.rankings[:top]:
            value = row.get(score)
            shown = "-" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
            per_year = row.get("per_year")
            title = (row.get("title") or "")[:60]
            _say(f"{row['rank']:>3} {shown:>9} {row.get('local') or 0:>5} "
                       f"{'-' if row.get('global') is None else row['global']:>6} "
                       f"{'-' if per_year is None else f'{per_year:.1f}':>6} {row.get('cluster') or '-':>3}  "
                       f"{row['label']}: {title}")
        _say("(" + s["notes"][0] + ")")
    if result.clusters:
        _say("")
        _say("clusters:")
        for c in result.clusters[:10]:
            years = f"{c['year_min']}-{c['year_max']}" if c["year_min"] is not None else "years unknown"
            _say(f"  {c['cluster']:>3}: {c['size']} works, {years}: {c['label'] or '(no terms)'}")
        if len(result.clusters) > 10:
            _say(f"  ... {len(result.clusters) - 10} more in clusters.csv")
    if result.bursts:
        _say("")
        _say("strongest citation bursts:")
        for b in result.bursts[:5]:
            _say(f"  {b.label}: {b.start}-{b.end}, strength {b.strength:.2f}, {b.citations} citations")
    if result.peaks:
        _say("")
        nodes = result.citation.nodes

        def named(work: str) -> str:  # a DOI by its node's label, a described reference as described
            return str(nodes[work].get("label", work)) if work in nodes else work

        _say("RPYS peaks: " + ", ".join(
            f"{year} ({'; '.join(named(w) for w, _ in result.peak_works.get(year, [])[:2])})"
            for year in result.peaks))
    if result.main_path:
        labels = [result.citation.nodes[n].get("label", n) for n in result.main_path]
        ties = int(result.summary.get("main_path_ties") or 1)
        _say("")
        _say("main path: " + " -> ".join(labels)
             + (f" (one of {ties:,} paths with the same total weight: the first by DOI key)" if ties > 1 else ""))
    ind = result.indicators
    _say("")
    _say(f"h-index: {ind.get('h_index_global')} (global citations: Crossref's, or the export's times-cited), "
               f"{ind.get('h_index_local')} (in the network)")
    if ind.get("journals"):
        _say("top journals: " + "; ".join(f"{j} ({n})" for j, n in ind["journals"][:3]))
    if ind.get("authors"):
        _say("top authors: " + "; ".join(f"{a} ({n})" for a, n in ind["authors"][:3]))
    _say("")
    _say("wrote " + ", ".join(str(p) for p in written))


@cli.command(name="config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: each setting's value and origin.")
@click.pass_context
def show_config(ctx: click.Context, as_json: bool) -> None:
    """Show every setting, its value and where it came from."""
    settings = ctx.obj.settings()
    if as_json:
        raw = {name: getattr(settings, name) for name, _, _ in settings.describe()}
        _say(json.dumps({name: {"value": shown if shown == "***" or isinstance(raw[name], Path) else raw[name],
                                "origin": origin}
                         for name, shown, origin in settings.describe()}, indent=2, sort_keys=True, default=str))
        return
    for name, value, origin in settings.describe():
        _say(f"{name:<20} {value:<40} {origin}")


def _source_name(settings: Settings) -> str:
    return f"store {Path(settings.store).name}"


@cli.command()
@click.argument("names", nargs=-1)
@click.option("-o", "--output", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the figures [default: figures/].")
@click.option("--format", "formats", type=click.Choice(["png", "svg", "pdf"]), multiple=True,
              help="File format; repeat for several [default: png and svg].")
@click.option("--dpi", type=click.IntRange(min=30, max=1200), default=150, show_default=True,
              help="Resolution of PNG files (300 for print; SVG and PDF are vector).")
@click.option("--rpys-from", "rpys_from", type=click.IntRange(min=1000), default=None,
              help="First reference year of the RPYS figure [default: the year before which 1% of the cited "
                   "references lie].")
@_analysis_options
@click.pass_context
def plot(ctx: click.Context, names: tuple[str, ...], out_dir: Path | None, formats: tuple[str, ...],
         dpi: int, rpys_from: int | None, graph_kind: str, score: str, cluster_method: str, resolution: float,
         seed: int, reference_year: int | None) -> None:
    """Draw the figures: NAMES among network, historiograph, cocitation, ranking, publications, rpys, bursts
    [default: all]."""
    from citegraph.outputs.files import check_output_files
    from citegraph.outputs.plots import FIGURES, figure_paths, save_figures

    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise UsageError(f"unknown figure {unknown[0]!r}: choose from {', '.join(FIGURES)}")
    check_output_files(figure_paths(out_dir if out_dir is not None else ctx.obj.settings().figures_dir,
                                    list(dict.fromkeys(names)) or list(FIGURES), formats or ("png", "svg")))
    result, settings, _ = _run_analysis(ctx, graph_kind=graph_kind, score=score, cluster_method=cluster_method,
                                        resolution=resolution, seed=seed, reference_year=reference_year)
    written = save_figures(result, out_dir if out_dir is not None else settings.figures_dir,
                           formats=formats or ("png", "svg"), names=list(names) or None,
                           source=_source_name(settings), seed=seed, rpys_from=rpys_from, dpi=dpi)
    _echo(ctx, "wrote " + ", ".join(str(p) for p in written))


@cli.command(name="export")
@click.option("--format", "formats", multiple=True,
              type=click.Choice(["graphml", "gexf", "csv", "pajek", "json", "vosviewer", "bibtex", "ris", "all"]),
              help="What to write; repeat for several [default: all].")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="The file to write (one --format only) [default: data/citegraph.<ext>].")
@click.option("--network", "network", type=click.Choice(["citation", "cocitation", "coupling", "topic", "hybrid"]),
              default="citation", show_default=True, help="The graph written to the network formats.")
@click.option("--entries", "--top", "top", type=click.IntRange(min=1), default=None,
              help="BibTeX/RIS: the N best-ranked works, cited-only ones as minimal entries "
                   "[default: every work with a stored record, in rank order].")
@_analysis_options
@click.pass_context
def export_command(ctx: click.Context, formats: tuple[str, ...], output: Path | None, network: str, top: int | None,
                   graph_kind: str, score: str, cluster_method: str, resolution: float, seed: int,
                   reference_year: int | None) -> None:
    """Write the network for Gephi, Cytoscape, Pajek and VOSviewer, and the ranked works for Zotero.

    Nodes carry the scores and the cluster of `citegraph analyse`.
    """
    from citegraph.graphs.build import build_graph
    from citegraph.outputs.export import (
        EXPORT_FORMATS,
        GRAPH_FORMATS,
        export,
        export_graph,
        export_metadata,
        output_paths,
    )
    from citegraph.outputs.files import check_output_files
    from citegraph.store import Store

    chosen = list(EXPORT_FORMATS) if not formats or "all" in formats else list(dict.fromkeys(formats))
    if output is not None and len(chosen) != 1:
        raise UsageError(f"-o {str(output)!r} names one file: give exactly one --format "
                         f"(or leave out -o to write every format into the data folder)")
    data_dir = ctx.obj.settings().data_dir
    targets = {fmt: output if output is not None else data_dir / EXPORT_FORMATS[fmt] for fmt in chosen}
    check_output_files([p for fmt in chosen for p in output_paths(fmt, targets[fmt])])  # before any work
    result, settings, _ = _run_analysis(ctx, graph_kind=graph_kind, score=score, cluster_method=cluster_method,
                                        resolution=resolution, seed=seed, reference_year=reference_year)
    key_of = {str(d.get("doi", n)): str(n) for n, d in result.citation.nodes(data=True)}
    ranked = [(key_of.get(row["doi"], row["doi"]), bool(row.get("resolved"))) for row in result.rankings]
    # BibTeX/RIS: the N best-ranked works (cited-only ones as minimal entries), or every work with a record
    keys = [k for k, _ in ranked[:top]] if top is not None else [k for k, resolved in ranked if resolved]
    written: list[Path] = []
    with Store(settings.store, readonly=True) as store:
        graph = None
        if any(f in GRAPH_FORMATS for f in chosen):
            if network == graph_kind:
                base = result.graph
            else:  # the citation graph too goes through the selection (--years, --types, ...)
                base = build_graph(store, network, result.options.graph_options, citation=result.citation)
            graph = export_graph(base, rankings=result.rankings, cluster_of=result.cluster_of,
                                 metadata=export_metadata(result, network, store=settings.store))
        for fmt in chosen:
            path = targets[fmt]
            if fmt in GRAPH_FORMATS:
                written += export(fmt, path, graph=graph)
            else:
                written += export(fmt, path, graph=result.citation, store=store, keys=keys)
    _echo(ctx, "wrote " + ", ".join(str(p) for p in written))


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="The HTML file [default: data/report.html].")
@click.option("--max-nodes", type=click.IntRange(min=1), default=500, show_default=True,
              help="Works in the interactive network view (the best-ranked; seeds count against it).")
@click.option("--figures/--no-figures", default=True, show_default=True,
              help="Draw the figures (into figures/) and embed them.")
@click.option("--rpys-from", "rpys_from", type=click.IntRange(min=1000), default=None,
              help="First reference year of the RPYS figure [default: the year before which 1% of the cited "
                   "references lie].")
@_analysis_options
@click.pass_context
def report(ctx: click.Context, output: Path | None, max_nodes: int, figures: bool, rpys_from: int | None,
           graph_kind: str, score: str, cluster_method: str, resolution: float, seed: int,
           reference_year: int | None) -> None:
    """Write one self-contained HTML report: summary, coverage, rankings, clusters, figures, a network view."""
    from citegraph.outputs.files import check_output_files
    from citegraph.outputs.plots import FIGURES, figure_paths, save_figures
    from citegraph.outputs.report import write_report

    before = ctx.obj.settings()
    check_output_files([output if output is not None else before.data_dir / "report.html",
                        *(figure_paths(before.figures_dir, list(FIGURES), ["png"]) if figures else [])])
    result, settings, coverage = _run_analysis(ctx, graph_kind=graph_kind, score=score,
                                               cluster_method=cluster_method, resolution=resolution, seed=seed,
                                               reference_year=reference_year, with_coverage=True)
    drawn = save_figures(result, settings.figures_dir, formats=("png",), source=_source_name(settings),
                         seed=seed, rpys_from=rpys_from) if figures else []
    path = write_report(result, output if output is not None else settings.data_dir / "report.html",
                        figures=drawn, coverage=coverage, source=_source_name(settings), max_nodes=max_nodes,
                        seed=seed)
    _echo(ctx, f"wrote {path}" + (f" (figures in {settings.figures_dir})" if drawn else ""))


for _command in cli.commands.values():
    _command.params.extend(_global_options())



# --------------------------------------------------------------------------------------- whole snapshots


@cli.command()
@click.argument("snapshot", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["crossref", "openalex"]), required=True,
              help="Crossref public data file (JSON, JSON Lines; gzipped or not) or OpenAlex works "
                   "(JSON Lines or Parquet).")
@click.option("-o", "--output", required=True,
              help="Folder of the Parquet dataset (created; an existing one is added to), or its URL: "
                   "s3://bucket/prefix, gs://, abfs://, hdfs://.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Files read at once, each in its own process.")
@click.option("--no-resume", is_flag=True, help="Read again the files the dataset already holds.")
@click.pass_context
def ingest(ctx: click.Context, snapshot: Sequence[Path], fmt: str, output: str, workers: int,
           no_resume: bool) -> None:
    """Stream a whole snapshot into a Parquet dataset (works and references tables).

    SNAPSHOT are files or folders of a Crossref public data file or of
    OpenAlex works. Memory stays bounded whatever the size: each file is
    streamed into one Parquet file per table. A killed run started again
    reads only the files not finished. Then `citegraph field` selects a field
    into the store, for analyse, plot, export and report.

    \b
    Examples:
      citegraph ingest crossref-2026/ --format crossref -o snapshot/ --workers 2
      citegraph ingest ../shared/crossref/works-oc_ds_converter.jsonl.gz --format crossref -o snap/
      citegraph ingest crossref-2026/ --format crossref -o s3://my-bucket/crossref-2026/ --workers 8
    """
    from citegraph.sources.snapshot import ingest as run_ingest

    def progress(i: int, n: int, rep: Any) -> None:
        if rep.error:
            _say(f"citegraph: [{i}/{n}] {rep.path}: failed ({rep.error}); run again to retry it", err=True)
        else:
            _echo(ctx, f"[{i}/{n}] {rep.path}: {rep.records:,} records, {rep.refs:,} references"
                       + (f", {rep.bad:,} bad records skipped" if rep.bad else "") + f" ({rep.seconds:.1f} s)")

    report = run_ingest(list(snapshot), fmt, output, resume=not no_resume, progress=progress, workers=workers)
    _echo(ctx, f"dataset: {output}: {len(report.files) - len(report.failed)} files read now, "
               f"{len(report.skipped)} already there; {report.records:,} records, {report.works:,} works, "
               f"{report.refs:,} references" + (f", {report.bad:,} bad records skipped" if report.bad else ""))
    if report.failed:
        raise PartialInputError(f"{len(report.failed)} file(s) could not be read (listed above); the rest is in "
                                f"{output}: run the same command again to retry them")


@cli.command()
@click.argument("dataset")
@click.option("--issn", multiple=True, help="Keep works with this ISSN (repeat for several).")
@click.option("--journal", multiple=True, help="Keep works in this journal (whole title, any case; repeatable).")
@click.option("--subject", multiple=True, help="Keep works with this subject (any case; repeatable).")
@click.option("--years", default=None, help="Keep works published in a range, e.g. 1990-2020.")
@click.option("--term", multiple=True, help="Keep works whose title or abstract holds every term given.")
@click.option("--seed", "seed_args", multiple=True,
              help="Start from these works (DOIs or seed files) and keep those within --steps citations.")
@click.option("--steps", type=click.IntRange(min=0), default=1, show_default=True,
              help="Citation steps from the seeds.")
@click.option("--direction", type=click.Choice(["backward", "forward", "both"]), default="both",
              show_default=True, help="Follow what the seeds cite, what cites them, or both.")
@click.option("--in-place", "in_place", type=click.Path(path_type=Path), default=None,
              help="Analyse the field where it is and write the tables into this folder, instead of storing it "
                   "(for fields too big for a store; without filters: the whole dataset).")
@click.option("--pairs", type=click.Choice(["cocitation", "coupling", "both", "none"]), default="cocitation",
              show_default=True, help="With --in-place: co-occurrence tables to compute.")
@click.option("--min-count", type=click.IntRange(min=1), default=2, show_default=True,
              help="With --in-place: keep a pair co-cited (coupled) at least this often.")
@click.option("--top-k", type=click.IntRange(min=1), default=10, show_default=True,
              help="With --in-place: pairs kept per work, strongest first.")
@click.option("--iterations", type=click.IntRange(min=-1), default=2, show_default=True,
              help="With --in-place: Leiden passes (-1: until stable).")
@click.option("--cluster-seed", "cluster_seed", type=int, default=0, show_default=True,
              help="With --in-place: seed of the clustering.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Where the SQL runs: DuckDB in this process, or Spark (pip install 'citegraph[spark]', Java 17).")
@click.option("--spark-master", default=None,
              help="With --engine spark: local[2] (default), local[*], spark://HOST:7077, yarn... "
                   "(under spark-submit, its --master).")
@click.option("--spark-conf", multiple=True, metavar="KEY=VALUE",
              help="With --engine spark: a Spark setting, e.g. spark.driver.memory=8g (repeatable); "
                   "spark.checkpoint.dir=hdfs://... keeps the iterated tables there (survives a lost executor).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def field(ctx: click.Context, dataset: str, issn: Sequence[str], journal: Sequence[str], subject: Sequence[str],
          years: str | None, term: Sequence[str], seed_args: Sequence[str], steps: int, direction: str,
          in_place: Path | None, pairs: str, min_count: int, top_k: int, iterations: int, cluster_seed: int,
          engine: str, spark_master: str | None, spark_conf: Sequence[str], as_json: bool) -> None:
    """Select a field of an ingested dataset into the store (then analyse, plot, export, report it).

    All filters given must hold; values of one filter are alternatives. The
    works are stored from their snapshot records, as a fetch would store them.
    With --in-place the field is analysed where it is (counts, PageRank,
    components, Leiden clusters, RPYS, co-citation) and written as tables.

    \b
    Examples:
      citegraph --store data/dermatology.sqlite field snapshot/ --subject Dermatology --years 1990-2025
      citegraph field snapshot/ --seed seeds.txt --steps 2 --direction backward
      citegraph field snapshot/ --years 2000-2025 --in-place data/snapshot-field/
      citegraph field snapshot/ --in-place data/all/ --engine spark --spark-conf spark.driver.memory=8g
      citegraph field s3a://my-bucket/crossref-2026 --subject Dermatology --in-place out/ --engine spark
    """
    from citegraph.sources.seeds import load_seeds
    from citegraph.sources.snapshot import to_store
    from citegraph.store.dataset import FieldSelection, open_dataset

    if engine == "duckdb" and (spark_master or spark_conf):
        raise UsageError("--spark-master and --spark-conf go with --engine spark")
    conf: dict[str, str] = {}
    for item in spark_conf:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--spark-conf {item!r} is not KEY=VALUE (e.g. spark.driver.memory=8g)")
        conf[key.strip()] = value.strip()

    seeds: list[str] = []
    if seed_args:
        loaded = load_seeds(seed_args)
        for rejection in loaded.rejected:
            _say(f"citegraph: rejected: {rejection}", err=True)
        if not loaded.seeds:
            raise UsageError(f"none of the {len(seed_args)} --seed value(s) gave a DOI (see above)")
        seeds = [s.doi.key for s in loaded.seeds]
    selection = FieldSelection(issns=tuple(issn), journals=tuple(journal), subjects=tuple(subject),
                               years=_year_range(years), terms=tuple(term), seeds=tuple(seeds), steps=steps,
                               direction=direction)
    filtered = bool(issn or journal or subject or years or term or seeds)
    if not filtered and in_place is None:
        raise UsageError("no field given: name one with --issn, --journal, --subject, --years, --term or --seed "
                         "(or analyse the whole dataset with --in-place DIR)")
    if in_place is not None:
        from citegraph.outputs.files import output_target

        output_target(in_place / "summary.json")  # a bad output folder is refused before any work
    from citegraph.store.location import DatasetLocation

    where = DatasetLocation.of(dataset)  # a folder or a URL; a bad scheme is refused here
    if not where.exists("manifest.json"):
        raise UsageError(f"{dataset}: not a dataset made by `citegraph ingest` (no manifest.json there)")
    if engine == "spark":
        from citegraph.store.spark import SparkEngine

        # under spark-submit (which starts this driver with PYSPARK_GATEWAY_PORT set) its --master decides
        submitted = "PYSPARK_GATEWAY_PORT" in os.environ
        # a checkpoint folder given: tables are checkpointed there, surviving a lost executor
        eng: Any = SparkEngine(master=spark_master or (None if submitted else "local[2]"), config=conf,
                               checkpoint="reliable" if "spark.checkpoint.dir" in conf else "local")
    else:
        from citegraph.store.dataset import DuckDBEngine

        eng = DuckDBEngine()
    with open_dataset(where, eng) as ds:
        if in_place is not None:
            _field_in_place(ctx, ds, selection if filtered else None, in_place, pairs=pairs, min_count=min_count,
                            top_k=top_k, iterations=iterations, seed=cluster_seed, as_json=as_json)
            return
        settings = ctx.obj.settings()
        report = to_store(where.url, selection, settings.store, dataset=ds)
    if as_json:
        _say(json.dumps({"store": str(settings.store), "selection": selection.describe(),
                         "selected": report.selected, "crossref": report.crossref, "openalex": report.openalex,
                         "seeds": report.seeds}, indent=2, sort_keys=True))
        return
    _echo(ctx, f"field ({selection.describe()}): {report.selected:,} works selected; stored in {settings.store} "
               f"({report.crossref:,} Crossref records, {report.openalex:,} OpenAlex records, {report.seeds} seeds)")


def _field_in_place(ctx: click.Context, ds: Any, selection: Any, out: Path, *, pairs: str, min_count: int,
                    top_k: int, iterations: int, seed: int, as_json: bool) -> None:
    """``field --in-place``: analyse the selection (or everything) on the dataset's engine and write the tables."""
    from citegraph.analysis.snapshot import SnapshotOptions, analyse_dataset
    from citegraph.outputs.tables import write_snapshot_outputs
    from citegraph.store.dataset import select_field

    if selection is not None:
        selected = select_field(ds, selection)
        if not selected:
            raise UsageError(f"field ({selection.describe()}): no work of the dataset matches")
        ds.use_field("cg_field")
    kinds = {"both": ("cocitation", "coupling"), "none": ()}.get(pairs, (pairs,))
    options = SnapshotOptions(pairs=kinds, min_count=min_count, top_k=top_k, iterations=iterations, seed=seed)
    result = analyse_dataset(ds, options)
    result.facts["selection"] = selection.describe() if selection is not None else "everything"
    paths = write_snapshot_outputs(result, out)
    if as_json:
        _say(json.dumps({"facts": result.facts, "files": [str(p) for p in paths], "seconds": result.seconds,
                         "top_pagerank": result.top("pagerank", 10)}, indent=2, sort_keys=True))
        return
    f = result.facts
    _echo(ctx, f"field ({f['selection']}), analysed in place on {f['engine']}: {f['works']:,} works, "
               f"{f['nodes']:,} nodes, {f['links']:,} citation links, {f['components']:,} components, "
               f"{f['clusters']:,} clusters; " + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items()))
    for i, row in enumerate(result.top("pagerank", 5), start=1):
        _echo(ctx, f"  {i}. {row['key']} ({row['year'] or '?'}) {(row['title'] or '')[:70]}  "
                   f"PageRank {row['pagerank']:.2e}")
    _echo(ctx, "wrote " + ", ".join(str(p) for p in paths))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``citegraph`` console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="citegraph")


if __name__ == "__main__":  # pragma: no cover
    main()
