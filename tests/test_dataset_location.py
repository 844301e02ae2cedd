"""Datasets at URLs (issue 21): ``citegraph ingest -o s3://...`` and ``field s3://...`` against an S3 server.

There is no network here, so the S3 server is moto's (``moto[server]``, the test extra) on 127.0.0.1,
reached through the standard ``AWS_ENDPOINT_URL`` variable as a MinIO or Ceph store would be. The dataset
written there must equal, table by table, the one written to a local folder from the same files, and every
analysis on it must equal the local dataset's: the SYNTHETIC Price-model records of ``test_snapshot``
(not bibliographic data) and, when ``../shared/`` is there, the real Crossref dump-format records.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("duckdb", reason="the snapshot path needs duckdb")
pytest.importorskip("moto", reason="the S3 tests need moto's server (pip install 'moto[server]', the test extra)")

from click.testing import CliRunner

from citegraph.analysis import snapshot as sa
from citegraph.cli import cli
from citegraph.errors import EXIT_STORE, UsageError
from citegraph.sources import snapshot as ss
from citegraph.store.dataset import Manifest, open_dataset
from citegraph.store.location import DatasetLocation
from tests.test_snapshot import write_synthetic

BUCKET = "citegraph-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with one bucket; its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    import boto3

    boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The S3 server as every client finds it (the standard AWS variables); the bucket's URL."""
    for name, value in {"AWS_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": "test",
                        "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    return f"s3://{BUCKET}"


def _tables(ds: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of the dataset's tables, in a fixed order (the part name is the same for one input file)."""
    return {"works": ds.engine.sql("SELECT * FROM cg_works_all ORDER BY part, record_no").to_pylist(),
            "refs": ds.engine.sql("SELECT * FROM cg_refs_all ORDER BY part, record_no, position").to_pylist()}


def _entries(manifest: Manifest) -> dict[str, tuple[Any, ...]]:
    return {k: (e.part, e.records, e.works, e.refs, e.bad, e.sha256) for k, e in manifest.files.items()}


def test_locations_are_parsed_and_bad_ones_refused(tmp_path: Path) -> None:
    where = DatasetLocation.of("s3a://bucket/snap/")
    assert (where.url, where.remote, where.uri("refs", "x.parquet")) == (
        "s3a://bucket/snap", True, "s3a://bucket/snap/refs/x.parquet")
    local = DatasetLocation.of(f"file://{tmp_path}/ds")
    assert (local.remote, local.path, local.uri("works")) == (False, tmp_path / "ds", str(tmp_path / "ds" / "works"))
    assert DatasetLocation.of(tmp_path).path == tmp_path
    with pytest.raises(UsageError, match=r"ftp://host/x: ftp:// is not a dataset location .*s3://, s3a://"):
        DatasetLocation.of("ftp://host/x")
    with pytest.raises(UsageError, match="no bucket or path after s3://"):
        DatasetLocation.of("s3://")
    with pytest.raises(UsageError, match="is not a local folder"):
        _ = DatasetLocation.of("gs://b/x").path


def test_a_dataset_on_s3_equals_the_local_one(s3: str, tmp_path: Path) -> None:
    files = write_synthetic(tmp_path / "snapshot")
    url = f"{s3}/synthetic"
    local = ss.ingest(files, "crossref", tmp_path / "ds", row_group_rows=100)
    remote = ss.ingest(files, "crossref", url, row_group_rows=100, workers=2)  # worker processes write to S3
    assert (remote.records, remote.works, remote.refs, remote.bad) == (
        local.records, local.works, local.refs, local.bad) == (local.records, local.works, local.refs, 2)
    assert _entries(Manifest.load(url)) == _entries(Manifest.load(tmp_path / "ds"))
    with open_dataset(tmp_path / "ds") as here, open_dataset(url) as there:
        assert there.directory is None and str(there.location) == url
        assert _tables(there) == _tables(here)
        assert sa.citation_counts(there).equals(sa.citation_counts(here))
        assert sa.pagerank(there) == sa.pagerank(here)
        assert sa.components(there) == sa.components(here)
        assert sa.clusters(there, seed=3) == sa.clusters(here, seed=3)
        assert sa.rpys(there) == sa.rpys(here)
        a, b = sa.analyse_dataset(there), sa.analyse_dataset(here)
        assert a.works.equals(b.works) and a.pairs["cocitation"].equals(b.pairs["cocitation"])
        assert a.facts["dataset"] == url


def test_a_rerun_skips_what_s3_holds_and_removes_what_a_killed_run_left(s3: str, tmp_path: Path) -> None:
    files = write_synthetic(tmp_path / "snapshot")
    url = f"{s3}/resume"
    ss.ingest(files[:1], "crossref", url)
    where = DatasetLocation.of(url)
    where.write_text("half a file", "refs", "killed-part.parquet.tmp")  # what a killed run leaves
    again = ss.ingest(files, "crossref", url)
    assert again.skipped == (str(files[0].resolve()),) and len(again.files) == 2
    assert not [n for sub in ("works", "refs") for n in where.names(sub) if n.endswith(".tmp")]
    assert len(where.names("works")) == len(where.names("refs")) == 3
    with open_dataset(url) as ds:
        assert ds.count("cg_works_all") == sum(e.works for e in Manifest.load(url).files.values())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_store_is_one_error_naming_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    files = write_synthetic(tmp_path / "snapshot")
    # the S3 client retries (3 attempts, backoff) before it gives up: one call only here
    result = CliRunner().invoke(cli, ["ingest", str(files[0]), "--format", "crossref", "-o", "s3://nowhere/ds"])
    assert result.exit_code == EXIT_STORE
    assert result.output.startswith("citegraph: error: s3://nowhere/ds: cannot ") and "Traceback" not in result.output
    assert "check the URL and the AWS_* variables" in result.output
    assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(UsageError, match=r"ftp://x/ds: ftp:// is not a dataset location"):
        open_dataset("ftp://x/ds")
    bad = CliRunner().invoke(cli, ["field", "ftp://x/ds", "--in-place", str(tmp_path / "out")])
    assert bad.exit_code == 2 and bad.output.startswith("citegraph: error: ftp://x/ds: ftp:// is not a dataset")


@pytest.mark.shared
def test_cli_ingest_and_field_in_place_on_s3_give_the_local_bytes(s3: str, shared_dir: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    dump = str(shared_dir / "crossref" / "works-oc_ds_converter.jsonl.gz")  # real dump-format records
    runner = CliRunner()
    for target in ("snap", f"{s3}/real"):
        done = runner.invoke(cli, ["ingest", dump, "--format", "crossref", "-o", target])
        assert done.exit_code == 0, done.output
        assert "6,012 records" in done.output
    outputs = {}
    for source, out in (("snap", "here"), (f"{s3}/real", "there")):
        done = runner.invoke(cli, ["field", source, "--term", "alopecia", "--in-place", out, "--pairs", "both"])
        assert done.exit_code == 0, done.output
        outputs[out] = {p.name: p.read_bytes() for p in sorted((tmp_path / out).iterdir())}
    here, there = outputs["here"], outputs["there"]
    assert here.keys() == there.keys() and {"works.csv", "cocitation.csv", "coupling.csv"} <= set(here)
    for name in here:
        if name == "summary.json":  # names the dataset it read: the folder, or the URL
            a, b = json.loads(here[name]), json.loads(there[name])
            assert b["facts"].pop("dataset") == f"{s3}/real" and a["facts"].pop("dataset") == "snap"
            assert a == b
        else:
            assert here[name] == there[name], name
    assert here["works.csv"].count(b"\n") > 10
