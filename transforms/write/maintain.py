"""Keeping an output's Delta tables in shape: compaction, vacuum and history.

- :func:`compact_partitions` rewrites a table's small files into files of up to a target size
  (delta-rs ``optimize.compact``): one Delta version that removes the small files and adds the
  new ones, with the same rows and ids. Readers of an older version still find the old files.
- :func:`vacuum_table` deletes files no version within the retention period refers to: files
  compaction replaced, and files of runs that died before their commit point.
- :func:`table_history` lists a table's versions with the run (or the command) that made them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Optional

from newsbeam.schemas import all_tables
from newsbeam.transforms.write.delta import FILES_ADDED, OPERATION, ROWS_ADDED, RUN_ID, open_table

#: Compaction's target file size: 128 MiB, as Spark's and delta-rs's optimize aim for ~100 MiB+.
TARGET_SIZE = 128 * 1024 * 1024
#: Vacuum keeps files a version of the last 7 days refers to, Delta's default, so readers and
#: time travel within a week keep working; a run in progress is never older than this.
RETENTION_HOURS = 168
#: Vacuum never goes below a day: files a running run has written but not committed yet are
#: younger than the run, and must not be taken for leftovers (keep it above your longest run).
MIN_RETENTION_HOURS = 24


def _table(output: str, name: str, storage: Optional[dict]):
    table = open_table(output, name, storage)
    if table is None:
        raise ValueError(f"{output}/{name} is not a Delta table (is {output} a newsbeam output?)")
    return table


def partition_files(table) -> dict[Optional[str], int]:
    """How many files each partition of the table's current version holds."""
    key = table.metadata().partition_columns[0]
    actions = table.get_add_actions(flatten=True)
    column = f"partition.{key}"
    counts: dict = defaultdict(int)
    if actions.num_rows:
        import pyarrow as pa

        for value in pa.table(actions).column(column).to_pylist():
            counts[value.isoformat() if isinstance(value, dt.date) else value] += 1
    return dict(counts)


def crowded_partitions(output: str, run_id: str, max_files: int, storage: Optional[dict] = None) -> dict:
    """{table: [partition values]}: the partitions run ``run_id`` added files to that hold more
    than ``max_files`` files."""
    import pyarrow as pa

    found = {}
    for name in all_tables():
        table = open_table(output, name, storage)
        if table is None:
            continue
        key = table.metadata().partition_columns[0]
        actions = pa.table(table.get_add_actions(flatten=True))
        if not actions.num_rows:
            continue
        marker = f"part-{run_id}-"
        touched = {
            value.isoformat() if isinstance(value, dt.date) else value
            for path, value in zip(
                actions.column("path").to_pylist(),
                actions.column(f"partition.{key}").to_pylist(),
                strict=False,
            )
            if marker in path
        }
        counts = partition_files(table)
        crowded = sorted((v for v in touched if counts.get(v, 0) > max_files), key=str)
        if crowded:
            found[name] = crowded
    return found


def compact_partitions(
    output: str,
    name: str,
    partitions: Optional[list] = None,
    target_size: int = TARGET_SIZE,
    storage: Optional[dict] = None,
    run_id: Optional[str] = None,
) -> int:
    """Rewrite the small files of table ``name`` (of the given partition values, or all) into
    files of up to ``target_size`` bytes, one Delta version. Returns how many files it removed."""
    from deltalake.transaction import CommitProperties

    table = _table(output, name, storage)
    key = table.metadata().partition_columns[0]
    metadata = {OPERATION: "compact"}
    if run_id:
        metadata[RUN_ID] = run_id
    removed = 0
    for value in partitions if partitions is not None else [None]:
        filters = None
        if partitions is not None:  # delta-rs's filter for the null partition is the empty string
            filters = [(key, "=", value if value is not None else "")]
        metrics = table.optimize.compact(
            partition_filters=filters,
            target_size=target_size,
            commit_properties=CommitProperties(custom_metadata=metadata),
        )
        removed += metrics["numFilesRemoved"]
        table.update_incremental()
    return removed


def vacuum_table(
    output: str,
    name: str,
    retention_hours: int = RETENTION_HOURS,
    dry_run: bool = False,
    storage: Optional[dict] = None,
) -> list[str]:
    """Delete the files of table ``name`` that no version of the last ``retention_hours``
    refers to, and that are older than that: replaced by compaction, or left by a run that
    died before its commit point. Returns the files (relative to the table) deleted, or that
    would be with ``dry_run``. Log entries older than the table's log retention go too."""
    from deltalake.transaction import CommitProperties

    if retention_hours < MIN_RETENTION_HOURS:
        raise ValueError(
            f"--retention-hours must be at least {MIN_RETENTION_HOURS}: a run in progress has files "
            "no version refers to yet"
        )
    table = _table(output, name, storage)
    deleted = table.vacuum(
        retention_hours=retention_hours,
        dry_run=dry_run,
        enforce_retention_duration=False,
        full=True,  # also files no version ever referred to: those of runs that never committed
        commit_properties=CommitProperties(custom_metadata={OPERATION: "vacuum"}),
    )
    if not dry_run:
        table.cleanup_metadata()
    return sorted(deleted)


def table_history(
    output: str, name: str, storage: Optional[dict] = None, limit: Optional[int] = None
) -> list[dict]:
    """The versions of table ``name`` (its last ``limit``, or all), oldest first: version, time,
    operation (create, run, compact, vacuum, schema, migrate), the run id that made it, files
    added and removed, rows added."""
    table = _table(output, name, storage)
    rows = []
    for entry in table.history(limit):
        metrics = entry.get("operationMetrics") or {}
        operation = entry.get(OPERATION) or entry.get("operation")
        rows.append(
            {
                "table": name,
                "version": entry.get("version"),
                "committed_at": dt.datetime.fromtimestamp(entry["timestamp"] / 1000, dt.timezone.utc),
                "operation": str(operation).lower(),
                "run_id": entry.get(RUN_ID),
                "files_added": _number({**metrics, **entry}, FILES_ADDED, "numFilesAdded", "numAddedFiles"),
                "files_removed": _number(metrics, "numFilesRemoved", "numRemovedFiles"),
                "rows_added": _number(entry, ROWS_ADDED),
            }
        )
    return sorted(rows, key=lambda row: row["version"])


def _number(metrics: dict, *keys) -> Optional[int]:
    for key in keys:
        if key in metrics:
            try:
                return int(metrics[key])
            except (TypeError, ValueError):
                return None
    return None
