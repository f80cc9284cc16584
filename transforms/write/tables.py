"""Table files: rows stamped with the run, checked against their schema, and written as zstd
Parquet into the table's folder, one file per partition and shard, named deterministically. A
file is not part of its table until the run's commit adds it to the table's Delta log."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Optional

from apache_beam.io.filesystems import FileSystems

from newsbeam.schemas import TableSpec
from newsbeam.transforms.common.redact import redact_row

#: Under the output: a folder per run holding its commit manifest while it commits.
STAGING = "_staging"

ROWS_PER_CHUNK = 10_000


@dataclass(frozen=True)
class RunContext:
    """What every table row and the runs row need to know about the run."""

    run_id: str
    started_at: dt.datetime
    output: str
    options_json: str = "{}"
    versions: tuple = ()
    #: First and last UTC day the run keeps (--run_date, --since/--until); None where open.
    window: tuple = (None, None)
    #: delta-rs storage options for s3:// (endpoint, keys; transforms.write.delta), as pairs.
    storage: tuple = field(default=(), repr=False)
    #: The day a backfill covers (--run_date): its rows are partitioned by it, not by today.
    day: Optional[dt.date] = None
    #: Bytes of earlier runs' state files the run reads back (fingerprints, links, feeds).
    state_bytes_read: int = 0

    @property
    def storage_options(self) -> dict:
        return dict(self.storage)

    @property
    def run_date(self) -> dt.date:
        """The run's partition day: --run_date's day for a backfill, else the UTC day it started."""
        return self.day or self.started_at.astimezone(dt.timezone.utc).date()


def file_name(run_id: str, shard: int) -> str:
    return f"part-{run_id}-{shard:05d}.parquet"


def staging_dir(output: str, run_id: str) -> str:
    return FileSystems.join(output, STAGING, run_id)


def shard_of(row: dict, table: TableSpec, shards: int) -> int:
    """A stable shard number from the row's first column (its id), the same on every worker."""
    if shards <= 1:
        return 0
    digest = hashlib.md5(str(row[table.columns[0]]).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % shards


def stamp(row: dict, table: TableSpec, ctx: RunContext) -> dict:
    """Add the run's id (and the run's date where the table is partitioned by it), with every URL
    in the row stripped of credentials and tokens (:mod:`newsbeam.transforms.common.redact`)."""
    stamped = redact_row({**row, "run_id": ctx.run_id})  # no credential or token reaches a table
    if table.partition_key == "run_date":
        stamped["run_date"] = ctx.run_date
    table.check_row(stamped)
    return stamped


def write_parquet(path: str, table: TableSpec, rows) -> int:
    """Write rows (any iterable) to one zstd Parquet file through FileSystems; returns the count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    count, chunk = 0, []
    with FileSystems.create(path) as handle:
        with pq.ParquetWriter(pa.PythonFile(handle, mode="w"), table.schema, compression="zstd") as writer:
            for row in rows:
                chunk.append(row)
                if len(chunk) >= ROWS_PER_CHUNK:
                    writer.write_table(table.to_arrow(chunk))
                    count += len(chunk)
                    chunk = []
            if chunk:
                writer.write_table(table.to_arrow(chunk))
                count += len(chunk)
    return count
