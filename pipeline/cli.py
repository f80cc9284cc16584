"""The ``newsbeam`` command: ``run``, ``parse``, ``report`` and ``query``; and for the output's
Delta tables, ``history``, ``compact``, ``vacuum`` and ``migrate``.

Exit codes (:data:`EXIT_CODES`; docs/cli.md): 0 success (a run committed), 1 the run (or query,
or command) failed and published nothing, 2 usage error (nothing ran), 3 the run committed but an
alert tripped, 130 and 143 a run stopped by SIGINT or SIGTERM, 141 ``parse`` into a pipe closed
early. Errors are one sentence on stderr;
``--verbose`` adds the traceback and Beam's logs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import sys
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from newsbeam.pipeline.run import RunOutcome
    from newsbeam.pipeline.stop import RunStop

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ALERT = 0, 1, 2, 3
#: Exit codes of a run stopped by a signal: 128 + the signal's number, as a shell reports it.
EXIT_SIGINT, EXIT_SIGTERM = 130, 143
#: ``parse`` whose reader closed the pipe early (``| head``): 128 + SIGPIPE, the code a shell
#: reports for ``cat`` or ``git log`` cut short the same way; nothing is printed.
EXIT_SIGPIPE = 141

EXIT_CODES = """exit codes:
  0    committed (or, for other commands, done)
  1    failed: nothing was published (one sentence on stderr; --verbose for the traceback)
  2    usage error: nothing was run
  3    run committed, but an alert tripped (--min_articles, --max_input_error_ratio, or every
       input record ended as an error); one sentence on stderr after the summary
  130  run stopped by SIGINT (Ctrl-C); one line on stderr says whether it had committed
  143  run stopped by SIGTERM; one line on stderr says whether it had committed
  141  parse's reader closed the pipe early (| head); nothing is printed"""

EXAMPLE_QUERY = """
SELECT e.entity AS person, count(*) AS mentions, count(DISTINCT e.article_id) AS articles
FROM entities e
WHERE e.label = 'PERSON'
GROUP BY e.entity
ORDER BY articles DESC, mentions DESC, person
LIMIT 10
""".strip()


DUPLICATES_BY_REASON = """
SELECT reason, count(*) AS n FROM duplicates WHERE run_id = ? GROUP BY reason ORDER BY n DESC, reason
""".strip()


ERRORS_BY_KIND = """
SELECT stage, kind, count(*) AS n FROM errors WHERE run_id = ? GROUP BY stage, kind ORDER BY n DESC, stage, kind
""".strip()


class UsageError(ValueError):
    """The command line asks for something that cannot be done as asked (exit code 2)."""


def _parser() -> argparse.ArgumentParser:
    from newsbeam.pipeline import __version__

    parser = argparse.ArgumentParser(
        prog="newsbeam",
        description="News ingestion on Apache Beam: feeds and pages in, Delta Lake tables out.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="Show logs and tracebacks.")
    parser.add_argument("--version", action="version", version=f"newsbeam {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="Run the pipeline.",
        description="Run the pipeline. Any other Beam option (--runner, --direct_num_workers, "
        "--temp_location, ...) passes through to Beam.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from newsbeam.pipeline.options import NewsbeamOptions

    NewsbeamOptions._add_argparse_args(run)
    run.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="No live progress line on stderr while the run goes (the summary still prints).",
    )
    run.add_argument(
        "--show-query",
        action="store_true",
        help="After the summary, print the top 10 people named in the output.",
    )

    parse = commands.add_parser("parse", help="Parse one page as the pipeline would and print the article.")
    parse.add_argument(
        "file",
        metavar="FILE",
        help="One HTML page or plain-text story, or - for standard input (a WARC, dump, feed or "
        "list holds many: newsbeam run reads those).",
    )
    parse.add_argument("--url", default=None, help="The page's URL (default: the file's file:// URI).")
    parse.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="json: the article row; text: only its body.",
    )
    parse.add_argument(
        "--explain",
        action="store_true",
        help="Show field by field which source won and every candidate it was chosen from.",
    )

    report = commands.add_parser(
        "report",
        help="Write one self-contained HTML page about the output: runs, articles, dedup, errors, entities.",
    )
    report.add_argument("--output", default="out", metavar="DIR", help="The output folder. Default: out")
    report.add_argument(
        "--html", default=None, metavar="FILE", help="Where to write the page. Default: DIR/report.html"
    )
    report.add_argument(
        "--since", default=None, metavar="YYYY-MM-DD", help="Only articles published from this day."
    )
    report.add_argument(
        "--until", default=None, metavar="YYYY-MM-DD", help="Only articles published up to this day."
    )

    query = commands.add_parser(
        "query",
        help="Run SQL over the output with DuckDB; each table is a view.",
        description="Run one SQL statement over the output with DuckDB. Each table is a view of "
        "the same name holding the rows of committed runs.",
        epilog=tables_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    query.add_argument("sql", metavar="SQL")
    query.add_argument("--output", default="out", metavar="DIR", help="The output folder. Default: out")
    query.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table: aligned text; csv and json: every value whole, lists as lists. Default: table",
    )
    query.add_argument(
        "--max-width",
        type=int,
        default=60,
        metavar="N",
        help="In --format table, cut values longer than N characters; 0 never cuts. Default: 60",
    )
    query.add_argument("--as-of", default=None, metavar="VERSION|TIME", help=AS_OF_HELP)

    history = _tables_command(
        commands,
        "history",
        "List each table's versions: when, what made them (a run, compact, vacuum), the run id.",
    )
    history.add_argument("--format", choices=("table", "csv", "json"), default="table")
    history.add_argument(
        "--limit",
        type=int,
        default=0,
        metavar="N",
        help="Only each table's last N versions (still oldest first); 0 lists them all. Default: 0",
    )

    compact = _tables_command(
        commands,
        "compact",
        "Rewrite each partition's small files into files of up to --target-size; rows and ids unchanged.",
    )
    compact.add_argument(
        "--partition",
        action="append",
        default=None,
        metavar="YYYY-MM-DD",
        help="Only the partition of this day (of each table's partition key: published_date or "
        "run_date; 'null' for articles without a date); repeat for more. Default: every partition",
    )
    compact.add_argument(
        "--target-size",
        type=int,
        default=128,
        metavar="MIB",
        help="Largest file to write, in MiB. Default: 128",
    )

    vacuum = _tables_command(
        commands,
        "vacuum",
        "Delete files no table version of the retention period refers to (replaced by compact, or left by a failed run).",
    )
    vacuum.add_argument(
        "--retention-hours",
        type=int,
        default=168,
        metavar="H",
        help="Keep what versions of the last H hours refer to (time travel within them keeps "
        "working); at least 1. Default: 168 (7 days)",
    )
    vacuum.add_argument("--dry-run", action="store_true", help="List what would be deleted; delete nothing.")

    migrate = commands.add_parser(
        "migrate",
        help="Turn an output written by newsbeam before Delta tables into Delta tables, in place.",
    )
    migrate.add_argument("--output", default="out", metavar="DIR", help="The output folder. Default: out")
    return parser


AS_OF_HELP = (
    "Read the tables as they were: VERSION is a version of the runs table (each run adds one; "
    "newsbeam history lists them), TIME a moment like 2026-12-05T12:00:00Z. Default: now"
)
TABLE_HELP = "Only this table; repeat for more. Default: every table"


def _tables_command(commands, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand over an output's tables: ``--output`` and ``--table``."""
    parser = commands.add_parser(name, help=text)
    parser.add_argument("--output", default="out", metavar="DIR", help="The output folder. Default: out")
    parser.add_argument("--table", action="append", default=None, metavar="TABLE", help=TABLE_HELP)
    return parser


def tables_help() -> str:
    """The tables and their columns, for ``query --help``."""
    from newsbeam.pipeline.query import table_schema
    from newsbeam.schemas import all_tables

    lines = ["tables (each a view; the last column is the partition key):"]
    for name, spec in all_tables().items():
        lines.append(f"  {name}: " + ", ".join(table_schema(spec).names))
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None, stop: Optional[RunStop] = None) -> int:
    """``newsbeam`` with these arguments; returns the exit code. With ``stop`` (installed by
    :func:`run_and_exit`), ``run`` goes in a worker thread and SIGINT/SIGTERM stop it cleanly."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv or "-v" in argv
    # Before Beam is imported: it logs import-time warnings users cannot act on.
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s"
    )
    if not verbose:
        # Beam logs a failing bundle's traceback itself; without --verbose the one sentence we print is enough.
        logging.getLogger("apache_beam").setLevel(logging.CRITICAL)
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    rest = [a for a in rest if a not in ("--verbose", "-v")]  # global flags given after the subcommand
    args.verbose = verbose
    try:
        if args.command != "run" and rest:
            raise UsageError(f"unrecognised arguments: {' '.join(rest)}")
        if args.command == "run":
            return command_run(args, rest, stop)
        if args.command == "parse":
            return command_parse(args)
        if args.command == "report":
            return command_report(args)
        if args.command == "query":
            return command_query(args)
        return MAINTENANCE[args.command](args)
    except UsageError as exc:
        print(f"newsbeam: error: {exc}", file=sys.stderr)
        if verbose:
            traceback.print_exc()
        return EXIT_USAGE
    except QueryError as exc:  # DuckDB's message whole: its hints ("Did you mean ...") matter
        print(f"newsbeam: query failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the one place that turns a failure into an exit code
        print(f"newsbeam: {args.command} failed: {_one_sentence(exc)}", file=sys.stderr)
        if verbose:
            traceback.print_exc()
        else:
            print("(run again with --verbose for the traceback)", file=sys.stderr)
        return EXIT_FAILED


def _one_sentence(exc: BaseException) -> str:
    """The innermost useful message: Beam wraps worker exceptions in layers of context."""
    text = str(exc).strip() or type(exc).__name__
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line and not line.startswith(("File ", "Traceback", "[while running", "During handling")):
            if ": " in line and line.split(":", 1)[0].replace(".", "").replace("_", "").isalnum():
                return line
    return text.splitlines()[0][:500]


# ---------------------------------------------------------------- run


def _check_settings(args) -> None:
    """Dedup and spaCy settings that cannot work are usage errors, before Beam starts."""
    from newsbeam.transforms.dedup.fingerprints import DedupParams
    from newsbeam.transforms.extract.nlp import parse_model_specs

    try:
        DedupParams(
            shingle_size=args.dedup_shingle_size,
            num_perm=args.dedup_num_perm,
            bands=args.dedup_bands,
            threshold=args.dedup_threshold,
        )
        parse_model_specs(args.spacy_model or [])
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _check_beam_options(unknown: list[str]) -> None:
    from apache_beam.options.pipeline_options import PipelineOptions

    from newsbeam.pipeline.run import check_runner

    options = PipelineOptions(unknown)
    try:
        check_runner(options)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    bogus = set(options.get_all_options(retain_unknown_options=True)) - set(options.get_all_options())
    if bogus:
        names = ", ".join(sorted(f"--{b}" for b in bogus))
        raise UsageError(f"unknown option(s) {names}: not a newsbeam or Beam option")


def _check_window(args) -> None:
    """--run_date, --since and --until name days, and not two windows at once; a named day
    ("yesterday") is fixed here, so every part of the run means the same day."""
    from newsbeam.pipeline.options import run_day, run_window

    for name in ("run_date", "since", "until"):
        value = getattr(args, name)
        if value is None:
            continue
        try:
            if name == "run_date":
                args.run_date = run_day(value, dt.datetime.now(dt.timezone.utc).date()).isoformat()
            else:
                dt.date.fromisoformat(value)
        except ValueError as exc:
            also = " or 'today'/'yesterday'" if name == "run_date" else ""
            raise UsageError(f"--{name} {value!r} is not a date like 2026-11-24{also}") from exc
    try:
        run_window(args.run_date, args.since, args.until, dt.date.today())
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _run_day(args) -> Optional[dt.date]:
    return dt.date.fromisoformat(args.run_date) if args.run_date else None


def _check_inputs(specs: list[str]) -> None:
    """Local SPECs that match no file are a typo, not a run: say so before starting Beam."""
    from newsbeam.transforms.common.fetching import is_http
    from newsbeam.transforms.read.specs import expand_source, parse_spec

    for spec in specs:
        source = parse_spec(spec)
        if is_http(source.location) or "://" in source.location:
            continue
        try:
            if not expand_source(source):
                raise UsageError(f"input {spec!r} matches no files")
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise UsageError(f"input {spec!r} cannot be listed: {exc}") from exc


def _newsbeam_argv(args, output: str) -> list[str]:
    """Our own options, as parsed, back into flags for NewsbeamOptions."""
    import argparse as _argparse

    from newsbeam.pipeline.options import NewsbeamOptions

    declared = _argparse.ArgumentParser()
    NewsbeamOptions._add_argparse_args(declared)
    argv = []
    for action in declared._actions:
        if not action.option_strings or action.dest == "help":
            continue
        value = output if action.dest == "output" else getattr(args, action.dest)
        if value is None or value is False:
            continue
        if value is True:  # a store_true flag
            argv.append(action.option_strings[0])
            continue
        for item in value if isinstance(value, list) else [value]:
            argv += [action.option_strings[0], str(item)]
    return argv


#: Runners whose workers run on this machine, where the live progress line can read their counts.
LOCAL_RUNNERS = ("DirectRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner", "FnApiRunner")


def _local_runner(beam_argv: list[str]) -> bool:
    from apache_beam.options.pipeline_options import PipelineOptions

    from newsbeam.pipeline.run import runner_name

    return runner_name(PipelineOptions(beam_argv)) in LOCAL_RUNNERS


@dataclass(frozen=True)
class RunResult:
    """What ``newsbeam run`` did: the run's outcome (its runs row), where, and in how long."""

    outcome: RunOutcome
    output: str
    seconds: float
    #: The run's errors rows as (stage, kind, rows), biggest first; empty for an output that is
    #: not local (DuckDB reads local outputs only).
    error_kinds: tuple = ()
    #: The alert the run tripped (--min_articles, --max_input_error_ratio), as one sentence.
    alert: Optional[str] = None


def execute_run(args, beam_argv: list[str], stop: Optional[RunStop] = None) -> RunResult:
    """Everything ``newsbeam run`` does but print: the checks (a UsageError for what cannot run
    as asked), the run itself, and the live progress line unless quiet or not local. ``stop``
    learns the run's id and output, and the progress line, for a clean stop."""
    from newsbeam.pipeline.run import NO_INPUT, RUN_ID, input_specs, run

    if not args.input:
        raise UsageError(NO_INPUT)
    _check_beam_options(beam_argv)
    if args.run_id is not None and not RUN_ID.match(args.run_id):
        raise UsageError(f"--run_id {args.run_id!r} may only hold letters, digits, '.', '_' and '-'")
    _check_window(args)
    from newsbeam.transforms.read.specs import dated_inputs

    try:
        specs = dated_inputs(input_specs(args.input), _run_day(args))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    _check_inputs(specs)
    if args.max_articles is not None and args.max_articles < 0:
        raise UsageError("--max_articles must be 0 or more")
    if args.min_articles < 0:
        raise UsageError("--min_articles must be 0 (no alert) or more")
    if args.max_input_error_ratio is not None and not 0 <= args.max_input_error_ratio <= 1:
        raise UsageError("--max_input_error_ratio must be between 0 and 1")
    if args.compact_files < 0:
        raise UsageError("--compact_files must be 0 (never compact) or more")
    for name in ("entity_batch_size", "nlp_batch_chars"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be 1 or more")
    if args.dedup_lookback_days < 0:
        raise UsageError("--dedup_lookback_days must be 0 (the run's own day only) or more")
    if args.refetch_after is not None and args.refetch_after < 0:
        raise UsageError("--refetch_after must be 0 (fetch every link again) or more")
    _check_settings(args)
    output = args.output if "://" in args.output else os.path.abspath(args.output)
    if "://" not in output:
        try:
            os.makedirs(output, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create output folder {output}: {exc.strerror}") from exc
    if not args.verbose and not any(a.startswith("--default_sdk_harness_log_level") for a in beam_argv):
        # SDK worker processes (multi_processing, portable runners) log at INFO unless told otherwise,
        # and multi-process ones log two lines before they read that (pipeline/sdk_worker, which
        # run() puts on the workers' path).
        beam_argv = beam_argv + ["--default_sdk_harness_log_level=ERROR"]
    started = time.monotonic()
    local = _local_runner(beam_argv)
    announce = None
    if stop is not None:
        stop.workers_here = local
        announce = stop.started
    if args.quiet or args.progress_dir or not local:
        outcome = run(_newsbeam_argv(args, output) + beam_argv, started=announce)
    else:
        from newsbeam.pipeline.progress import ProgressDisplay

        display = ProgressDisplay(sys.stderr)
        if stop is not None:
            stop.display = display
        with display as args.progress_dir:
            outcome = run(_newsbeam_argv(args, output) + beam_argv, started=announce)
    seconds = time.monotonic() - started
    return RunResult(outcome, output, seconds, *_alert(args, outcome, output))


def _alert(args, outcome: RunOutcome, output: str) -> tuple[tuple, Optional[str]]:
    """The run's error kinds, and the alert its runs row trips (pipeline/alerts.py)."""
    from newsbeam.pipeline.alerts import run_alert
    from newsbeam.transforms.common.errors import INPUT_STAGES

    row = outcome.runs_row
    kinds = ()
    if "://" not in output and row["errors"] + row["extract_errors"]:
        kinds = tuple(_query(output, ERRORS_BY_KIND, [outcome.run_id])[1])
    input_kinds = [kind for kind in kinds if kind[0] in INPUT_STAGES]
    return kinds, run_alert(row, args.min_articles, args.max_input_error_ratio, input_kinds)


def run_argv(argv: list[str]) -> RunResult:
    """``newsbeam run`` with these arguments (ours and Beam's), printing nothing: the Python API's
    ``newsbeam.run``. Arguments argparse refuses are a UsageError here, not an exit."""
    import contextlib
    import io

    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            args, rest = _parser().parse_known_args(["run", *argv])
    except SystemExit as exc:
        message = errors.getvalue().strip().splitlines()[-1:] or ["invalid arguments"]
        raise UsageError(message[0].removeprefix("newsbeam run: error: ")) from exc
    args.verbose = False
    return execute_run(args, rest)


def command_run(args, beam_argv: list[str], stop: Optional[RunStop] = None) -> int:
    if stop is None:
        result = execute_run(args, beam_argv)
    else:
        result = stop.call(lambda: execute_run(args, beam_argv, stop))
    outcome, output = result.outcome, result.output
    for earlier in outcome.recovered:
        print(
            f"newsbeam: finished publishing run {earlier}, which had stopped after committing",
            file=sys.stderr,
        )
    if outcome.already_committed:
        print(f"newsbeam run {outcome.run_id} had already committed into {output}; nothing was written again")
    print_summary(outcome.runs_row, output, result.seconds, outcome.stage_seconds)
    if outcome.compacted:
        print(
            "  compacted (--compact_files): "
            + ", ".join(f"{name} {files} files" for name, files in sorted(outcome.compacted.items()))
            + " rewritten"
        )
    if "://" not in output and outcome.runs_row["duplicates"]:
        _, reasons = _query(output, DUPLICATES_BY_REASON, [outcome.run_id])
        print("  duplicates by reason: " + ", ".join(f"{reason} {n}" for reason, n in reasons))
    if result.error_kinds:
        print(
            "  errors by stage and kind: "
            + ", ".join(f"{stage}/{kind} {n}" for stage, kind, n in result.error_kinds)
        )
    if args.show_query:
        print()
        print("Top 10 people named across the articles:")
        print(f'  newsbeam query --output {output} "{" ".join(EXAMPLE_QUERY.split())}"')
        columns, rows = _query(output, EXAMPLE_QUERY)
        print(format_table(columns, rows))
    if result.alert:
        sys.stdout.flush()  # the alert comes after the summary, also where both go to one file
        print(f"newsbeam: alert: {result.alert}", file=sys.stderr)
        return EXIT_ALERT
    return EXIT_OK


def print_summary(row: dict, output: str, wall_seconds: float, stage_seconds: Optional[dict] = None) -> None:
    accounted = row["articles"] + row["duplicates"] + row["errors"]
    print(f"newsbeam run {row['run_id']} finished in {wall_seconds:.1f} s (wall time)")
    print(f"  inputs read         {row['inputs']:>8}")
    print(f"  articles written    {row['articles']:>8}")
    print(f"  duplicates dropped  {row['duplicates']:>8}")
    print(f"  errors              {row['errors']:>8}")
    print(f"  accounted for       {accounted:>8}  (articles + duplicates + errors = inputs)")
    if row.get("feeds_not_modified"):
        print(
            f"  feeds unchanged     {row['feeds_not_modified']:>8}  (answered 304 Not Modified: nothing new, not parsed)"
        )
    if row.get("state_bytes_read") is not None:
        print(
            f"  state read          {row['state_bytes_read']:>8}  bytes of earlier runs (fingerprints, links, feeds)"
        )
    if row["extract_errors"]:
        print(
            f"  extraction errors   {row['extract_errors']:>8}  (articles kept, an extraction failed: see errors)"
        )
    print(f"  {'table':<12}{'rows':>8}{'files':>8}")
    for table in row["tables"]:
        print(f"  {table['table']:<12}{table['rows']:>8}{table['files']:>8}")
    if stage_seconds:
        print("  seconds per stage, summed over workers (Beam metrics newsbeam.stage_us):")
        print("    " + "  ".join(f"{stage} {seconds:.2f}" for stage, seconds in stage_seconds.items()))
    print(f"  output: {output}")


# ---------------------------------------------------------------- parse


def command_parse(args) -> int:
    from newsbeam.pipeline.page import parse_page, several_stories
    from newsbeam.transforms.common.errors import InputError
    from newsbeam.transforms.read.specs import to_uri

    if args.file == "-":
        data = sys.stdin.buffer.read()
        location = "<stdin>"
        url = args.url or "file:///dev/stdin"
    else:
        if not os.path.isfile(args.file):
            raise UsageError(f"no such file: {args.file}")
        with open(args.file, "rb") as handle:
            data = handle.read()
        location = args.file
        url = args.url or to_uri(args.file)
    # Parsed as one page, a WARC or a dump would give the title of one record and the body of another.
    found = several_stories(data, "" if args.file == "-" else args.file)
    if found:
        raise UsageError(_not_one_page(args.file, data, *found))
    candidates: dict = {}
    try:
        article = parse_page(data, url, location, explain=candidates)
    except InputError as exc:
        raise RuntimeError(f"{exc.kind}: {exc.message}") from exc
    if args.explain:
        return _print_to_pipe(explain(article, candidates))
    if args.format == "text":
        return _print_to_pipe(article["text"])
    return _print_to_pipe(json.dumps(article, default=_json_default, ensure_ascii=False, indent=2))


def _not_one_page(file: str, data: bytes, kind: str, what: str) -> str:
    """The sentence that turns a file of many stories away from ``parse`` and names the
    ``newsbeam run`` that reads them, with ``kind:`` when a run would not tell the kind itself."""
    import shlex

    from newsbeam.pipeline.page import inflated_head
    from newsbeam.transforms.read.specs import kind_from_name, sniff_kind

    name = "standard input" if file == "-" else file
    if kind == "json":
        return (
            f"{name} is {what}; newsbeam parse reads one page, and newsbeam run reads stories "
            "as JSON lines, one object a line: newsbeam run --input stories.jsonl --output out"
        )
    if file == "-":  # a run reads files and URLs, not standard input
        return f"{name} is {what}, and newsbeam parse reads one page; to read them all, save it as FILE: newsbeam run --input FILE --output out"
    # As a run tells an input's kind: by its name, else by its content.
    told = kind_from_name(file) or sniff_kind(inflated_head(data))
    spec = shlex.quote(file if told == kind else f"{kind}:{file}")
    return f"{name} is {what}, and newsbeam parse reads one page; to read them all: newsbeam run --input {spec} --output out"


def _print_to_pipe(text: str) -> int:
    """Print ``text``; a reader that closes the pipe early (``newsbeam parse page.html | head -1``)
    ends the command quietly, with EXIT_SIGPIPE."""
    try:
        print(text)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
    except BrokenPipeError:
        # What is still buffered would fail again at exit ("Exception ignored ... BrokenPipeError"):
        # stdout goes to /dev/null so that last flush has somewhere to go.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_SIGPIPE
    return EXIT_OK


def explain(article: dict, candidates: dict) -> str:
    """Field by field: the value kept, the source it came from, and what else the page offered."""

    def show(value) -> str:
        text = json.dumps(value, default=_json_default, ensure_ascii=False)
        return text if len(text) <= 100 else text[:99] + "…"

    lines = []
    for name, source_key in (
        ("title", "title_source"),
        ("published_at", "published_source"),
        ("authors", "authors_source"),
    ):
        lines.append(f"{name:<13} {show(article[name])}")
        lines.append(f"{'':<13} from {article[source_key] or '-'}")
        for source, value in candidates.get(name, []):
            if value:
                lines.append(f"{'':<13}   {source}: {show(value)}")
    declared = article.get("declared_titles") or []
    lines.append(f"{'declared':<13} {len(declared)} declared headline{'s' if len(declared) != 1 else ''}")
    for title in declared:
        lines.append(f"{'':<13}   {title['source']}: {show(title['text'])}")
    lines.append(f"{'text':<13} {article['word_count']} words from {article['text_source'] or '-'}")
    lines.append(
        f"{'site names':<13} {', '.join(candidates.get('site_names', [])) or '-'}  (stripped from titles, dropped from authors)"
    )
    for name in ("published_offset", "language", "canonical_url", "top_image"):
        lines.append(f"{name:<13} {show(article[name])}")
    return "\n".join(lines)


def _json_default(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------- report


def command_report(args) -> int:
    from newsbeam.pipeline.report import build_report

    if "://" in args.output:
        raise UsageError(
            "newsbeam report reads a local output folder; copy it here first (gsutil, aws s3 sync)"
        )
    if not os.path.isdir(args.output):
        raise UsageError(f"output folder {args.output!r} does not exist")
    days = []
    for name in ("since", "until"):
        value = getattr(args, name)
        try:
            days.append(dt.date.fromisoformat(value) if value else None)
        except ValueError as exc:
            raise UsageError(f"--{name} {value!r} is not a date like 2026-11-24") from exc
    path = args.html or os.path.join(args.output, "report.html")
    page = build_report(os.path.abspath(args.output), *days)
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc
    print(f"report: {os.path.abspath(path)}")
    return EXIT_OK


# ---------------------------------------------------------------- query


class QueryError(RuntimeError):
    """DuckDB refused the SQL; the message is DuckDB's, whole."""


def _existing_output(output: str) -> None:
    if "://" not in output and not os.path.isdir(output):
        raise UsageError(f"output folder {output!r} does not exist")


def _query(output: str, sql: str, params: Optional[list] = None, as_of=None):
    import duckdb

    from newsbeam.pipeline.query import run_query

    _existing_output(output)
    try:
        return run_query(output, sql, params, as_of=as_of)
    except duckdb.Error as exc:
        raise QueryError(str(exc).strip()) from exc


def command_query(args) -> int:
    from newsbeam.pipeline.query import parse_as_of

    if args.max_width < 0:
        raise UsageError("--max-width must be 0 (never cut) or more")
    try:
        as_of = parse_as_of(args.as_of)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    columns, rows = _query(args.output, args.sql, as_of=as_of)
    print_rows(columns, rows, args.format, args.max_width)
    return EXIT_OK


def print_rows(columns: list[str], rows: list[tuple], kind: str, max_width: int = 60) -> None:
    """Rows as an aligned table, CSV (lists and structs as JSON text) or JSON (as lists)."""
    if kind == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([[csv_value(v) for v in row] for row in rows])
    elif kind == "json":
        print(
            json.dumps(
                [dict(zip(columns, r, strict=True)) for r in rows],
                default=_json_default,
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(format_table(columns, rows, max_width))


def csv_value(value):
    """A CSV cell: a list or struct as JSON (["Jason Krell"]), not as Python's repr."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def format_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> str:
    """A plain aligned text table, long values cut to ``max_width`` (0: never cut)."""

    def cell(value) -> str:
        if value is None:
            text = ""
        elif isinstance(value, (dt.date, dt.datetime)):
            text = value.isoformat()
        elif isinstance(value, (list, tuple, dict)):
            text = json.dumps(value, default=_json_default, ensure_ascii=False)
        else:
            text = str(value)
        text = " ".join(text.split())
        return text if not max_width or len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


# ---------------------------------------------------------------- the tables' upkeep


def _tables(args) -> list[str]:
    from newsbeam.schemas import all_tables

    names = args.table or list(all_tables())
    unknown = [n for n in names if n not in all_tables()]
    if unknown:
        raise UsageError(f"no table {unknown[0]!r}; the tables are {', '.join(all_tables())}")
    return names


def _delta_output(output: str) -> None:
    """A UsageError unless ``output`` holds newsbeam's Delta tables."""
    from newsbeam.transforms.write.delta import has_plain_parquet, open_table

    _existing_output(output)
    if open_table(output, "runs") is None:
        if has_plain_parquet(output, "runs"):
            raise UsageError(
                f"{output} was written by a newsbeam from before Delta tables: "
                f"run `newsbeam migrate --output {output}` first"
            )
        raise UsageError(f"{output} holds no newsbeam tables")


def command_history(args) -> int:
    from newsbeam.transforms.write.maintain import table_history

    _delta_output(args.output)
    if args.limit < 0:
        raise UsageError("--limit must be 0 (every version) or more")
    rows = [
        row for name in _tables(args) for row in table_history(args.output, name, limit=args.limit or None)
    ]
    columns = [
        "table",
        "version",
        "committed_at",
        "operation",
        "run_id",
        "files_added",
        "files_removed",
        "rows_added",
    ]
    print_rows(columns, [tuple(row[c] for c in columns) for row in rows], args.format, 0)
    return EXIT_OK


def command_compact(args) -> int:
    from newsbeam.transforms.write.maintain import compact_partitions

    _delta_output(args.output)
    if args.target_size < 1:
        raise UsageError("--target-size must be 1 MiB or more")
    partitions = None
    if args.partition:
        partitions = []
        for value in args.partition:
            if value.lower() == "null":
                partitions.append(None)
                continue
            try:
                partitions.append(dt.date.fromisoformat(value).isoformat())
            except ValueError as exc:
                raise UsageError(f"--partition {value!r} is not a day like 2026-11-24 (or 'null')") from exc
    started = time.monotonic()
    total = 0
    for name in _tables(args):
        removed = compact_partitions(
            args.output, name, partitions, target_size=args.target_size * 1024 * 1024
        )
        total += removed
        if removed:
            print(f"  {name:<12} {removed:>6} files rewritten")
    print(f"compacted {total} files in {time.monotonic() - started:.1f} s; rows and ids unchanged")
    if total:
        print("  the replaced files stay for time travel until newsbeam vacuum deletes them")
    return EXIT_OK


def command_vacuum(args) -> int:
    from newsbeam.transforms.write.maintain import vacuum_table

    _delta_output(args.output)
    total = 0
    for name in _tables(args):
        try:
            deleted = vacuum_table(args.output, name, args.retention_hours, dry_run=args.dry_run)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        total += len(deleted)
        for path in deleted:
            print(f"  {name}/{path}")
    verb = "would delete" if args.dry_run else "deleted"
    print(f"vacuum {verb} {total} files no version of the last {args.retention_hours} h refers to")
    return EXIT_OK


def command_migrate(args) -> int:
    from newsbeam.transforms.write.migrate import migrate

    _existing_output(args.output)
    output = args.output if "://" in args.output else os.path.abspath(args.output)
    report = migrate(output)
    for name, done in report.items():
        if done.get("already"):
            print(f"  {name:<12} already a Delta table")
        else:
            line = f"  {name:<12} {done['added']:>6} files added"
            if done["rewritten"]:
                line += f", {done['rewritten']} rewritten with today's types"
            if done["left_out"]:
                line += f", {done['left_out']} of uncommitted runs left out (newsbeam vacuum deletes them)"
            print(line)
    print(f"{output} holds Delta tables")
    return EXIT_OK


MAINTENANCE = {
    "history": command_history,
    "compact": command_compact,
    "vacuum": command_vacuum,
    "migrate": command_migrate,
}


def run_and_exit(argv: Optional[list[str]] = None) -> None:
    """The console entry point: ``main``, then leave without CPython's interpreter teardown.

    Why: after a run has finished and committed, tearing down the threads Beam's in-process
    runner ran trafilatura's lxml work on aborts the process in about 4 runs out of 10
    ("terminate called without an active exception", exit 134; measured on 60 fundus pages,
    never without trafilatura). The exit code must report the run, not the teardown, so we flush
    what we wrote and exit directly. Every file and the runs row are committed by then.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    stop = None
    if next((a for a in argv if not a.startswith("-")), None) == "run":
        from newsbeam.pipeline.stop import RunStop

        stop = RunStop()
        stop.install()  # first: a signal from here on is a clean stop (docs/cli.md)
    code = main(argv, stop)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run_and_exit()
