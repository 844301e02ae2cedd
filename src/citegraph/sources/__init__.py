"""Stage 1, sources: where works and citations come from, and the fetch that brings them into the store.

- :mod:`~citegraph.sources.crossref`: the Crossref REST API (batched DOI
  lookups, bibliographic search, reference matching; through habanero);
- :mod:`~citegraph.sources.opencitations`: citing works from the
  OpenCitations Index API;
- :mod:`~citegraph.sources.openalex`: records, reference lists and citing
  works from the OpenAlex API (100 ids per request, cursor pages);
- :mod:`~citegraph.sources.localfiles`: Crossref records from local files
  (JSON Lines, the public data file), served like the API;
- :mod:`~citegraph.sources.matching`: which references without DOI can be
  looked up, and which hits agree with the reference;
- :mod:`~citegraph.sources.ratelimit`: the rate limiter and retries every
  API source shares;
- :mod:`~citegraph.sources.seeds`: seed DOIs from arguments and files;
- :mod:`~citegraph.sources.snowball`: one level after another, written to
  the store as it arrives;
- :mod:`~citegraph.sources.fetch`: a whole ``citegraph fetch``;
- :mod:`~citegraph.sources.snapshot`: a whole snapshot (Crossref public data
  file, OpenAlex works) ingested into a Parquet dataset, and a field of it
  written back as a store.

May import: the shared modules (:mod:`citegraph.errors`, :mod:`citegraph.doi`,
:mod:`citegraph.config`) and :mod:`citegraph.store`, which the fetch fills.
Nothing but :mod:`citegraph.cli` imports a source.
"""
