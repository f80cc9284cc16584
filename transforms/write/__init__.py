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

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from newsbeam.schemas import all_tables
from newsbeam.schemas import runs as runs_schema
from newsbeam.transforms.common.errors import INPUT_STAGES
from newsbeam.transforms.common.timing import Timed, timed
from newsbeam.transforms.write.commit import (
    apply_moves,
    check_accounting,
    fault_point,
    remove_staging,
    runs_file,
    runs_row,
    write_manifest,
)
from newsbeam.transforms.write.tables import (
    RunContext,
    WrittenFile,
    file_name,
    shard_of,
    staging_dir,
    stamp,
    write_parquet,
)

__all__ = ["WriteTables", "RunContext"]


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
        fault_point("write.staged")
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


class CommitRunFn(beam.DoFn):
    """All staged files → published; then the runs row, written last, marks the run complete.

    The commit has a point of no return, the manifest (:func:`write_manifest`): a run killed
    before it has published nothing, and one killed after it is finished by the next run
    (:func:`recover_commits`) exactly as it would have finished itself.
    """

    def __init__(self, ctx: RunContext):
        self._ctx = ctx

    def process(self, files: list, counts: dict):
        with timed("write"):
            row = self._commit(files, counts)
        yield row

    def _commit(self, files: list, counts: dict) -> dict:
        ctx = self._ctx
        check_accounting(counts)
        row = runs_row(ctx, files, counts, dt.datetime.now(dt.timezone.utc))
        staged_runs = FileSystems.join(staging_dir(ctx.output, ctx.run_id), "runs.parquet")
        write_parquet(staged_runs, runs_schema.TABLE, [row])
        moves = [(f.staged_path, f.final_path) for f in files] + [(staged_runs, runs_file(ctx))]
        fault_point("commit.before_manifest")
        write_manifest(ctx.output, ctx.run_id, moves)
        fault_point("commit.after_manifest")
        apply_moves(moves)
        fault_point("commit.before_cleanup")
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
