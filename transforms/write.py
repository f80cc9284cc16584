"""Write the tables as Hive-partitioned Parquet, published all at once when the run commits.

Each table's rows are validated against its schema in ``schemas/``, grouped by partition (and
shard), and written as zstd Parquet files under ``DIR/_staging/<run_id>/``. When every table is
written, one commit step moves the files to ``DIR/<table>/<key>=<value>/part-<run_id>-NNNNN.parquet``
and writes the ``runs`` row last, so a failed run leaves no file where readers look (readers and
our query views ignore folders starting with ``_``). File names are deterministic, so a retried
bundle rewrites the same file instead of adding one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from schemas import TableSpec, all_tables
from schemas import runs as runs_schema
from transforms.errors import INPUT_STAGES
from transforms.redact import redact_row
from transforms.timing import Timed, timed

LOG = logging.getLogger(__name__)
STAGING = "_staging"
ROWS_PER_CHUNK = 10_000


class AccountingError(RuntimeError):
    """The run lost or invented records: inputs != articles + duplicates + errors."""


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

    @property
    def run_date(self) -> dt.date:
        return self.started_at.astimezone(dt.timezone.utc).date()


@dataclass(frozen=True)
class WrittenFile:
    """A Parquet file written to staging, and where it goes on commit."""

    table: str
    staged_path: str
    final_path: str
    rows: int


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
    in the row stripped of credentials and tokens (:mod:`transforms.redact`)."""
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


class WritePartitionFn(beam.DoFn):
    """((partition folder, shard), rows) → one staged Parquet file."""

    def __init__(self, table_name: str, ctx: RunContext):
        self._table_name = table_name
        self._ctx = ctx

    def process(self, keyed):
        (partition, shard), rows = keyed
        table = all_tables()[self._table_name]
        name = file_name(self._ctx.run_id, shard)
        relative = [self._table_name, partition, name]
        staged = FileSystems.join(staging_dir(self._ctx.output, self._ctx.run_id), *relative)
        final = FileSystems.join(self._ctx.output, *relative)
        with timed("write"):
            count = write_parquet(staged, table, rows)
        beam.metrics.Metrics.counter("newsbeam", f"{self._table_name}_rows_written").inc(count)
        yield WrittenFile(self._table_name, staged, final, count)


class WriteTable(beam.PTransform):
    """Rows of one table → staged files (WrittenFile), one per partition and shard."""

    def __init__(self, table_name: str, ctx: RunContext, shards: int = 1):
        super().__init__()
        self._table_name = table_name
        self._ctx = ctx
        self._shards = shards

    def expand(self, rows):
        table = all_tables()[self._table_name]
        ctx, shards = self._ctx, self._shards
        return (
            rows
            | "Stamp" >> beam.Map(Timed("write", stamp), table, ctx)
            | "KeyByPartition"
            >> beam.Map(
                lambda r: (
                    (f"{table.partition_key}={table.partition_value(r)}", shard_of(r, table, shards)),
                    r,
                )
            )
            | "GroupByPartition" >> beam.GroupByKey()
            | "WriteFiles" >> beam.ParDo(WritePartitionFn(self._table_name, ctx))
        )


def _mkdirs(path: str) -> None:
    try:
        FileSystems.mkdirs(path)
    except IOError:
        pass  # exists already; object stores have no folders to make


class IncompatibleOutput(ValueError):
    """The output folder holds files that rows of this newsbeam's schemas cannot join."""


def check_output_schemas(output: str, tables: dict = None) -> None:
    """Raise IncompatibleOutput, before anything is written, when a table in ``output`` holds
    files this newsbeam's schema cannot be appended to (:func:`schemas.append_problem`).

    Only the newest file of each table is read (by modification time): every run checked the
    files before it, so the newest stands for all, and a large output costs one footer a table.
    """
    import pyarrow.parquet as pq

    from schemas import append_problem

    tables = tables or all_tables()
    try:  # one listing for every table: on S3 an empty prefix costs Beam a round of retries
        found = FileSystems.match([FileSystems.join(output, "*", "*", "*.parquet")])[0].metadata_list
    except Exception:  # noqa: BLE001 - no such folder (a new output): nothing to be compatible with
        return
    newest: dict = {}
    for meta in found:
        name = meta.path[len(output) :].lstrip("/").split("/", 1)[0]
        key = (getattr(meta, "last_updated_in_seconds", 0) or 0, meta.path)
        if name in tables and (name not in newest or key > newest[name]):
            newest[name] = key
    for name, (_, path) in sorted(newest.items()):
        try:
            with FileSystems.open(path) as handle:
                existing = pq.read_schema(handle)
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file: say which, write nothing
            raise IncompatibleOutput(
                f"{output}/{name}: cannot read the schema of {path} ({exc}). Nothing was written."
            ) from exc
        problem = append_problem(existing, tables[name])
        if problem:
            raise IncompatibleOutput(
                f"{output}/{name} cannot take this run's rows: {problem} (seen in {path}). "
                "Nothing was written; write to a new --output or migrate the table."
            )


def check_accounting(counts: dict) -> None:
    """Every input record must be in exactly one of articles, duplicates and errors."""
    inputs = counts.get("inputs", 0)
    accounted = counts.get("articles", 0) + counts.get("duplicates", 0) + counts.get("input_errors", 0)
    if inputs != accounted:
        raise AccountingError(
            f"run lost track of records: {inputs} inputs but {counts.get('articles', 0)} articles + "
            f"{counts.get('duplicates', 0)} duplicates + {counts.get('input_errors', 0)} errors = {accounted}"
        )


def runs_row(ctx: RunContext, files: list, counts: dict, finished_at: dt.datetime) -> dict:
    per_table = {name: {"table": name, "rows": 0, "files": 0} for name in all_tables()}
    for written in files:
        per_table[written.table]["rows"] += written.rows
        per_table[written.table]["files"] += 1
    per_table["runs"].update(rows=1, files=1)
    return {
        "run_id": ctx.run_id,
        "started_at": ctx.started_at,
        "finished_at": finished_at,
        "inputs": counts.get("inputs", 0),
        "articles": counts.get("articles", 0),
        "duplicates": counts.get("duplicates", 0),
        "errors": counts.get("input_errors", 0),
        "extract_errors": counts.get("extract_errors", 0),
        "tables": list(per_table.values()),
        "window_since": ctx.window[0],
        "window_until": ctx.window[1],
        "options": ctx.options_json,
        "versions": [{"package": p, "version": v} for p, v in ctx.versions],
        "run_date": ctx.run_date,
    }


def runs_file(ctx: RunContext) -> str:
    table = runs_schema.TABLE
    return FileSystems.join(
        ctx.output, table.name, f"{table.partition_key}={ctx.run_date.isoformat()}", file_name(ctx.run_id, 0)
    )


def remove_staging(ctx: RunContext) -> None:
    """Remove this run's staging folder, and ``_staging`` itself when no other run is using it."""
    try:
        FileSystems.delete([staging_dir(ctx.output, ctx.run_id)])
        root = FileSystems.join(ctx.output, STAGING)
        if FileSystems.exists(root) and not FileSystems.match([FileSystems.join(root, "*")])[0].metadata_list:
            FileSystems.delete([root])
    except IOError as exc:  # leftovers under _staging are invisible to readers; say so and go on
        LOG.warning("could not remove staging folder: %s", exc)


class CommitRunFn(beam.DoFn):
    """All staged files → published; then the runs row, written last, marks the run complete."""

    def __init__(self, ctx: RunContext):
        self._ctx = ctx

    def process(self, files: list, counts: dict):
        with timed("write"):
            row = self._commit(files, counts)
        yield row

    def _commit(self, files: list, counts: dict) -> dict:
        ctx = self._ctx
        check_accounting(counts)
        pending = [f for f in files if not FileSystems.exists(f.final_path)]  # a retried commit moved some
        for folder in sorted({f.final_path.rsplit("/", 1)[0] for f in pending}):
            _mkdirs(folder)
        if pending:  # one batched rename: object stores move many files per request
            FileSystems.rename([f.staged_path for f in pending], [f.final_path for f in pending])
        row = runs_row(ctx, files, counts, dt.datetime.now(dt.timezone.utc))
        staged = FileSystems.join(staging_dir(ctx.output, ctx.run_id), "runs.parquet")
        write_parquet(staged, runs_schema.TABLE, [row])
        final = runs_file(ctx)
        _mkdirs(final.rsplit("/", 1)[0])
        if FileSystems.exists(final):
            FileSystems.delete([final])
        FileSystems.rename([staged], [final])
        remove_staging(ctx)
        return row


class WriteTables(beam.PTransform):
    """{table: rows} and the run's counts → every table written and committed together.

    ``counts`` is a PCollection of (name, number) pairs: inputs, articles, duplicates,
    input_errors, extract_errors. Returns the runs row.
    """

    def __init__(self, ctx: RunContext, shards: int = 1):
        super().__init__()
        self._ctx = ctx
        self._shards = shards

    def expand(self, tables_and_counts):
        tables, counts = tables_and_counts
        written = [
            rows | f"Write{name.capitalize()}" >> WriteTable(name, self._ctx, self._shards)
            for name, rows in sorted(tables.items())
        ]
        return (
            written
            | "AllFiles" >> beam.Flatten()
            | "CollectFiles" >> beam.combiners.ToList()
            | "Commit" >> beam.ParDo(CommitRunFn(self._ctx), counts=beam.pvalue.AsDict(counts))
        )


def count_rows(label: str, pcoll) -> "beam.PCollection":
    """(label, n) with n the number of elements, 0 for an empty PCollection."""
    return (
        pcoll
        | f"Count{label.title().replace('_', '')}" >> beam.combiners.Count.Globally()
        | f"Label{label.title().replace('_', '')}" >> beam.Map(lambda n, name=label: (name, n))
    )


def is_input_error(row: dict) -> bool:
    return row["stage"] in INPUT_STAGES
