"""Extraction quality over naeb-dev: 215 English news pages whose gold title is the visible headline.

The same three systems as ``eval_fundus.py`` (newspaper4k alone, trafilatura alone, newsbeam's
parse stage), scored the way the corpus's README asks: titles exactly after NFKC, case folding,
quote removal and whitespace collapse; dates by the page's own calendar day; authors as set F1
(pages with gold authors); bodies as token and 4-gram F1. Dates are also scored without the pages
listed in ``WRONG_DATES``, whose gold contradicts the page itself (the evidence is given for each).
Figures, not a test: nothing here passes or fails.

    .venv/bin/python benchmarks/eval_naeb.py [--corpus PATH] [--json FILE] [--misses FIELD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import logging
import re
import statistics
import sys
import time
import unicodedata
import warnings
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.eval_fundus import (  # noqa: E402 - after the path is set
    SYSTEMS,
    attempt,
    authors_f1,
    body_f1,
    invisible_out,
    page_site_names,
    token_f1,
)

DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "naeb-dev"
QUOTES = re.compile("['’‘‚`\"“”„«»]")

#: Pages whose gold date the page itself contradicts, with the evidence (checked by hand in the
#: page's URL, JSON-LD and visible dateline). Scored both with and without them; never tuned to.
WRONG_DATES: dict[str, str] = {
    "html/052975914d4bf1a2ec648ee7b0529a2a.html.gz": (
        "year off: URL /2020/3/19/, JSON-LD and meta datePublished 2020-03-19, dateline Mar 19, 2020"
    ),
    "html/5a81012714cd42ca08bf080ccf9a0ca4.html.gz": (
        "year off: JSON-LD datePublished and sailthru.date 2024-01-23; nothing on the page says 2023"
    ),
    "html/51e8633089028bfc31cdf98366e8e371.html.gz": (
        "year off: JSON-LD datePublished 2024-01-08, dateline January 8, 2024, a story on 2024"
    ),
    "html/5e1e62be1d9a0d9014439297a276b461.html.gz": (
        "year off: meta published_time 2018-05-20, dateline Posted On: May 20, 2018, a URL of 2018"
    ),
    "html/6defa09879368769e1f8db1b5abc7426.html.gz": (
        "year off: JSON-LD datePublished 2024-02-15, dateline February 15, 2024"
    ),
    "html/7bbb0da3648d6fc511d1dcb918c9c128.html.gz": (
        "year off: meta article:published_time 2020-01-24; nothing on the page says 2023"
    ),
    "html/ca722508ae9fe060d3900d3ca7071aab.html.gz": (
        "year off: URL /2024/02/, JSON-LD datePublished 2024-02-13"
    ),
    "html/f365aea0def9912a2ce9c16c0119003f.html.gz": (
        "year off: URL /2022/09/, JSON-LD datePublished 2022-09-28, dateline September 28, 2022"
    ),
    "html/f6637127aac010dbbdf48b6cf1a3590e.html.gz": (
        "year off: URL /2022/08/, meta published_time 2022-08-27, dateline 27 August 2022"
    ),
    "html/447719b9f9e41ab0cf6f45b4ba878968.html.gz": (
        "year off from the update: published 2021-08-23, modified 2022-03-07 (meta); gold 2023-03-07"
    ),
    "html/377c75f19fb7a993587c923a10905a67.html.gz": (
        "update day: JSON-LD datePublished 2022-10-21, dateModified 2023-12-22"
    ),
    "html/470b12042057a29273fb0fe284b20b30.html.gz": (
        'update day: JSON-LD datePublished 2019-03-30, dateModified 2023-12-19 ("Updated Dec 19, 2023")'
    ),
    "html/58078b95ee2e095b1fc7a3f9ae91f521.html.gz": (
        "update day: JSON-LD datePublished 2023-11-11 (-06:00), dateModified 2023-11-17"
    ),
    "html/5fa999b5956843938642ac18709290e4.html.gz": (
        "update day: JSON-LD datePublished 2023-02-24, dateModified 2023-11-30"
    ),
    "html/6956f9178276261bab1b5a7686289db1.html.gz": (
        'update day: JSON-LD datePublished 2023-12-22, dateline "Updated December 26, 2023"'
    ),
    "html/760a689778ff0602e463df9e77b4ed39.html.gz": (
        "update day: JSON-LD datePublished 2023-12-22T16:22Z, dateModified 2023-12-23"
    ),
    "html/7bd4118f16c0fa4393f985d0b573297d.html.gz": (
        "update day: JSON-LD datePublished 2022-07-04; meta date November 14, 2023 is the list's revision"
    ),
    "html/855514d06746ef742ef5023b9e5457f3.html.gz": (
        "update day: JSON-LD datePublished 2023-12-18T22:57-05:00, dateModified 2023-12-19T03:57Z"
    ),
    "html/85578dcea45bc6ef1e45058bd2baea97.html.gz": (
        "update day: JSON-LD datePublished 2023-12-22T22:02+05:30, dateModified 2023-12-23"
    ),
    "html/a679f675d2fa83ce13183ea2a79331dd.html.gz": (
        "update day: JSON-LD datePublished 2019-11-25, dateModified 2023-11-27"
    ),
    "html/c06b9a6c59652a0c82b414068507768b.html.gz": (
        "update day: JSON-LD datePublished 2023-12-15, dateModified 2023-12-17"
    ),
    "html/c46bfb89dbf6848ceb20e514fa0e1ca8.html.gz": (
        'update day: the page shows "Updated: August 8, 2023" (meta modified_time); no publication date is declared'
    ),
    "html/ddd256a869fbf2d9fbe83c65e0cf2ac2.html.gz": (
        'update day: the page shows "Updated: October 9, 2023" (meta modified_time); no publication date is declared'
    ),
    "html/eb0759f205fe524d4791cdf1880adc52.html.gz": (
        'update day: JSON-LD datePublished 2022-10-24, dateline "Updated on December 14, 2023"'
    ),
    "html/370af8b69279853cf6b5e042425632df.html.gz": (
        "no evidence: og:article:published_time, <time> and dateline all say 2023-12-12; a story on 2024's inflation"
    ),
    "html/65bdb76d143cd6d4ecd6011cc29a3e1c.html.gz": (
        "no evidence: JSON-LD and meta datePublished 2023-12-23, modified the same day; gold 2024-01-20"
    ),
    "html/a38d3adcbf3845240d0b2c1f40c0675d.html.gz": (
        "no evidence: JSON-LD datePublished 2023-12-22 on a season that aired from October 2023; gold 2023-01-17"
    ),
    "html/ec24fa0cff74de948d1128c4ec8e4a21.html.gz": (
        'no evidence: JSON-LD datePublished 2024-02-15T13:23-05:00, shown as "Thursday 1:23PM" (a Thursday; 2023-10-30 was a Monday)'
    ),
    "html/f929a1431b6a7d6153381d6837f9cc47.html.gz": (
        'no evidence: JSON-LD datePublished 2023-12-18T13:30Z, dateline "December 18, 2023 5:30 AM", modified the same day'
    ),
}


def normalise_title(title: Optional[str]) -> str:
    """The corpus's rule: NFKC, case folding, quotes removed, whitespace collapsed; and, as for
    fundus, nothing invisible."""
    text = QUOTES.sub("", invisible_out(unicodedata.normalize("NFKC", title or "")).casefold())
    return " ".join(text.split())


def local_day(when: Optional[dt.datetime], offset: Optional[str]) -> Optional[dt.date]:
    """The calendar day of ``when`` where it was published: in ``offset`` ("+02:00") when the page
    gave one, else as the datetime stands."""
    if when is None:
        return None
    if offset and when.tzinfo is not None:
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = offset[1:].split(":")
        zone = dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))
        return when.astimezone(zone).date()
    return when.date()


def score(reading: Optional[dict], gold: dict) -> dict:
    reading = reading or {"title": None, "authors": [], "published_at": None, "text": ""}
    day = local_day(reading["published_at"], reading.get("published_offset"))
    return {
        "title_exact": normalise_title(reading["title"]) == normalise_title(gold["title"]),
        "date_same_day": (day == dt.date.fromisoformat(gold["date"])) if gold.get("date") else None,
        "authors_f1": authors_f1(reading["authors"], gold["authors"]) if gold["authors"] else None,
        "body_token_f1": token_f1(reading["text"], gold["body"]),
        "body_f1": body_f1(reading["text"], gold["body"]),
    }


def evaluate_page(corpus: Path, gold: dict, systems: tuple = SYSTEMS) -> dict:
    """Every system on one page."""
    from newsbeam.transforms.common.fetching import FetchedBody, decode_html
    from newsbeam.transforms.common.records import InputRecord
    from newsbeam.transforms.parse.article import article_from_record
    from newsbeam.transforms.parse.extractors import read_with_newspaper, read_with_trafilatura
    from newsbeam.transforms.parse.fields import parse_when, utc_offset

    def offset_kept(reading: dict) -> dict:
        when = reading["published_at"]
        return {**reading, "published_offset": utc_offset(when) if isinstance(when, dt.datetime) else None}

    html = decode_html(FetchedBody(gold["file"], gzip.decompress((corpus / gold["file"]).read_bytes())))
    record = InputRecord(input_ref=gold["file"], input_kind="html", url=gold["url"], html=html)
    parsers = {
        "newspaper4k alone": lambda: offset_kept(read_with_newspaper(html, gold["url"])),
        "trafilatura alone": lambda: offset_kept(
            {
                **(r := read_with_trafilatura(html, gold["url"], furniture_out=False)),
                "published_at": parse_when(r["published"]),
            }
        ),
        "newsbeam": lambda: article_from_record(record),
    }
    page = {"file": gold["file"], "url": gold["url"], "site": page_site_names(html, gold["url"])}
    for name in systems:
        reading, failure, ms = attempt(parsers[name])
        page[name] = {
            "failure": failure,
            "parse_ms": ms,
            "title": reading and reading["title"],
            "authors": reading and reading["authors"],
            "published_at": reading and reading["published_at"],
            "sources": reading
            and {
                "title": reading.get("title_source"),
                "date": f"{reading.get('published_source')} {reading.get('published_offset')}",
                "authors": reading.get("authors_source"),
            },
            **score(reading, gold),
        }
    return page


ROWS = (
    ("title exact", "title_exact"),
    ("date same day", "date_same_day"),
    ("authors F1", "authors_f1"),
    ("body token F1 mean", "body_token_f1"),
    ("body 4-gram F1 mean", "body_f1"),
)


def mean_of(pages: list[dict], system: str, key: str) -> tuple[int, Optional[float]]:
    values = [p[system][key] for p in pages if p[system][key] is not None]
    return len(values), (statistics.fmean(values) if values else None)


def report(pages: list[dict], seconds: float) -> str:
    lines = [
        f"# naeb-dev extraction quality: {len(pages)} pages in {seconds:.0f} s",
        "",
        "| metric | pages | " + " | ".join(SYSTEMS) + " |",
        "|---|---:|" + "---:|" * len(SYSTEMS),
    ]
    trusted = [p for p in pages if p["file"] not in WRONG_DATES]
    for label, key in ROWS:
        cells = [mean_of(pages, system, key) for system in SYSTEMS]
        lines.append(
            f"| {label} | {cells[-1][0]} | " + " | ".join(f"{100 * v:.1f} %" for _, v in cells) + " |"
        )
        if key == "date_same_day" and WRONG_DATES:
            cells = [mean_of(trusted, system, key) for system in SYSTEMS]
            lines.append(
                f"| date same day, without {len(WRONG_DATES)} wrong golds | {cells[-1][0]} | "
                + " | ".join(f"{100 * v:.1f} %" for _, v in cells)
                + " |"
            )
    if WRONG_DATES:
        lines += ["", "Gold dates judged wrong (the page's own evidence):"]
        for file, evidence in sorted(WRONG_DATES.items()):
            page = next((p for p in pages if p["file"] == file), None)
            ours = page and page["newsbeam"]["published_at"]
            lines.append(f"- {file}: {evidence} (newsbeam: {ours and ours.date()})")
    return "\n".join(lines)


def misses(pages: list[dict], golds: dict, field: str) -> str:
    """newsbeam's misses on one field, against the gold, for a look by hand."""
    key = {"title": "title_exact", "date": "date_same_day", "authors": "authors_f1"}[field]
    out = []
    for page in pages:
        mine = page["newsbeam"]
        if mine[key] is None or mine[key] == 1:
            continue
        gold = golds[page["file"]]
        ours = {"title": mine["title"], "date": mine["published_at"], "authors": mine["authors"]}[field]
        out.append(
            f"{page['file']} {page['url']}\n  gold: {gold[field]!r}\n  ours: {ours!r} ({(mine['sources'] or {}).get(field)})"
        )
    return "\n".join(out)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"Default: {DEFAULT_CORPUS}")
    parser.add_argument(
        "--json", type=Path, default=None, metavar="FILE", help="Write every per-page result here."
    )
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="Only the first N pages.")
    parser.add_argument(
        "--misses", choices=("title", "date", "authors"), help="List newsbeam's misses on FIELD."
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "gold.jsonl").is_file():
        print(f"eval_naeb: no corpus at {args.corpus} (no gold.jsonl); nothing to evaluate.")
        return 0
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    lines = (args.corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    golds = [json.loads(line) for line in lines if line.strip()][: args.limit]
    started = time.perf_counter()
    systems = ("newsbeam",) if args.misses else SYSTEMS
    pages = [evaluate_page(args.corpus, gold, systems) for gold in golds]
    if args.misses:
        print(misses(pages, {g["file"]: g for g in golds}, args.misses))
        n, value = mean_of(
            pages,
            "newsbeam",
            {"title": "title_exact", "date": "date_same_day", "authors": "authors_f1"}[args.misses],
        )
        print(f"\nnewsbeam {args.misses}: {value:.3f} over {n} pages")
        return 0
    print(report(pages, time.perf_counter() - started))
    if args.json:
        args.json.write_text(json.dumps(pages, default=str, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
