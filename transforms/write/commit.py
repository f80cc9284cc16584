"""The commit protocol: a run's files join their tables all at once, or not at all.

Beam has written the run's files into the table folders, where no Delta reader sees them. The
commit point is a manifest of the files each table gains, written whole (:func:`write_manifest`);
one Delta transaction per table follows (:func:`commit_tables`), the ``runs`` table last. A run
that dies after the manifest is finished by the next run into the same output
(:func:`recover_commits`), and the Delta app transaction each commit carries keeps a table from
gaining a run's files twice."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading

from apache_beam.io.filesystems import FileSystems

from newsbeam.schemas import all_tables
from newsbeam.schemas import runs as runs_schema
from newsbeam.transforms.write.delta import FileAdd, IncompatibleOutput, commit_table, partition_value
from newsbeam.transforms.write.tables import STAGING, RunContext, file_name, staging_dir

__all__ = ["IncompatibleOutput"]  # where callers used to find it

LOG = logging.getLogger(__name__)

#: In a run's staging folder: the files each table gains; its presence is the commit.
COMMIT_MANIFEST = "_COMMIT.json"
#: In a run's staging folder: the run was stopped (SIGINT, SIGTERM), so it must not commit.
STOP_MARKER = "_STOP"


class RunStopped(RuntimeError):
    """The launching process stopped the run (its stop marker is there): nothing is published."""


class AccountingError(RuntimeError):
    """The run lost or invented records: inputs != articles + duplicates + errors."""


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
        "state_bytes_read": ctx.state_bytes_read,
        "feeds_not_modified": counts.get("feeds_not_modified", 0),
        "options": ctx.options_json,
        "versions": [{"package": p, "version": v} for p, v in ctx.versions],
        "run_date": ctx.run_date,
    }


def runs_file(ctx: RunContext) -> tuple[str, str]:
    """Where the run's ``runs`` row goes: its path in the table folder, and the full path."""
    table = runs_schema.TABLE
    relative = f"{table.partition_key}={ctx.run_date.isoformat()}/{file_name(ctx.run_id, 0)}"
    return relative, FileSystems.join(ctx.output, table.name, relative)


def written_file(table: str, relative: str, path: str, rows: int) -> FileAdd:
    """The FileAdd for a file just written at ``path`` (``relative`` to its table's folder)."""
    size = FileSystems.match([path])[0].metadata_list[0].size_in_bytes
    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    return FileAdd(table, relative, partition_value(relative.split("/", 1)[0]), rows, size, now)


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


def write_manifest(output: str, run_id: str, adds: dict[str, list[FileAdd]]) -> None:
    """The commit point: the files each table gains, written whole or not at all (a temporary
    name, then one rename; on an object store, one PUT). From here on the run is committed, and
    :func:`recover_commits` finishes its table commits if this process dies."""
    final = FileSystems.join(staging_dir(output, run_id), COMMIT_MANIFEST)
    temporary = final + ".tmp"
    tables = {name: [add.to_json() for add in files] for name, files in adds.items()}
    with FileSystems.create(temporary) as handle:
        handle.write(json.dumps({"run_id": run_id, "tables": tables}).encode("utf-8"))
    FileSystems.rename([temporary], [final])


#: Held by a commit of this process from its first check to its second (:func:`pass_commit_point`)
#: and by :func:`request_stop`, so a stop waits out a commit of this process that is between them.
_COMMIT_POINT = threading.Lock()
#: (output, run id) of the runs this process stopped: its own commits (the in-process runner's
#: thread) stop at them even after the launcher has removed the run's staging folder and marker.
_STOPPED_HERE: set[tuple[str, str]] = set()


def request_stop(output: str, run_id: str) -> None:
    """Mark the run stopped: from here its commit cannot pass the manifest (see
    :func:`check_not_stopped`). Written by the launching process on SIGINT or SIGTERM; a commit
    of this process between its two checks ends them first, and none of this process passes
    them for the run later, marker or not."""
    with _COMMIT_POINT:
        _STOPPED_HERE.add((output, run_id))
        with FileSystems.create(FileSystems.join(staging_dir(output, run_id), STOP_MARKER)) as handle:
            handle.write(b"stopped\n")


def manifest_written(output: str, run_id: str) -> bool:
    return FileSystems.exists(FileSystems.join(staging_dir(output, run_id), COMMIT_MANIFEST))


def check_not_stopped(output: str, run_id: str, after_manifest: bool = False) -> None:
    """Raise RunStopped when the run's stop marker is there, first taking back the manifest this
    commit has just written (``after_manifest``: the second check).

    The commit checks before writing its manifest and again right after; the launching process
    writes the marker, then looks for the manifest. Whichever comes second sees the other's
    file: either the launcher sees the manifest (and waits for the commit to end) or the commit
    sees the marker (and takes its manifest back), so a stopped run never publishes unseen."""
    folder = staging_dir(output, run_id)
    if (output, run_id) not in _STOPPED_HERE and not FileSystems.exists(
        FileSystems.join(folder, STOP_MARKER)
    ):
        return
    if after_manifest:
        FileSystems.delete([FileSystems.join(folder, COMMIT_MANIFEST)])
    raise RunStopped(f"run {run_id} was stopped before its commit; nothing was published")


def pass_commit_point(output: str, run_id: str, adds: dict[str, list[FileAdd]]) -> None:
    """Check for a stop, write the manifest, check again: past this, the run is committed. A
    stop requested in this process meanwhile waits until both checks are done, so it either
    finds the manifest or the second check finds its marker; without that wait, the launcher
    of an in-process run could remove the marker of a run it had stopped while this thread was
    between its checks, and the commit would pass it after the stop had said nothing was
    published."""
    with _COMMIT_POINT:
        check_not_stopped(output, run_id)
        write_manifest(output, run_id, adds)
        check_not_stopped(output, run_id, after_manifest=True)


def commit_order(names) -> list[str]:
    """Data tables first (by name), the ``runs`` table, the run's completion marker, last."""
    return sorted(names, key=lambda name: (name == "runs", name))


def commit_tables(
    output: str, run_id: str, adds: dict[str, list[FileAdd]], storage: dict = None
) -> list[str]:
    """One Delta transaction per table that gains files, ``runs`` last; a table that holds
    the run already is skipped. Returns the tables committed by this call."""
    done = []
    for name in commit_order(adds):
        if adds[name] and commit_table(output, name, adds[name], run_id, storage, fault=fault_point):
            done.append(name)
    return done


def _manifest_adds(path: str) -> tuple[str, dict]:
    with FileSystems.open(path) as handle:
        manifest = json.loads(handle.read().decode("utf-8"))
    if "tables" not in manifest:
        return manifest["run_id"], {}
    adds = {name: [FileAdd(**add) for add in files] for name, files in manifest["tables"].items()}
    return manifest["run_id"], adds


def resume_commit(ctx: RunContext) -> bool:
    """For a commit step the runner retried: True when this run's commit point had passed (its
    manifest is there, or its runs table holds it), after finishing what was left. The retry
    then writes nothing: rewriting the runs file would change a file a table's log holds."""
    from newsbeam.transforms.write.delta import run_committed

    manifest = FileSystems.join(staging_dir(ctx.output, ctx.run_id), COMMIT_MANIFEST)
    if FileSystems.exists(manifest):
        run_id, adds = _manifest_adds(manifest)
        commit_tables(ctx.output, run_id, adds, ctx.storage_options)
        remove_staging(ctx)
        return True
    return run_committed(ctx.output, ctx.run_id, ctx.storage_options)


def read_runs_file(ctx: RunContext) -> dict:
    """The runs row this run's commit wrote, from its file."""
    import pyarrow.parquet as pq

    with FileSystems.open(runs_file(ctx)[1]) as handle:
        row = pq.read_table(handle).to_pylist()[0]
    row.pop(runs_schema.TABLE.partition_key, None)
    return row


def recover_commits(output: str, storage: dict = None) -> list[str]:
    """Finish the commits of runs that died after their commit point, so the output holds every
    committed run whole; returns their run ids. Staging folders of runs that died before it are
    left alone (they may belong to a run still going; their files in the table folders are
    invisible to readers, and ``newsbeam vacuum`` removes them)."""
    try:
        manifests = sorted(
            m.path
            for m in FileSystems.match([FileSystems.join(output, STAGING, "*", COMMIT_MANIFEST)])[
                0
            ].metadata_list
        )
    except Exception:  # noqa: BLE001 - no staging folder
        return []
    recovered = []
    for path in manifests:
        run_id, adds = _manifest_adds(path)
        if not adds:  # a commit of a newsbeam before Delta tables: migrate finishes it
            continue
        commit_tables(output, run_id, adds, storage)
        remove_staged_run(output, run_id)
        recovered.append(run_id)
    return recovered
