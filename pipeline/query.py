"""SQL over a newsbeam output folder with DuckDB: each table is a view of the same name."""

from __future__ import annotations

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
