"""Reading an output's Delta tables: SQL with DuckDB, each table a view of the same name
(:func:`connect`), one table's committed rows as Arrow (:func:`read_table`), and the output as it
was at an earlier version or time (``as_of``).

DuckDB scans the Arrow dataset delta-rs hands it for each table's version (filters on the
partition key prune files), so nothing here needs DuckDB's ``delta`` extension, which would be
downloaded at run time."""

from __future__ import annotations

import datetime as dt
from typing import Optional, Union

from newsbeam.schemas import TableSpec, all_tables

AsOf = Union[None, int, dt.datetime]


def parse_as_of(value: Optional[str]) -> AsOf:
    """``--as-of``: a version of the ``runs`` table (a whole number) or a time (ISO 8601; UTC
    unless it says otherwise). ValueError for anything else."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--as-of {value!r} is neither a version number nor a time like 2026-12-05T12:00:00Z"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def as_of_time(output: str, as_of: AsOf, storage: Optional[dict] = None) -> Optional[dt.datetime]:
    """The moment the tables are read at: a time as given, or when version N of ``runs`` was
    committed (every run commits its ``runs`` row last, so its other tables are in by then)."""
    from newsbeam.transforms.write.delta import commit_time, open_table

    if as_of is None or isinstance(as_of, dt.datetime):
        return as_of
    runs = open_table(output, "runs", storage)
    if runs is None:
        raise ValueError(f"{output} has no runs table, so no version {as_of}")
    for entry in runs.history():
        if entry.get("version") == as_of:
            return commit_time(output, "runs", as_of, entry["timestamp"])
    raise ValueError(f"the runs table of {output} has no version {as_of} (newsbeam history lists them)")


def open_tables(output: str, as_of: AsOf = None, storage: Optional[dict] = None) -> dict:
    """Every table of ``output`` as a ``DeltaTable`` at ``as_of`` (None where it did not exist).
    ValueError for an output written by a newsbeam from before Delta tables."""
    from newsbeam.transforms.write.delta import has_plain_parquet, open_table

    if open_table(output, "runs", storage) is None and has_plain_parquet(output, "runs"):
        raise ValueError(
            f"{output} was written by a newsbeam from before Delta tables: "
            f"run `newsbeam migrate --output {output}` once"
        )

    when = as_of_time(output, as_of, storage)
    found = {}
    # runs first: a run commits its runs row after its other tables, so every run this snapshot
    # of runs holds is whole in the tables opened after it (newer runs are filtered out).
    for name in sorted(all_tables(), key=lambda n: n != "runs"):
        try:
            found[name] = open_table(output, name, storage, version=when)
        except Exception:  # noqa: BLE001 - the table was created after that time
            if when is None:
                raise
            found[name] = None
    return found


def connect(output: str, as_of: AsOf = None, storage: Optional[dict] = None):
    """A DuckDB connection with one view per table and nothing else; a table with no rows, or
    none yet, is an empty view with the right columns, so queries work on a fresh output.

    Every view holds the rows of committed runs only (those with a ``runs`` row, which a run
    commits last): a run killed between its tables' commits is invisible here until the next
    run finishes its commit."""
    import duckdb

    con = duckdb.connect()
    tables = open_tables(output, as_of, storage)
    for name, spec in sorted(all_tables().items(), key=lambda item: item[0] != "runs"):  # runs first
        found = tables[name]
        source = found.to_pyarrow_dataset() if found is not None else table_schema(spec).empty_table()
        relation = con.from_arrow(source)
        if name != "runs":
            relation = relation.filter("run_id IN (SELECT run_id FROM runs)")
        relation.create_view(name)
    return con


def _sql_string(value: str) -> str:
    return value.replace("'", "''")


def run_query(
    output: str, sql: str, params: list | None = None, as_of: AsOf = None
) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one SQL statement over the output's tables (at ``as_of``)."""
    con = connect(output, as_of)
    result = con.execute(sql, params or [])
    if result.description is None:
        return [], []
    return [d[0] for d in result.description], result.fetchall()


def table_schema(table: TableSpec):
    """A table's rows as readers see them: the file columns, then the partition key as a date."""
    import pyarrow as pa

    key = pa.field(
        table.partition_key, pa.date32(), nullable=True, metadata={"description": table.partition_description}
    )
    return table.schema.append(key)


def read_table(output: str, name: str, as_of: AsOf = None, storage: Optional[dict] = None):
    """The rows of table ``name`` that committed runs wrote into ``output`` (a local folder,
    ``gs://`` or ``s3://``), as a ``pyarrow.Table`` with the table's schema and its partition
    key as a date column; at ``as_of`` (a version of ``runs`` or a time) when given. Rows of a
    run whose ``runs`` row is not committed are left out."""
    import pyarrow.dataset as ds

    tables = all_tables()
    if name not in tables:
        raise ValueError(f"no table {name!r}; the tables are {', '.join(tables)}")
    found = open_tables(output.rstrip("/"), as_of, storage)
    spec = tables[name]
    if found[name] is None:
        return table_schema(spec).empty_table()
    rows = found[name].to_pyarrow_dataset()
    if name == "runs":
        return conform(rows.to_table(), spec)
    import pyarrow as pa

    runs = found["runs"].to_pyarrow_dataset().to_table(columns=["run_id"]) if found["runs"] else None
    committed = pa.array(runs.column("run_id").to_pylist() if runs is not None else [], pa.string())
    return conform(rows.to_table(filter=ds.field("run_id").isin(committed)), spec)


def conform(found, spec: TableSpec):
    """Rows in the table's schema as this newsbeam defines it: its column order, types and
    descriptions; a column the table does not have yet (a newer schema) reads as nulls."""
    import pyarrow as pa

    schema = table_schema(spec)
    for f in schema:
        if f.name not in found.column_names:
            found = found.append_column(f.name, pa.nulls(found.num_rows, f.type))
    return found.select(schema.names).cast(schema)
