"""Every table is a Delta Lake table (delta-rs, the ``deltalake`` package): the folder
``DIR/<table>/`` with its ``_delta_log/``, partitioned by the table's partition key.

Beam writes the Parquet files into the table folders; they are invisible to every Delta reader
until a transaction of the table's log adds them. :func:`commit_table` is that transaction, one
per table and run, and carries the run as a Delta *app transaction* (``newsbeam-run-<run_id>``,
version 1): a table whose log already holds it is not committed again, so a retried or recovered
commit adds nothing twice.

Schemas: :func:`prepare_tables` creates every table, empty, with its columns and their
descriptions, the table's description and ``newsbeam.schema_version`` in the table's metadata,
and adds the nullable columns a newer newsbeam writes. A change Delta cannot make by adding
nullable columns stops the run before it writes (:class:`IncompatibleOutput`).

Storage: delta-rs reaches ``s3://`` and ``gs://`` with its own object store client; the options
it needs come from Beam's S3 options (:func:`storage_options`). On S3, commits use conditional
PUT (``AWS_CONDITIONAL_PUT=etag``), so two writers never overwrite each other's log entry.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import asdict, dataclass
from typing import Optional

from newsbeam.schemas import NULL_PARTITION, TableSpec, all_tables, append_problem

#: Table metadata key holding the schema version of the table's newsbeam schema.
SCHEMA_VERSION = "newsbeam.schema_version"
#: Commit metadata keys: which run made a version, and what kind of operation it was.
RUN_ID = "newsbeam.run_id"
OPERATION = "newsbeam.operation"
FILES_ADDED = "newsbeam.files_added"
ROWS_ADDED = "newsbeam.rows_added"
#: The Delta app id a run's commit carries in every table it adds files to.
APP_PREFIX = "newsbeam-run-"


class IncompatibleOutput(ValueError):
    """The output holds tables that rows of this newsbeam's schemas cannot join."""


@dataclass(frozen=True)
class FileAdd:
    """A Parquet file Beam wrote into a table folder, as the table's log will add it."""

    table: str
    #: Relative to the table folder: ``<key>=<value>/part-<run_id>-NNNNN.parquet``.
    path: str
    #: The partition key's value as text (an ISO day), None for the null partition.
    partition_value: Optional[str]
    rows: int
    size: int
    modified_ms: int

    def to_json(self) -> dict:
        return asdict(self)


def is_remote(output: str) -> bool:
    return "://" in output and not output.startswith("file://")


def table_uri(output: str, name: str) -> str:
    """Where table ``name`` of ``output`` lives, as delta-rs wants it (local paths absolute)."""
    if is_remote(output):
        return f"{output.rstrip('/')}/{name}"
    if output.startswith("file://"):
        output = output[len("file://") :]
    return os.path.join(os.path.abspath(output), name)


def storage_options(pipeline_options=None) -> dict:
    """delta-rs storage options from Beam's S3 options (endpoint, keys, region); empty where
    none are set, so delta-rs takes credentials from the environment as Beam's clients do."""
    if pipeline_options is None:
        return {}
    from apache_beam.options.pipeline_options import S3Options

    s3 = pipeline_options.view_as(S3Options)
    found = {
        "AWS_ENDPOINT_URL": s3.s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": s3.s3_access_key_id,
        "AWS_SECRET_ACCESS_KEY": s3.s3_secret_access_key,
        "AWS_SESSION_TOKEN": s3.s3_session_token,
        "AWS_REGION": s3.s3_region_name,
    }
    options = {key: value for key, value in found.items() if value}
    if (s3.s3_endpoint_url or "").startswith("http://") or s3.s3_disable_ssl:
        options["AWS_ALLOW_HTTP"] = "true"
    return options


def with_s3_defaults(uri: str, options: dict) -> dict:
    """The options a table at ``uri`` is opened with: on S3, commits by conditional PUT."""
    if uri.startswith(("s3://", "s3a://")):
        return {"AWS_CONDITIONAL_PUT": "etag", **options}
    return dict(options)


def delta_schema(spec: TableSpec):
    """The table's Delta schema: its file columns, then its partition key as a date; each
    column's description is kept as ``description`` and as ``comment`` (Spark's name for it)."""
    import pyarrow as pa
    from deltalake.schema import Schema

    def described(field: pa.Field) -> pa.Field:
        text = (field.metadata or {}).get(b"description", b"").decode("utf-8")
        return field.with_metadata({"description": text, "comment": text})

    key = pa.field(spec.partition_key, pa.date32(), metadata={"description": spec.partition_description})
    return Schema.from_arrow(pa.schema([described(f) for f in [*spec.fields, key]]))


def open_table(output: str, name: str, storage: Optional[dict] = None, version=None):
    """Table ``name`` of ``output`` (a ``DeltaTable``), at ``version`` (a number, or a
    ``datetime`` for the last version committed by then) or its newest; None if there is none."""
    from deltalake import DeltaTable

    uri = table_uri(output, name)
    options = with_s3_defaults(uri, storage or {})
    if not DeltaTable.is_deltatable(uri, storage_options=options):
        return None
    table = DeltaTable(uri, storage_options=options, version=version if isinstance(version, int) else None)
    if isinstance(version, dt.datetime):
        table.load_as_version(version)
    return table


def commit_time(output: str, name: str, version: int, recorded_ms: int) -> dt.datetime:
    """When ``version`` of table ``name`` was committed, as delta-rs time travel reads it: the
    modification time of the version's log file, to the next millisecond.

    delta-rs's ``load_as_version(datetime)`` compares log files' modification times (delta-rs
    #1972), while ``history()`` gives the ``commitInfo`` timestamp, taken before the file is
    written; read as of that earlier moment, a table can come back one version short.
    ``recorded_ms`` (the ``commitInfo`` timestamp) stands in when the log file is gone."""
    from apache_beam.io.filesystems import FileSystems

    path = FileSystems.join(table_uri(output, name), "_delta_log", f"{version:020d}.json")
    try:
        seconds = FileSystems.match([path])[0].metadata_list[0].last_updated_in_seconds
    except (IndexError, OSError, ValueError):  # cleaned up, or a store that gives no time
        seconds = 0.0
    millis = max(math.ceil(seconds * 1000), recorded_ms)
    return dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc)


def table_problem(table, spec: TableSpec) -> tuple[Optional[str], list]:
    """Why this newsbeam cannot append to the Delta ``table`` (None if it can), and the
    columns of ``spec`` the table lacks (nullable ones, which :func:`prepare_tables` adds)."""
    import pyarrow as pa

    metadata = table.metadata()
    if list(metadata.partition_columns) != [spec.partition_key]:
        return (
            f"it is partitioned by {list(metadata.partition_columns)}, not [{spec.partition_key!r}]",
            [],
        )
    version = metadata.configuration.get(SCHEMA_VERSION, "0")
    columns = [f for f in pa.schema(table.schema().to_arrow()) if f.name != spec.partition_key]
    existing = pa.schema(columns, metadata={SCHEMA_VERSION: version})
    problem = append_problem(existing, spec)
    theirs = set(existing.names)
    new = [f for f in delta_schema(spec).fields if f.name not in theirs and f.name != spec.partition_key]
    return problem, new


def prepare_tables(
    output: str, storage: Optional[dict] = None, tables: Optional[dict] = None, check_layout: bool = True
) -> list[str]:
    """Make every table ready for this run's rows, before anything is written: create the tables
    that do not exist yet (empty, with their schema), and add the nullable columns this newsbeam
    writes to tables that lack them. Raises :class:`IncompatibleOutput`, having changed nothing,
    when a table cannot take the rows (a newer schema, another type, a dropped column), or when
    the output was written by a newsbeam from before Delta tables. Returns the tables changed."""
    from deltalake import DeltaTable
    from deltalake.transaction import CommitProperties

    tables = tables or all_tables()
    storage = storage or {}
    found, problems = {}, []
    for name, spec in tables.items():
        table = open_table(output, name, storage)
        if table is None:
            if check_layout and has_plain_parquet(output, name):
                raise IncompatibleOutput(
                    f"{output}/{name} holds Parquet files but no Delta log: the output was written "
                    f"by a newsbeam from before Delta tables. Nothing was written; run "
                    f"`newsbeam migrate --output {output}` once, then run again."
                )
            found[name] = None
            continue
        problem, new = table_problem(table, spec)
        if problem:
            problems.append(f"{output}/{name} cannot take this run's rows: {problem}")
        found[name] = (table, new)
    if problems:
        raise IncompatibleOutput(
            "; ".join(problems) + ". Nothing was written; write to a new --output or migrate the table."
        )
    changed = []
    for name, spec in tables.items():
        uri = table_uri(output, name)
        options = with_s3_defaults(uri, storage)
        properties = CommitProperties(custom_metadata={OPERATION: "schema"})
        if found[name] is None:
            properties = CommitProperties(custom_metadata={OPERATION: "create"})
            DeltaTable.create(
                uri,
                delta_schema(spec),
                mode="ignore",  # another run created it meanwhile: checked on its next run
                partition_by=[spec.partition_key],
                name=spec.name,
                description=spec.description,
                configuration={SCHEMA_VERSION: str(spec.version)},
                storage_options=options,
                raise_if_key_not_exists=False,
                commit_properties=properties,
            )
            changed.append(name)
            continue
        table, new = found[name]
        if new:
            table.alter.add_columns(new, commit_properties=properties)
        if new or table.metadata().configuration.get(SCHEMA_VERSION) != str(spec.version):
            table.alter.set_table_properties(
                {SCHEMA_VERSION: str(spec.version)}, raise_if_not_exists=False, commit_properties=properties
            )
            table.alter.set_table_description(spec.description, commit_properties=properties)
            changed.append(name)
    return changed


def has_plain_parquet(output: str, name: str) -> bool:
    """True when the table folder holds partition folders of Parquet files (the layout of
    newsbeam before Delta tables)."""
    from apache_beam.io.filesystems import FileSystems

    pattern = "/".join([output.rstrip("/"), name, "*=*", "*.parquet"])
    try:
        return bool(FileSystems.match([pattern])[0].metadata_list)
    except Exception:  # noqa: BLE001 - no such folder
        return False


def app_id(run_id: str) -> str:
    return APP_PREFIX + run_id


def run_committed(output: str, run_id: str, storage: Optional[dict] = None) -> bool:
    """True when run ``run_id`` committed into ``output``: the ``runs`` table, committed last,
    holds its app transaction."""
    table = open_table(output, "runs", storage)
    return table is not None and table.transaction_version(app_id(run_id)) is not None


def commit_table(
    output: str, name: str, adds: list[FileAdd], run_id: str, storage: Optional[dict] = None, fault=None
) -> bool:
    """Add the run's files to table ``name`` as one Delta transaction carrying the run's app
    transaction; nothing when the table holds it already. True when this call committed."""
    spec = all_tables()[name]
    table = open_table(output, name, storage)
    if table is None:  # WriteTables used without prepare_tables (or the table was removed): make it
        prepare_tables(output, storage, {name: spec}, check_layout=False)
        table = open_table(output, name, storage)
    if table.transaction_version(app_id(run_id)) is not None:
        return False
    if fault:
        fault(f"commit.delta.{name}")
    add_files(table, spec, adds, app_id(run_id), {RUN_ID: run_id, OPERATION: "run"})
    return True


def add_files(table, spec: TableSpec, adds: list[FileAdd], app: str, metadata: dict) -> None:
    """One Delta transaction adding the files ``adds`` to ``table``: it carries the app
    transaction ``app`` (version 1) and, in its commit info, ``metadata`` with the files and
    rows it adds (``newsbeam history`` shows them)."""
    from deltalake.transaction import AddAction, CommitProperties, Transaction

    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    actions = [
        AddAction(
            add.path,
            add.size,
            {spec.partition_key: add.partition_value},
            add.modified_ms,
            True,
            json.dumps({"numRecords": add.rows}),
        )
        for add in adds
    ]
    table.create_write_transaction(
        actions,
        mode="append",
        schema=table.schema(),
        partition_by=[spec.partition_key],
        commit_properties=CommitProperties(
            custom_metadata={**metadata, FILES_ADDED: len(adds), ROWS_ADDED: sum(add.rows for add in adds)},
            app_transactions=[Transaction(app, 1, now)],
        ),
    )


def partition_value(folder: str) -> Optional[str]:
    """``published_date=2026-11-20`` → ``2026-11-20``; Hive's null partition → None."""
    value = folder.split("=", 1)[1]
    return None if value == NULL_PARTITION else value
