"""Extraction quality over the Fundus corpus: newspaper4k alone against newsbeam's parse stage.

Every page is parsed the way the pipeline parses it (``article_from_record``) and, as the
baseline, by newspaper4k alone (``parse_html``, before our body cleaning). Prints Markdown
tables of title, date, author and body scores and parse times, overall and per language.
Figures, not a test: nothing here passes or fails.

    .venv/bin/python benchmarks/eval_fundus.py [--corpus PATH] [--json FILE] [--repeats N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import logging
import re
import statistics
import sys
import time
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
SYSTEMS = ("newspaper4k alone", "trafilatura alone", "newsbeam")
GROUPS = ("en", "de", "other")
# Fallback only, for pages whose markup names no language: the country the corpus files them under.
COUNTRY_LANGUAGE = {
    **dict.fromkeys(("us", "uk", "au", "ca", "ie", "nz", "za", "in", "ind", "na", "ls", "tz", "my"), "en"),
    **dict.fromkeys(("de", "at", "ch", "li"), "de"),
}
QUOTES = re.compile("['’‘‚`\"“”„«»]")
WORD = re.compile(r"\w+")


# ---------------------------------------------------------------- normalising and scoring


def invisible_out(text: str) -> str:
    """``text`` without format characters (Unicode category Cf: zero-width space, soft hyphen,
    bidi marks), which change nothing a reader sees; a gold title carries a stray U+200B."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def normalise_title(title: Optional[str]) -> str:
    """NFKC, casefold, one kind of quote, single spaces, no trailing punctuation, nothing invisible."""
    text = QUOTES.sub('"', invisible_out(unicodedata.normalize("NFKC", title or "")).casefold())
    text = " ".join(text.split())
    while text and (unicodedata.category(text[-1]).startswith("P") or text[-1].isspace()):
        text = text[:-1]
    return text


def normalise_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def same_day(ours: Optional[dt.datetime], gold: dt.datetime) -> bool:
    """Our (UTC) date falls on gold's calendar day, read in gold's own UTC offset."""
    return ours is not None and ours.astimezone(gold.tzinfo).date() == gold.date()


def f1(overlap: float, ours: float, gold: float) -> float:
    return 2 * overlap / (ours + gold) if ours + gold else 0.0


def authors_f1(ours: list[str], gold: list[str]) -> float:
    mine, theirs = {normalise_name(a) for a in ours}, {normalise_name(a) for a in gold}
    return f1(len(mine & theirs), len(mine), len(theirs))


def same_authors(ours: list[str], gold: list[str]) -> bool:
    return {normalise_name(a) for a in ours} == {normalise_name(a) for a in gold}


def four_grams(text: str) -> Counter:
    tokens = WORD.findall(text.casefold())
    return Counter(zip(tokens, tokens[1:], tokens[2:], tokens[3:], strict=False))


def token_f1(ours: str, gold: str) -> float:
    """F1 of the multisets of casefolded word tokens."""
    mine, theirs = Counter(WORD.findall(ours.casefold())), Counter(WORD.findall(gold.casefold()))
    return f1(sum((mine & theirs).values()), sum(mine.values()), sum(theirs.values()))


def body_f1(ours: str, gold: str) -> float:
    """F1 of the multisets of casefolded word 4-grams."""
    mine, theirs = four_grams(ours), four_grams(gold)
    return f1(sum((mine & theirs).values()), sum(mine.values()), sum(theirs.values()))


def corpus_part(file: str) -> str:
    """ "holdout" for a fixed quarter of the pages (by a hash of the file name), else "dev".
    Rules are written looking at dev pages only; holdout shows whether they generalise."""
    return "holdout" if int(hashlib.sha256(file.encode("utf-8")).hexdigest(), 16) % 4 == 0 else "dev"


def gold_pages(corpus: Path) -> list[dict]:
    """The corpus's gold records, one per page, in file order."""
    lines = (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def gold_date(value: Optional[str]) -> Optional[dt.datetime]:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def gold_people(gold_authors: list[str], site: set[str]) -> list[str]:
    """The gold authors less the page's own site names: the corpus names the publisher as the
    author on some pages ("DER SPIEGEL", "ORF.at"), which the spec of issue 9 rules out."""
    from newsbeam.transforms.parse.fields import is_site_name

    return [name for name in gold_authors if not is_site_name(name, site)]


def page_site_names(html: str, url: str) -> set[str]:
    """The page's own names for its site (og:site_name, publisher, host), as the parse stage reads them."""
    import lxml.html

    from newsbeam.transforms.parse.fields import site_names
    from newsbeam.transforms.parse.structured import page_evidence

    try:
        evidence = page_evidence(lxml.html.fromstring(html))
    except (ValueError, lxml.etree.ParserError):
        return site_names([], url)
    return site_names([value for _, value in evidence.site_name], url)


def score(reading: Optional[dict], gold: dict, site: frozenset = frozenset()) -> dict:
    """One system's scores on one page; a failed reading (None) scores zero on every field.
    ``site`` holds the page's own site names, for the people-only author score."""
    reading = reading or {"title": None, "authors": [], "published_at": None, "text": ""}
    published = gold_date(gold["publishing_date"])
    people = gold_people(gold["authors"], set(site))
    return {
        "authors_people_f1": authors_f1(reading["authors"], people) if people else None,
        "title_exact": normalise_title(reading["title"]) == normalise_title(gold["title"]),
        "date_same_day": same_day(reading["published_at"], published) if published else None,
        "authors_f1": authors_f1(reading["authors"], gold["authors"]) if gold["authors"] else None,
        "authors_exact": same_authors(reading["authors"], gold["authors"]) if gold["authors"] else None,
        "body_f1": body_f1(reading["text"], gold["body"]),
        "body_token_f1": token_f1(reading["text"], gold["body"]),
    }


def language_group(language: Optional[str], country: str) -> str:
    """en, de or other: the page's declared language, else the country it is filed under."""
    code = re.split(r"[-_]", language.strip().lower())[0] if language else COUNTRY_LANGUAGE.get(country)
    return code if code in ("en", "de") else "other"


# ---------------------------------------------------------------- reading pages


def attempt(parse: Callable[[], dict]) -> tuple[Optional[dict], Optional[str], float]:
    """(reading, failure kind, ms) of one call; a failure becomes a kind, never a crash."""
    from newsbeam.transforms.common.errors import InputError

    started = time.perf_counter()
    try:
        reading, failure = parse(), None
    except InputError as exc:
        reading, failure = None, exc.kind
    except Exception as exc:  # noqa: BLE001 - what the pipeline's dead letter would turn into a row
        reading, failure = None, f"unexpected_{type(exc).__name__}"
    return reading, failure, (time.perf_counter() - started) * 1000


def evaluate_page(corpus: Path, gold: dict, repeats: int, systems: tuple = SYSTEMS) -> dict:
    """Both systems on one page, timed side by side in the same loop."""
    from newsbeam.transforms.common.fetching import FetchedBody, decode_html
    from newsbeam.transforms.common.records import InputRecord
    from newsbeam.transforms.parse.article import article_from_record
    from newsbeam.transforms.parse.extractors import read_with_newspaper, read_with_trafilatura
    from newsbeam.transforms.parse.fields import parse_when

    def trafilatura_alone() -> dict:
        reading = read_with_trafilatura(html, gold["url"], furniture_out=False)  # as it comes
        return {**reading, "published_at": parse_when(reading["published"])}

    html = decode_html(FetchedBody(gold["file"], gzip.decompress((corpus / gold["file"]).read_bytes())))
    record = InputRecord(input_ref=gold["file"], input_kind="html", url=gold["url"], html=html)
    captured = dt.datetime.fromisoformat(gold["crawl_date"]).replace(tzinfo=dt.timezone.utc)
    parsers = {
        "newspaper4k alone": lambda: read_with_newspaper(html, gold["url"]),
        "trafilatura alone": trafilatura_alone,
        "newsbeam": lambda: article_from_record(record, now=captured),  # no date after the capture
    }
    site = frozenset(page_site_names(html, gold["url"]))
    readings, page = {}, {"file": gold["file"], "country": gold["country"], "part": corpus_part(gold["file"])}
    best_ms = {name: float("inf") for name in systems}
    failures = {}
    for repeat in range(repeats):  # each repeat runs both, so noise hits both alike;
        for name in systems if repeat % 2 == 0 else systems[::-1]:  # alternate who goes first
            readings[name], failures[name], ms = attempt(parsers[name])
            best_ms[name] = min(best_ms[name], ms)
    # The page's declared language; newspaper4k alone reads the same markup when newsbeam failed.
    declared = (readings.get("newsbeam") or readings.get("newspaper4k alone") or {}).get("language")
    page["language"], page["group"] = declared, language_group(declared, gold["country"])
    for name in systems:
        reading = readings[name]
        page[name] = {
            "failure": failures[name],
            "parse_ms": best_ms[name],
            "title": reading and reading["title"],
            "authors": reading and reading["authors"],
            "published_at": reading and reading["published_at"],
            **score(reading, gold, site),
        }
    return page


# ---------------------------------------------------------------- reporting

ROWS = (
    ("title exact", "title_exact", "share"),
    ("date same day", "date_same_day", "share"),
    ("authors F1", "authors_f1", "share"),
    ("authors exact set", "authors_exact", "share"),
    ("authors F1, people only", "authors_people_f1", "share"),
    ("body token F1 mean", "body_token_f1", "share"),
    ("body 4-gram F1 mean", "body_f1", "share"),
    ("parse ms median", "parse_ms", "median"),
)


def summarise(pages: list[dict], system: str, key: str, how: str) -> tuple[int, str]:
    """(pages counted, formatted figure) for one cell; pages where the metric is None are skipped."""
    values = [p[system][key] for p in pages if p[system][key] is not None]
    if not values:
        return 0, "–"
    if how == "median":
        return len(values), f"{statistics.median(values):.1f}"
    return len(values), f"{100 * statistics.fmean(values):.1f} %"


def markdown_table(pages: list[dict]) -> str:
    lines = ["| metric | pages | " + " | ".join(SYSTEMS) + " |", "|---|---:|" + "---:|" * len(SYSTEMS)]
    for label, key, how in ROWS:
        cells = [summarise(pages, system, key, how) for system in SYSTEMS]
        lines.append(f"| {label} | {cells[-1][0]} | " + " | ".join(figure for _, figure in cells) + " |")
    return "\n".join(lines)


def failure_counts(pages: list[dict], system: str) -> str:
    counts = Counter(p[system]["failure"] for p in pages if p[system]["failure"])
    return ", ".join(f"{kind} {n}" for kind, n in counts.most_common()) or "none"


def report(pages: list[dict], seconds: float, repeats: int) -> str:
    by_group = {g: [p for p in pages if p["group"] == g] for g in GROUPS}
    title = f"# Fundus extraction quality: {len(pages)} pages in {seconds:.0f} s"
    out = [
        title + f" (parse ms: fastest of {repeats} per page, then the median over pages)",
        "Pages per language group: " + ", ".join(f"{g} {len(by_group[g])}" for g in GROUPS),
    ]
    out += [f"Failed pages, {s}: {failure_counts(pages, s)}" for s in SYSTEMS]
    out += ["", "## All pages", "", markdown_table(pages)]
    for part in ("dev", "holdout"):
        chosen = [p for p in pages if p["part"] == part]
        out += ["", f"## Part: {part} ({len(chosen)} pages)", "", markdown_table(chosen)]
    for group in GROUPS:
        if by_group[group]:
            out += [
                "",
                f"## Language: {group} ({len(by_group[group])} pages)",
                "",
                markdown_table(by_group[group]),
            ]
    return "\n".join(out)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"The Fundus corpus folder. Default: {DEFAULT_CORPUS}",
    )
    parser.add_argument(
        "--json", type=Path, default=None, metavar="FILE", help="Write every per-page result here."
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        metavar="N",
        help="Timed parses per page and system; the fastest counts. Default: 3",
    )
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="Only the first N pages (a quick look)."
    )
    args = parser.parse_args(argv)
    gold_file = args.corpus / "gold.jsonl"
    if not gold_file.is_file():
        print(f"eval_fundus: no corpus at {args.corpus} (no gold.jsonl); nothing to evaluate.")
        return 0
    # Before Beam is imported (by transforms): its import-time warnings say nothing about quality.
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")  # dateutil's "tzname CEST ... not understood" on many pages
    sys.path.insert(0, str(PROJECT_ROOT))
    golds = gold_pages(args.corpus)
    started = time.perf_counter()
    pages = [evaluate_page(args.corpus, gold, args.repeats) for gold in golds[: args.limit]]
    print(report(pages, time.perf_counter() - started, args.repeats))
    if args.json:
        args.json.write_text(json.dumps(pages, default=str, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nPer-page results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
