"""``newsbeam migrate``: an output written by newsbeam before Delta tables becomes Delta tables, in
place.

That layout was Hive-partitioned Parquet, ``<table>/<key>=<value>/part-<run_id>-NNNNN.parquet``,
published by renames from ``_staging`` and marked complete by a ``runs`` row. Migrating:

1. finishes the commits of runs that died after their commit point (their manifests list the
   renames), as that newsbeam's next run would have;
2. checks every file against today's schemas, and stops before changing anything if one cannot
   join (a newer schema version, a changed type other than the one below);
3. creates each table's Delta log in one transaction that adds the files of committed runs where
   they are. Files of runs that never committed are left out (``newsbeam vacuum`` deletes them).
   Files older schema versions wrote keep their fewer columns: Delta reads the columns added
   since as nulls. Only a ``fingerprints`` file of schema v1 is rewritten, because its
   ``signature`` is uint32, which Delta lacks; the copy holds int64 with the same values;
4. creates the ``runs`` table last, and is safe to run again: tables that are Delta already are
   left alone, so a migration that was stopped is finished by running it again.
"""

from __future__ import annotations

import json
import re
from typing import Optional

from apache_beam.io.filesystems import FileSystems

from newsbeam.schemas import all_tables, append_problem
from newsbeam.transforms.write.delta import (
    OPERATION,
    FileAdd,
    IncompatibleOutput,
    add_files,
    open_table,
    partition_value,
    prepare_tables,
)
from newsbeam.transforms.write.tables import STAGING

#: The app transaction of the commit that adds a migrated table's files.
MIGRATE_APP = "newsbeam-migrate"
PART = re.compile(r"^part-(?P<run_id>.+)-\d{5}\.parquet$")


def _match(pattern: str) -> list:
    try:
        return FileSystems.match([pattern])[0].metadata_list
    except Exception:  # noqa: BLE001 - nothing there
        return []


def finish_old_commits(output: str) -> list[str]:
    """Apply the renames of old-layout commit manifests (``{"moves": [[staged, final], ...]}``),
    data first and the runs row last, as the old newsbeam's recovery did."""
    done = []
    for meta in sorted(_match(FileSystems.join(output, STAGING, "*", "_COMMIT.json")), key=lambda m: m.path):
        with FileSystems.open(meta.path) as handle:
            manifest = json.loads(handle.read().decode("utf-8"))
        if "moves" not in manifest:
            continue
        moves = [tuple(move) for move in manifest["moves"]]
        pending = [(staged, final) for staged, final in moves if FileSystems.exists(staged)]
        last = [move for move in pending if move == moves[-1]]
        for group in ([m for m in pending if m not in last], last):
            for _staged, final in group:
                try:
                    FileSystems.mkdirs(final.rsplit("/", 1)[0])
                except IOError:
                    pass
            if group:
                FileSystems.rename([s for s, _ in group], [f for _, f in group])
        folder = meta.path.rsplit("/", 1)[0]
        leftovers = [m.path for m in _match(FileSystems.join(folder, "**"))]
        if leftovers:
            FileSystems.delete(leftovers)
        done.append(manifest["run_id"])
    return done


def _file_schema(path: str):
    import pyarrow.parquet as pq

    with FileSystems.open(path) as handle:
        return pq.read_schema(handle)


def _widens(old, new) -> bool:
    """True when every value of type ``old`` is a value of type ``new`` (uint32 → int64)."""
    import pyarrow as pa

    if pa.types.is_list(old) and pa.types.is_list(new):
        return old.value_type.equals(new.value_type) or _widens(old.value_type, new.value_type)
    if pa.types.is_integer(old) and pa.types.is_integer(new):
        if pa.types.is_signed_integer(old):
            return pa.types.is_signed_integer(new) and new.bit_width >= old.bit_width
        return (
            new.bit_width > old.bit_width
            if pa.types.is_signed_integer(new)
            else new.bit_width >= old.bit_width
        )
    return False


def migration_problem(existing, spec) -> Optional[str]:
    """Why a file of schema ``existing`` cannot join table ``spec`` (None if it can): as for
    appending (:func:`newsbeam.schemas.append_problem`), except that a column whose type today's
    type holds every value of (uint32 in int64) is rewritten rather than refused."""
    import pyarrow as pa

    ours = {f.name: f for f in spec.fields}
    fields = [ours[f.name] if f.name in ours and _widens(f.type, ours[f.name].type) else f for f in existing]
    return append_problem(pa.schema(fields, metadata=existing.metadata), spec)


def _needs_rewrite(existing, spec) -> bool:
    """A column whose stored type is not the type Delta declares for it (v1's uint32 signature)."""
    ours = {f.name: f.type for f in spec.fields}
    return any(not f.type.equals(ours[f.name]) for f in existing if f.name in ours)


def _rewrite(path: str, spec) -> str:
    """A copy of the file with today's column types (same rows, same columns), beside it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with FileSystems.open(path) as handle:
        found = pq.read_table(handle)
    ours = {f.name: f for f in spec.fields}
    columns = [found.column(f.name).cast(ours[f.name].type) for f in found.schema]
    fields = [ours[f.name] for f in found.schema]
    copy = pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=spec.schema.metadata))
    target = path[: -len(".parquet")] + f"-v{spec.version}.parquet"
    with FileSystems.create(target) as handle:
        pq.write_table(copy, pa.PythonFile(handle, mode="w"), compression="zstd")
    return target


def migrate(output: str, storage: Optional[dict] = None) -> dict:
    """Turn an old-layout output into Delta tables in place; returns, per table, the files added
    (``added``), rewritten (``rewritten``) and left out as uncommitted (``left_out``), or
    ``{"already": True}`` for a table that was Delta already."""
    import datetime as dt

    output = output.rstrip("/")
    finish_old_commits(output)
    tables = all_tables()
    committed = set()
    for meta in _match(FileSystems.join(output, "runs", "*=*", "*.parquet")):
        import pyarrow.parquet as pq

        with FileSystems.open(meta.path) as handle:
            committed.update(pq.read_table(handle, columns=["run_id"]).column("run_id").to_pylist())

    plan, problems, existing_tables = {}, [], {}
    for name, spec in tables.items():
        table = open_table(output, name, storage)
        if table is not None and (table.version() > 0 or table.transaction_version(MIGRATE_APP) is not None):
            plan[name] = None  # migrated (or written by a run) already
            continue
        existing_tables[name] = table  # None, or created by a migration stopped before its files
        files = []
        for meta in sorted(_match(FileSystems.join(output, name, "*=*", "*.parquet")), key=lambda m: m.path):
            relative = meta.path[len(output) + 1 :].split("/", 1)[1]
            match = PART.match(relative.rsplit("/", 1)[-1])
            existing = _file_schema(meta.path)
            problem = migration_problem(existing, spec)
            if problem:
                problems.append(f"{meta.path}: {problem}")
            files.append((meta, relative, match.group("run_id") if match else None, existing))
        plan[name] = files
    if problems:
        raise IncompatibleOutput("cannot migrate: " + "; ".join(problems) + ". Nothing was changed.")

    report = {}
    for name in sorted(tables, key=lambda n: (n == "runs", n)):  # runs, the completion marker, last
        spec, files = tables[name], plan[name]
        if files is None:
            report[name] = {"already": True}
            continue
        adds, rewritten, left_out, replaced = [], 0, 0, []
        for meta, relative, run_id, existing in files:
            if run_id not in committed:
                left_out += 1
                continue
            path, size = meta.path, meta.size_in_bytes
            if _needs_rewrite(existing, spec):
                path = _rewrite(meta.path, spec)
                size = FileSystems.match([path])[0].metadata_list[0].size_in_bytes
                relative = relative.rsplit("/", 1)[0] + "/" + path.rsplit("/", 1)[-1]
                replaced.append(meta.path)
                rewritten += 1
            modified = getattr(meta, "last_updated_in_seconds", 0) or dt.datetime.now().timestamp()
            folder = relative.split("/", 1)[0]
            adds.append(
                FileAdd(name, relative, partition_value(folder), _rows(path), size, int(modified * 1000))
            )
        # Two versions: the empty table with its metadata, made as a run makes it, then one
        # transaction adding every file of committed runs, which carries the migration's app
        # transaction: a migration stopped between the two is finished by the next (the empty
        # table is at version 0, without it).
        table = existing_tables[name]
        if table is None:
            prepare_tables(output, storage, {name: spec}, check_layout=False)
            table = open_table(output, name, storage)
        if adds:
            add_files(table, spec, adds, MIGRATE_APP, {OPERATION: "migrate"})
        if replaced:
            FileSystems.delete(replaced)
        report[name] = {"added": len(adds), "rewritten": rewritten, "left_out": left_out}
    return report


def _rows(path: str) -> int:
    import pyarrow.parquet as pq

    with FileSystems.open(path) as handle:
        return pq.ParquetFile(handle).metadata.num_rows
