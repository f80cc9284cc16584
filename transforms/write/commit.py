"""The commit protocol: a run's staged files are published all at once, or not at all.

The commit point is a manifest of moves written whole (:func:`write_manifest`); the moves follow,
the ``runs`` row last. A run that dies after the manifest is finished by the next run into the
same output (:func:`recover_commits`). Before anything is written, the output's tables are checked
for schemas this run cannot append to (:func:`check_output_schemas`)."""

from __future__ import annotations

import datetime as dt
import logging

from apache_beam.io.filesystems import FileSystems

from newsbeam.schemas import all_tables, append_problem
from newsbeam.schemas import runs as runs_schema
from newsbeam.transforms.write.tables import STAGING, RunContext, file_name, staging_dir

LOG = logging.getLogger(__name__)

#: In a run's staging folder: the moves that publish it; its presence is the commit.
COMMIT_MANIFEST = "_COMMIT.json"


class AccountingError(RuntimeError):
    """The run lost or invented records: inputs != articles + duplicates + errors."""


def _mkdirs(path: str) -> None:
    try:
        FileSystems.mkdirs(path)
    except IOError:
        pass  # exists already; object stores have no folders to make


class IncompatibleOutput(ValueError):
    """The output folder holds files that rows of this newsbeam's schemas cannot join."""


def list_output(output: str) -> list:
    """Every file under ``output`` (Beam ``FileMetadata``), from one listing: an object store
    answers a prefix listing in one go, and an empty one costs Beam a round of retries, so a run
    lists its output once and hands the list to whatever needs it."""
    try:
        return FileSystems.match([FileSystems.join(output, "**")])[0].metadata_list
    except Exception:  # noqa: BLE001 - no such folder (a new output)
        return []


def published(output: str, files: list) -> dict[str, list]:
    """The listed files readers see, by table: ``<table>/<key>=<value>/<name>.parquet``, never
    under ``_staging``."""
    tables: dict[str, list] = {}
    for meta in files:
        parts = meta.path[len(output) :].lstrip("/").split("/")
        if (
            len(parts) == 3
            and parts[2].endswith(".parquet")
            and not parts[0].startswith("_")
            and "=" in parts[1]
        ):
            tables.setdefault(parts[0], []).append(meta)
    return tables


def check_output_schemas(output: str, files: list = None, tables: dict = None) -> None:
    """Raise IncompatibleOutput, before anything is written, when a table in ``output`` holds
    files this newsbeam's schema cannot be appended to (:func:`schemas.append_problem`).

    Only the newest file of each table is read (by modification time): every run checked the
    files before it, so the newest stands for all, and a large output costs one footer a table.
    ``files`` is the output's listing (:func:`list_output`), made here when not given.
    """
    import pyarrow.parquet as pq

    tables = tables or all_tables()
    files = list_output(output) if files is None else files
    newest: dict = {}
    for name, metas in published(output, files).items():
        if name in tables:
            newest[name] = max(((getattr(m, "last_updated_in_seconds", 0) or 0, m.path) for m in metas))
    for name, (_, path) in sorted(newest.items()):
        try:
            with FileSystems.open(path) as handle:
                existing = pq.read_schema(handle)
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file: say which, write nothing
            raise IncompatibleOutput(
                f"{output}/{name}: cannot read the schema of {path} ({exc}). Nothing was written."
            ) from exc
        problem = append_problem(existing, tables[name])
        if problem:
            raise IncompatibleOutput(
                f"{output}/{name} cannot take this run's rows: {problem} (seen in {path}). "
                "Nothing was written; write to a new --output or migrate the table."
            )


def check_accounting(counts: dict) -> None:
    """Every input record must be in exactly one of articles, duplicates and errors."""
    inputs = counts.get("inputs", 0)
    accounted = counts.get("articles", 0) + counts.get("duplicates", 0) + counts.get("input_errors", 0)
    if inputs != accounted:
        raise AccountingError(
            f"run lost track of records: {inputs} inputs but {counts.get('articles', 0)} articles + "
            f"{counts.get('duplicates', 0)} duplicates + {counts.get('input_errors', 0)} errors = {accounted}"
        )


def runs_row(ctx: RunContext, files: list, counts: dict, finished_at: dt.datetime) -> dict:
    per_table = {name: {"table": name, "rows": 0, "files": 0} for name in all_tables()}
    for written in files:
        per_table[written.table]["rows"] += written.rows
        per_table[written.table]["files"] += 1
    per_table["runs"].update(rows=1, files=1)
    return {
        "run_id": ctx.run_id,
        "started_at": ctx.started_at,
        "finished_at": finished_at,
        "inputs": counts.get("inputs", 0),
        "articles": counts.get("articles", 0),
        "duplicates": counts.get("duplicates", 0),
        "errors": counts.get("input_errors", 0),
        "extract_errors": counts.get("extract_errors", 0),
        "tables": list(per_table.values()),
        "window_since": ctx.window[0],
        "window_until": ctx.window[1],
        "options": ctx.options_json,
        "versions": [{"package": p, "version": v} for p, v in ctx.versions],
        "run_date": ctx.run_date,
    }


def runs_file(ctx: RunContext) -> str:
    table = runs_schema.TABLE
    return FileSystems.join(
        ctx.output, table.name, f"{table.partition_key}={ctx.run_date.isoformat()}", file_name(ctx.run_id, 0)
    )


def remove_staging(ctx: RunContext) -> None:
    """Remove this run's staging folder, and ``_staging`` itself when no other run is using it."""
    remove_staged_run(ctx.output, ctx.run_id)


def remove_staged_run(output: str, run_id: str) -> None:
    """Delete a run's staging folder: its files one by one (an object store has no folders to
    delete), then the folder where the filesystem has one."""
    folder = staging_dir(output, run_id)
    try:
        leftovers = [m.path for m in FileSystems.match([FileSystems.join(folder, "**")])[0].metadata_list]
        if leftovers:
            FileSystems.delete(leftovers)
        if FileSystems.exists(folder):
            FileSystems.delete([folder])
        root = FileSystems.join(output, STAGING)
        if FileSystems.exists(root) and not FileSystems.match([FileSystems.join(root, "*")])[0].metadata_list:
            FileSystems.delete([root])
    except IOError as exc:  # leftovers under _staging are invisible to readers; say so and go on
        LOG.warning("could not remove staging folder: %s", exc)


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL here when ``NEWSBEAM_FAULT`` names this point: how the
    crash tests stop a run at an exact step of its commit (``tests/pipeline/test_crash.py``).
    Costs one environment lookup when unset."""
    import os

    if os.environ.get("NEWSBEAM_FAULT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def write_manifest(output: str, run_id: str, moves: list) -> None:
    """The commit point: the list of (staged, final) moves, written whole or not at all (a
    temporary name, then one rename; on an object store, one PUT). From here on the run is
    committed, and :func:`recover_commits` finishes its moves if this process dies."""
    import json

    final = FileSystems.join(staging_dir(output, run_id), COMMIT_MANIFEST)
    temporary = final + ".tmp"
    with FileSystems.create(temporary) as handle:
        handle.write(json.dumps({"run_id": run_id, "moves": moves}).encode("utf-8"))
    FileSystems.rename([temporary], [final])


def apply_moves(moves: list) -> int:
    """Move every staged file still in staging to its final place, data first and the ``runs``
    row (the last move) after them all; a move already done is skipped. Returns moves made."""
    pending = [(staged, final) for staged, final in moves if FileSystems.exists(staged)]
    data, last = pending, []
    if pending and moves and pending[-1] == moves[-1]:
        data, last = pending[:-1], pending[-1:]
    for group in (data, last):
        if not group:
            continue
        for folder in sorted({final.rsplit("/", 1)[0] for _, final in group}):
            _mkdirs(folder)
        # One batched rename: object stores move many files per request.
        FileSystems.rename([staged for staged, _ in group], [final for _, final in group])
        if group is data:
            fault_point("commit.before_runs_row")
    return len(pending)


def recover_commits(output: str, files: list = None) -> list[str]:
    """Finish the commits of runs that died after their commit point, so the output holds every
    committed run whole; returns their run ids. Staging folders of runs that died before it are
    left alone (they are invisible to readers and may belong to a run still going); a rerun
    with the same ``--run_id`` clears its own. ``files`` is the output's listing."""
    import json

    files = list_output(output) if files is None else files
    manifests = sorted(
        m.path for m in files if m.path.endswith("/" + COMMIT_MANIFEST) and f"/{STAGING}/" in m.path
    )
    recovered = []
    for path in manifests:
        with FileSystems.open(path) as handle:
            manifest = json.loads(handle.read().decode("utf-8"))
        apply_moves([tuple(move) for move in manifest["moves"]])
        remove_staged_run(output, manifest["run_id"])
        recovered.append(manifest["run_id"])
    return recovered
