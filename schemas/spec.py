"""What a table is: :class:`TableSpec` (its file schema, partition key and version), the field
constructor that carries a description, and the rule for appending to older files.

Rows travel through the pipeline as plain dicts holding every file column plus the partition
key; the writer turns them into Arrow with :func:`TableSpec.to_arrow`, which fails loudly on a
missing, extra or mistyped column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import pyarrow as pa

#: Hive's name for a partition whose value is null; DuckDB, Spark, Polars and pyarrow read it as NULL.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


class SchemaMismatch(ValueError):
    """A row does not match its table's schema."""


def field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    """A schema field that carries its description in the Parquet file's Arrow metadata."""
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


@dataclass(frozen=True)
class TableSpec:
    """A table: its file schema, its Hive partition key, and its version."""

    name: str
    version: int
    description: str
    fields: tuple[pa.Field, ...]
    partition_key: str
    partition_description: str

    @property
    def schema(self) -> pa.Schema:
        """The schema of the Parquet files (the partition key lives in the folder names)."""
        return pa.schema(
            list(self.fields),
            metadata={
                "newsbeam.table": self.name,
                "newsbeam.schema_version": str(self.version),
                "newsbeam.partition_key": self.partition_key,
                "description": self.description,
            },
        )

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def partition_value(self, row: dict) -> str:
        """The folder name part for a row, e.g. ``2015-11-17``; null gives Hive's default name."""
        value = row[self.partition_key]
        if value is None:
            return NULL_PARTITION
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise SchemaMismatch(f"{self.name}.{self.partition_key} must be a date or None, got {value!r}")
        return value.isoformat()

    def check_row(self, row: dict) -> None:
        """Raise SchemaMismatch unless the row has exactly the table's columns and partition key."""
        expected = set(self.columns) | {self.partition_key}
        keys = set(row)
        if keys != expected:
            missing = sorted(expected - keys)
            extra = sorted(keys - expected)
            raise SchemaMismatch(
                f"row for table {self.name!r} does not match schema v{self.version}: "
                f"missing {missing}, unexpected {extra}"
            )

    def to_arrow(self, rows: list[dict]) -> pa.Table:
        """Rows to an Arrow table with exactly this schema (the partition key is left out)."""
        for row in rows:
            self.check_row(row)
        columns = self.columns
        try:
            table = pa.Table.from_pylist([{c: row[c] for c in columns} for row in rows], schema=self.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise SchemaMismatch(f"rows for table {self.name!r} do not fit schema: {exc}") from exc
        # Arrow does not enforce nullable=False when building from Python objects: we do.
        for f in self.fields:
            if not f.nullable and table.column(f.name).null_count:
                raise SchemaMismatch(f"{self.name}.{f.name} is required but a row has null")
        return table


def append_problem(existing: pa.Schema, spec: TableSpec) -> Optional[str]:
    """Why rows of ``spec`` cannot be appended beside a file written with ``existing``, or None.

    Appending is compatible when the file's version is not newer than ours, every column it has
    we still write with the same type, and every column we add is nullable: readers that union
    files by name (DuckDB, Polars, Spark, BigQuery) then read old files with nulls there.
    """
    metadata = existing.metadata or {}
    version = int(metadata.get(b"newsbeam.schema_version", b"0") or 0)
    if version > spec.version:
        return f"its files are schema v{version}, newer than the v{spec.version} this newsbeam writes; upgrade newsbeam"
    ours = {f.name: f for f in spec.fields}
    for old in existing:
        if old.name not in ours:
            return f"its files have a column {old.name!r} that schema v{spec.version} no longer has"
        if not old.type.equals(ours[old.name].type):
            return f"column {old.name!r} is {old.type} in its files but {ours[old.name].type} in schema v{spec.version}"
    theirs = set(existing.names)
    for new in spec.fields:
        if new.name not in theirs and not new.nullable:
            return f"schema v{spec.version} adds the required column {new.name!r}, which its files lack"
    return None
