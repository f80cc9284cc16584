"""newsbeam's options, declared as a Beam ``PipelineOptions`` subclass, and the window of days
a run keeps (``--run_date``, ``--since``, ``--until``).

Every other Beam option (``--runner``, ``--direct_num_workers``, ``--temp_location``, ...)
passes through to Beam unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from apache_beam.options.pipeline_options import PipelineOptions

from newsbeam.transforms.common.fetching import USER_AGENT
from newsbeam.transforms.dedup.fingerprints import DedupParams
from newsbeam.transforms.extract.nlp import DEFAULT_MODEL, NlpConfig
from newsbeam.transforms.parse.article import DEFAULT_TIME_BUDGET

#: Days of earlier runs a run reads back (--dedup_lookback_days).
DEFAULT_LOOKBACK_DAYS = 30


class NewsbeamOptions(PipelineOptions):
    """Options of a newsbeam run."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--input",
            action="append",
            default=None,
            metavar="SPEC",
            help="What to read: a path, glob, folder or URL, optionally prefixed with its kind "
            "(rss:, jsonfeed:, opml:, sitemap:, urls:, warc:, html:, jsonl:, text:). Repeat for more. "
            "Required; 'samples' names the invented sample stories that ship inside the package.",
        )
        parser.add_argument(
            "--output",
            default="out",
            metavar="DIR",
            help="Folder the tables are written under (local, gs:// or s3://). Default: out",
        )
        parser.add_argument(
            "--run_id", default=None, help="Id of this run. Default: UTC start time and a random suffix."
        )
        parser.add_argument(
            "--run_date",
            "--run-date",
            dest="run_date",
            default=None,
            metavar="YYYY-MM-DD",
            help="The one UTC day a scheduled run ingests: 'today', 'yesterday' or a date. Keeps stories "
            "published (else captured) that day, as --since and --until would, and fills {date}, "
            "{yyyymmdd}, {yyyy}, {mm} and {dd} in --input SPECs with it.",
        )
        parser.add_argument(
            "--since",
            default=None,
            metavar="YYYY-MM-DD",
            help="Keep stories published (else captured) on or after this UTC day; others are filter errors.",
        )
        parser.add_argument(
            "--until",
            default=None,
            metavar="YYYY-MM-DD",
            help="Keep stories published (else captured) on or before this UTC day.",
        )
        parser.add_argument(
            "--domain",
            action="append",
            default=None,
            metavar="DOMAIN",
            help="Keep only URLs on this domain or its subdomains; repeat for more. A leading '-' "
            "(--domain=-ads.example.com) denies a domain instead. Checked before fetching.",
        )
        parser.add_argument(
            "--language",
            action="append",
            default=None,
            metavar="CODE",
            help="Keep only articles in this language (ISO 639-1, e.g. en); repeat for more. "
            "Articles of unknown language are dropped too.",
        )
        parser.add_argument(
            "--max_articles",
            type=int,
            default=None,
            metavar="N",
            help="Read only the first N input records (ordered by input reference, so every run picks "
            "the same); the rest are filter errors and are not fetched.",
        )
        parser.add_argument(
            "--fetch_timeout",
            type=float,
            default=20.0,
            metavar="SECONDS",
            help="Timeout for one HTTP fetch. Default: 20",
        )
        parser.add_argument(
            "--fetch_retries",
            type=int,
            default=3,
            metavar="N",
            help="Retries after a timeout, 429 or 5xx, with exponential backoff and jitter; "
            "Retry-After is honoured up to 60 s. Default: 3",
        )
        parser.add_argument(
            "--ignore_robots_txt",
            action="store_true",
            default=False,
            help="Fetch pages that a site's robots.txt disallows for our user agent (obeyed by default).",
        )
        parser.add_argument(
            "--min_host_interval",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="On average at least this long between two requests to one host, across all "
            "workers. Default: 0",
        )
        parser.add_argument(
            "--host_concurrency",
            type=int,
            default=2,
            metavar="N",
            help="At most N requests to one host at a time, across all workers. Default: 2",
        )
        parser.add_argument(
            "--max_page_bytes",
            type=int,
            default=10_000_000,
            metavar="BYTES",
            help="Largest page or input file accepted. Default: 10000000",
        )
        parser.add_argument(
            "--http_user_agent", default=USER_AGENT, help="User-Agent sent with every HTTP request."
        )
        parser.add_argument(
            "--allow_private_network",
            "--allow-private-network",
            dest="allow_private_network",
            action="store_true",
            default=False,
            help="Let fetching reach private, loopback and link-local addresses (off by default: a "
            "feed is untrusted input, and on a cloud worker 169.254.169.254 hands out credentials).",
        )
        defaults = DedupParams()
        parser.add_argument(
            "--dedup_shingle_size",
            type=int,
            default=defaults.shingle_size,
            metavar="N",
            help=f"Words per shingle for near-duplicate detection. Default: {defaults.shingle_size}",
        )
        parser.add_argument(
            "--dedup_num_perm",
            type=int,
            default=defaults.num_perm,
            metavar="N",
            help=f"MinHash permutations (signature length). Default: {defaults.num_perm}",
        )
        parser.add_argument(
            "--dedup_bands",
            type=int,
            default=defaults.bands,
            metavar="N",
            help=f"LSH bands; must divide --dedup_num_perm. Default: {defaults.bands}",
        )
        parser.add_argument(
            "--dedup_threshold",
            type=float,
            default=defaults.threshold,
            metavar="J",
            help=f"Estimated Jaccard similarity from which two stories are copies. Default: {defaults.threshold}",
        )
        parser.add_argument(
            "--ignore_earlier_runs",
            action="store_true",
            default=False,
            help="Read no state of earlier runs: deduplicate within this run only, fetch every link "
            "and send feeds no conditional headers.",
        )
        parser.add_argument(
            "--dedup_lookback_days",
            type=int,
            default=DEFAULT_LOOKBACK_DAYS,
            metavar="DAYS",
            help="Earlier runs deduplicated against, and whose links are not fetched again: those "
            "of the run's day and the DAYS days before it (partitions read, the rest pruned), so a "
            "run's state read stays the same size however old the output; a link the inputs keep "
            f"listing stays in the window. Default: {DEFAULT_LOOKBACK_DAYS}",
        )
        parser.add_argument(
            "--refetch_after",
            type=float,
            default=None,
            metavar="DAYS",
            help="Fetch a link an earlier run fetched again once DAYS days have passed (for sites "
            "that update their stories). Default: a link seen within --dedup_lookback_days is a "
            "seen_link duplicate and is not fetched.",
        )
        parser.add_argument(
            "--spacy_model",
            action="append",
            default=None,
            metavar="LANG=NAME",
            help=f"spaCy model package for articles in language LANG (ISO 639-1); repeat for more. "
            f"A bare NAME is the English model. Default: en={DEFAULT_MODEL}",
        )
        parser.add_argument(
            "--nlp_max_chars",
            type=int,
            default=NlpConfig.max_chars,
            metavar="N",
            help=f"Characters of an article sent to spaCy at most. Default: {NlpConfig.max_chars}",
        )
        parser.add_argument(
            "--parse_time_budget",
            type=float,
            default=DEFAULT_TIME_BUDGET,
            metavar="SECONDS",
            help="Parsing time per page after which it is stopped and is a time_budget error. "
            f"Default: {DEFAULT_TIME_BUDGET:g}",
        )
        parser.add_argument(
            "--nlp_time_budget",
            type=float,
            default=NlpConfig.time_budget,
            metavar="SECONDS",
            help="Extraction time per article after which the remaining extractors are skipped. "
            f"Default: {NlpConfig.time_budget:g}",
        )
        parser.add_argument(
            "--entity_batch_size",
            type=int,
            default=NlpConfig.batch_size,
            metavar="N",
            help=f"Articles per spaCy batch at most. Default: {NlpConfig.batch_size}",
        )
        parser.add_argument(
            "--nlp_batch_chars",
            type=int,
            default=NlpConfig.batch_chars,
            metavar="N",
            help="Characters of text per spaCy batch at most (a longer article goes alone); "
            f"bounds a worker's memory. Default: {NlpConfig.batch_chars}",
        )
        parser.add_argument(
            "--shards_per_partition",
            type=int,
            default=1,
            metavar="N",
            help="Files per table partition per run; raise for big runs. Default: 1",
        )
        parser.add_argument(
            "--max_unexpected_error_ratio",
            type=float,
            default=0.5,
            metavar="RATIO",
            help="Fail the run when more than this share of a stage's inputs raise unexpected "
            "exceptions (expected failures are errors rows and never fail a run). Default: 0.5",
        )
        parser.add_argument(
            "--min_articles",
            type=int,
            default=0,
            metavar="N",
            help="Alert (exit 3 after committing) when the run wrote fewer than N articles. Default: 0",
        )
        parser.add_argument(
            "--max_input_error_ratio",
            type=float,
            default=None,
            metavar="RATIO",
            help="Alert (exit 3 after committing) when more than this share of the input records "
            "ended as errors. Default: alert only when every input record did.",
        )
        parser.add_argument(
            "--compact_files",
            type=int,
            default=32,
            metavar="N",
            help="After the commit, compact each partition this run added files to that then holds "
            "more than N files into files of up to 128 MiB (as newsbeam compact does; rows and ids "
            "unchanged). 0 turns it off. Default: 32",
        )
        parser.add_argument(
            "--progress_dir",
            default=None,
            metavar="DIR",
            help="A local folder where workers on this machine keep their running counts for the "
            "live progress line; newsbeam run sets it for local runners. Default: none (counts are "
            "Beam metrics only, as on Dataflow)",
        )


class RunOptions(PipelineOptions):
    """A run's options, ours and Beam's, that make each view (``view_as``) once.

    Beam's ``view_as`` parses the flags again for every view it makes (about 0.5 ms), and Beam
    asks for one at every transform it applies and every type it checks: 1,630 views in a run of
    newsbeam's graph, about 0.9 s of its start-up (docs/speed.md, "Start-up"). Every view of a
    ``PipelineOptions`` reads and writes the same store of values, so one view per class sees
    what a new one would. The views are not kept when the options are pickled."""

    def view_as(self, cls):
        views = self.__dict__.setdefault("_views", {})
        if cls not in views:
            views[cls] = super().view_as(cls)
        return views[cls]

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_views", None)
        return state


# ---------------------------------------------------------------- the run's window


def run_day(value: str, today: dt.date) -> dt.date:
    """``--run_date``: YYYY-MM-DD, ``today`` or ``yesterday`` (UTC days); ValueError otherwise."""
    named = {"today": today, "yesterday": today - dt.timedelta(days=1)}
    if value.strip().lower() in named:
        return named[value.strip().lower()]
    return dt.date.fromisoformat(value.strip())


def run_window(
    run_date: Optional[str], since: Optional[str], until: Optional[str], today: dt.date
) -> tuple[Optional[dt.date], Optional[dt.date]]:
    """The first and last UTC day a run keeps: ``--run_date``'s one day, else ``--since`` and
    ``--until`` (either may be open). ValueError for a bad date, or for ``--run_date`` together
    with ``--since``/``--until``, which would say two different things."""
    if run_date is not None:
        if since is not None or until is not None:
            raise ValueError("--run_date is one day's window: give it or --since/--until, not both")
        day = run_day(run_date, today)
        return day, day
    first = dt.date.fromisoformat(since) if since else None
    last = dt.date.fromisoformat(until) if until else None
    if first and last and first > last:
        raise ValueError(f"--since {first} is after --until {last}")
    return first, last
