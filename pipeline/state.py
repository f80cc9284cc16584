"""What a run reads back of earlier runs, and no more: the state files of the lookback window.

Three tables are state: ``fingerprints`` (cross-run dedup), ``links`` (links not fetched again)
and ``feeds`` (validators for conditional GETs). All three are partitioned by the run's day, so
a run lists the files of the last ``--dedup_lookback_days`` days from the table's current Delta
version (files of runs that did not commit, and files compaction replaced, are not among them)
and reads only those, with Beam, a file per element. What it reads is the size of the window,
not of the output's age; the bytes are recorded in the runs row (``state_bytes_read``).

A link a feed keeps listing must not fall out of the window and be fetched again: when a run
meets a link whose newest ``links`` row lies in the window's first day, it writes the row again
into its own day (same outcome and ``fetched_at``), once per window (:mod:`newsbeam.transforms.dedup.links`).
So the links state holds what the inputs still list plus the window's new links, however long a
feed or sitemap keeps an item.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, field
from typing import Optional

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from newsbeam.schemas import all_tables
from newsbeam.transforms.write.delta import open_table

#: The tables a run reads back, in the order it reads them.
STATE_TABLES = ("fingerprints", "links", "feeds")


def window_start(day: dt.date, lookback_days: int) -> dt.date:
    """The first partition day a run on ``day`` reads: ``lookback_days`` before it."""
    return day - dt.timedelta(days=lookback_days)


def carry_through(day: dt.date, lookback_days: int) -> Optional[dt.date]:
    """The day on or before which a remembered link's newest row is carried into ``day``'s
    partition: the window's first day, or None for a window of ``day`` alone (nothing older)."""
    start = window_start(day, lookback_days)
    return start if start < day else None


def state_files(
    output: str, name: str, since: dt.date, storage: Optional[dict] = None
) -> list[tuple[str, int, dt.date]]:
    """(path, bytes, partition day) of the files of table ``name`` in partitions from ``since``
    on, in its current version; [] when the table does not exist yet."""
    import pyarrow as pa

    table = open_table(output, name, storage)
    if table is None:
        return []
    spec = all_tables()[name]
    actions = pa.table(table.get_add_actions(flatten=True))
    key = f"partition.{spec.partition_key}"
    found = []
    for row in actions.select(["path", "size_bytes", key]).to_pylist():
        if row[key] is not None and row[key] >= since:
            path = FileSystems.join(output, name, urllib.parse.unquote(row["path"]))
            found.append((path, row["size_bytes"], row[key]))
    return sorted(found)


@dataclass(frozen=True)
class StatePlan:
    """Which state files a run reads: {table: [(path, bytes, partition day)]}."""

    files: dict = field(default_factory=dict)

    @property
    def bytes(self) -> int:
        return sum(size for found in self.files.values() for _, size, _ in found)


def plan_state(output: str, day: dt.date, lookback_days: int, storage: Optional[dict] = None) -> StatePlan:
    since = window_start(day, lookback_days)
    return StatePlan({name: state_files(output, name, since, storage) for name in STATE_TABLES})


def read_parquet_rows(path: str, columns: list[str]):
    """The rows of one Parquet file, read through Beam's FileSystems a row group at a time."""
    import pyarrow.parquet as pq

    with FileSystems.open(path) as handle:
        parquet = pq.ParquetFile(handle)
        for index in range(parquet.num_row_groups):
            yield from parquet.read_row_group(index, columns=columns).to_pylist()


def read_state_file(path_and_day: tuple[str, dt.date], columns: list[str], with_day: bool):
    """The rows of one state file; with ``with_day``, each with its partition's ``run_date``
    (the day is in the path, not in the file)."""
    path, day = path_and_day
    for row in read_parquet_rows(path, columns):
        yield {**row, "run_date": day} if with_day else row


def earlier_rows(p: beam.Pipeline, plan: StatePlan, name: str, with_day: bool = False):
    """The rows of table ``name`` in the plan's files, read with Beam (None when there are none);
    ``with_day`` adds each row's partition day as ``run_date``."""
    found = [(path, day) for path, _, day in plan.files.get(name, [])]
    if not found:
        return None
    label = name.capitalize()
    return (
        p
        | f"Earlier{label}Files" >> beam.Create(found)
        | f"Spread{label}Files" >> beam.Reshuffle()
        | f"ReadEarlier{label}"
        >> beam.FlatMap(read_state_file, [f.name for f in all_tables()[name].fields], with_day)
    )
