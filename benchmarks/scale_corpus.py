"""A corpus of any size built from the fundus pages, for speed figures at scale.

Page ``n`` is fundus page ``n % 258`` ("its original"); the first 258 are the originals unchanged,
every later one a *variant*: each story paragraph (a ``<p>`` of at least MIN_PARAGRAPH characters)
is replaced by a paragraph drawn at random from all the pages in the same language, and every
occurrence of the original's URL path (canonical link, og:url, JSON-LD) gets a ``-v<n>`` suffix. So
variants keep their page's markup, boilerplate, title, authors and date, which is what parsing
costs, but carry their own text and canonical URL, so they are new stories to deduplication and
extraction, not copies of the original. Languages with only a page or two have few paragraphs to
draw from; some of their variants come out as near-duplicates of each other, as wire copies do.
The counts of each are in the run's summary.

    .venv/bin/python benchmarks/scale_corpus.py OUT_FOLDER --pages 2000
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
MIN_PARAGRAPH = 60


@dataclass(frozen=True)
class Original:
    name: str
    url: str
    html: bytes
    language: str


def originals(corpus: Path) -> list[Original]:
    """The fundus pages, each with the language of its gold body."""
    from newsbeam.transforms.parse.language import detect_language

    pages = []
    for line in (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        gold = json.loads(line)
        name = gold["file"].split("/", 1)[1].replace("/", "_").removesuffix(".gz")
        language = detect_language(gold["body"])[0] or "?"
        pages.append(
            Original(name, gold["url"], gzip.decompress((corpus / gold["file"]).read_bytes()), language)
        )
    return pages


def story_paragraphs(tree) -> list:
    return [p for p in tree.iter("p") if len(p.text_content().strip()) >= MIN_PARAGRAPH]


def parse(html: bytes):
    import lxml.html

    return lxml.html.document_fromstring(html)


def paragraph_pools(pages: list[Original]) -> dict[str, list[str]]:
    pools = defaultdict(list)
    for page in pages:
        pools[page.language] += [
            " ".join(p.text_content().split()) for p in story_paragraphs(parse(page.html))
        ]
    return pools


def variant(page: Original, number: int, pool: list[str]) -> bytes:
    """Page ``number``'s HTML: ``page`` with its story paragraphs drawn anew and its URL path moved."""
    import lxml.html

    rng = random.Random(number)
    tree = parse(page.html)
    for paragraph in story_paragraphs(tree):
        for child in list(paragraph):
            paragraph.remove(child)
        paragraph.text = rng.choice(pool) if pool else paragraph.text
    html = lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")
    path = urlsplit(page.url).path.rstrip("/")
    if len(path) > 1:
        html = html.replace(path.encode(), f"{path}-v{number}".encode())
    return html


def page_url(page: Original, number: int) -> str:
    if number < 0:
        return page.url
    parts = urlsplit(page.url)
    return parts._replace(path=f"{parts.path.rstrip('/')}-v{number}").geturl()


def build(corpus: Path, count: int, folder: Path) -> list[Path]:
    """Write ``count`` pages under ``folder`` (created); returns their paths in order."""
    pages = originals(corpus)
    pools = paragraph_pools(pages)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(count):
        page = pages[number % len(pages)]
        data = page.html if number < len(pages) else variant(page, number, pools[page.language])
        path = folder / f"{number:05d}_{page.name}"
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(PROJECT_ROOT))
    written = build(args.corpus, args.pages, args.folder)
    print(f"{len(written)} pages under {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
