"""Reading an output folder: SQL with DuckDB, each table a view of the same name
(:func:`connect`), and one table's committed rows as Arrow (:func:`read_table`)."""

from __future__ import annotations

import datetime as dt
import glob
import os

from newsbeam.schemas import TableSpec, all_tables

#: DuckDB types of the partition keys, so they read as dates whatever the folder names hold.
PARTITION_TYPES = {"published_date": "DATE", "run_date": "DATE"}


def table_files(output: str, table: TableSpec) -> str:
    return os.path.join(output, table.name, "**", "*.parquet")


def connect(output: str):
    """A DuckDB connection with one view per table; a table with no files yet is an empty view
    with the right columns, so queries work on a fresh or partial output folder.

    Every view holds the rows of committed runs only (those with a ``runs`` row, which a run
    writes last): a run killed halfway through publishing its files is invisible here until
    the next run finishes its commit."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    tables = sorted(all_tables().values(), key=lambda t: t.name != "runs")  # runs first
    for table in tables:
        pattern = table_files(output, table)
        if glob.glob(pattern, recursive=True):
            committed = "" if table.name == "runs" else " WHERE run_id IN (SELECT run_id FROM runs)"
            con.execute(
                f"CREATE VIEW {table.name} AS SELECT * FROM read_parquet("
                f"'{_sql_string(pattern)}', hive_partitioning = true, union_by_name = true, "
                f"hive_types = {{'{table.partition_key}': {PARTITION_TYPES[table.partition_key]}}}){committed}"
            )
        else:
            empty = table.schema.append(pa.field(table.partition_key, pa.date32())).empty_table()
            con.register(f"_{table.name}_empty", empty)
            con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM _{table.name}_empty")
    return con


def _sql_string(value: str) -> str:
    return value.replace("'", "''")


def run_query(output: str, sql: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one SQL statement over the output's tables."""
    con = connect(output)
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


def read_table(output: str, name: str):
    """The rows of table ``name`` that committed runs wrote into ``output`` (a local folder,
    ``gs://`` or ``s3://``), as a ``pyarrow.Table`` with the table's current schema and its
    partition key as a date column. Files older schema versions wrote read with nulls in the
    columns added since; rows of a run that has not committed (no ``runs`` row) are left out."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from apache_beam.io.filesystems import FileSystems

    from newsbeam.schemas import NULL_PARTITION
    from newsbeam.transforms.write.commit import list_output, published

    tables = all_tables()
    if name not in tables:
        raise ValueError(f"no table {name!r}; the tables are {', '.join(tables)}")
    output = output.rstrip("/")
    files = published(output, list_output(output))

    def rows(path: str, table: TableSpec) -> pa.Table:
        """One file's rows in the table's current schema, the partition key from the folder."""
        schema = table_schema(table)
        with FileSystems.open(path) as handle:
            found = pq.read_table(handle)
        value = path.rsplit("/", 2)[-2].split("=", 1)[1]
        day = None if value == NULL_PARTITION else dt.date.fromisoformat(value)
        found = found.append_column(table.partition_key, pa.array([day] * found.num_rows, pa.date32()))
        for f in schema:
            if f.name not in found.column_names:  # a column added since that file was written
                found = found.append_column(f.name, pa.nulls(found.num_rows, f.type))
        return found.select(schema.names).cast(schema)

    def every(table: TableSpec) -> list[pa.Table]:
        return [rows(m.path, table) for m in sorted(files.get(table.name, []), key=lambda m: m.path)]

    table = tables[name]
    parts = every(table)
    if name != "runs":
        committed = pa.array(
            sorted({r for part in every(tables["runs"]) for r in part["run_id"].to_pylist()})
        )
        parts = [part.filter(pc.is_in(part["run_id"], committed.cast(pa.string()))) for part in parts]
    return pa.concat_tables(parts) if parts else table_schema(table).empty_table()
