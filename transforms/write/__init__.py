"""Write the tables as Delta Lake tables, published all at once when the run commits.

Each table's rows are validated against its schema in ``schemas/``, grouped by partition (and
shard), and written in parallel as zstd Parquet files straight into the table's folder,
``DIR/<table>/<key>=<value>/part-<run_id>-NNNNN.parquet``. No reader sees them until the commit
adds them to the table's Delta log (:mod:`.delta`): one transaction per table, the ``runs`` row
last, after a manifest that is the run's commit point (:mod:`.commit`). File names are
deterministic, so a retried bundle rewrites the same file instead of adding one.
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
    check_accounting,
    commit_tables,
    fault_point,
    pass_commit_point,
    read_runs_file,
    remove_staging,
    resume_commit,
    runs_file,
    runs_row,
    written_file,
)
from newsbeam.transforms.write.delta import FileAdd
from newsbeam.transforms.write.tables import RunContext, file_name, shard_of, stamp, write_parquet

__all__ = ["CountRows", "WriteTables", "RunContext"]


class WritePartitionFn(beam.DoFn):
    """((partition folder, shard), rows) → one Parquet file in the table's folder (a FileAdd)."""

    def __init__(self, table_name: str, ctx: RunContext):
        self._table_name = table_name
        self._ctx = ctx

    def process(self, keyed):
        (partition, shard), rows = keyed
        table = all_tables()[self._table_name]
        relative = f"{partition}/{file_name(self._ctx.run_id, shard)}"
        path = FileSystems.join(self._ctx.output, self._table_name, relative)
        with timed("write"):
            count = write_parquet(path, table, rows)
            written = written_file(self._table_name, relative, path, count)
        fault_point("write.staged")
        beam.metrics.Metrics.counter("newsbeam", f"{self._table_name}_rows_written").inc(count)
        yield written


class WriteTable(beam.PTransform):
    """Rows of one table → files in its folder (FileAdd), one per partition and shard."""

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
    """All written files → added to their tables' Delta logs; then the runs row, committed last,
    marks the run complete.

    The commit has a point of no return, the manifest (:func:`write_manifest`): a run killed
    before it has published nothing, and one killed after it is finished by the next run
    (:func:`recover_commits`) exactly as it would have finished itself. A run its launcher
    stopped (SIGINT, SIGTERM) does not pass it (:func:`check_not_stopped`).
    """

    def __init__(self, ctx: RunContext):
        self._ctx = ctx

    def process(self, files: list, counts: dict):
        with timed("commit"):  # the manifest, the runs row and each table's Delta transaction
            row = self._commit(files, counts)
        yield row

    def _commit(self, files: list, counts: dict) -> dict:
        ctx = self._ctx
        if resume_commit(ctx):  # a retry of this step after its commit point: finish, rewrite nothing
            return read_runs_file(ctx)
        check_accounting(counts)
        row = runs_row(ctx, files, counts, dt.datetime.now(dt.timezone.utc))
        relative, path = runs_file(ctx)
        written = written_file("runs", relative, path, write_parquet(path, runs_schema.TABLE, [row]))
        adds: dict[str, list[FileAdd]] = {}
        for add in [*sorted(files, key=lambda f: (f.table, f.path)), written]:
            adds.setdefault(add.table, []).append(add)
        fault_point("commit.before_manifest")
        pass_commit_point(ctx.output, ctx.run_id, adds)
        fault_point("commit.after_manifest")
        commit_tables(ctx.output, ctx.run_id, adds, ctx.storage_options)
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


class CountRows(beam.PTransform):
    """{label: PCollection} → (label, n) for every label, n its number of elements (0 for an
    empty one). One combine counts them all: a ``Count.Globally`` each cost the graph 14
    transforms and the run a stage apiece."""

    def expand(self, pcolls: dict):
        ones = [
            pcoll | f"One{label.title().replace('_', '')}" >> beam.Map(lambda _, name=label: (name, 1))
            for label, pcoll in pcolls.items()
        ]
        zeros = next(iter(pcolls.values())).pipeline | "EveryLabel" >> beam.Create(
            [(label, 0) for label in pcolls]
        )
        return (*ones, zeros) | "AllOnes" >> beam.Flatten() | "Sum" >> beam.CombinePerKey(sum)


def is_input_error(row: dict) -> bool:
    return row["stage"] in INPUT_STAGES
