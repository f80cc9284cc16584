"""Quotes and counts: how many labelled quotations the extractor finds, and with the right speaker.

Fourteen English stories of ``../shared/corpora/fundus`` (US, UK, Canadian, Australian,
Namibian, South African and Indian outlets) and the seed story ``../shared/seed/000_...txt``
were read by hand, independently of what the extractor outputs. ``quote_labels.jsonl`` holds one
line per direct quotation of the body text: quote marks around speech of at least four words
(whitespace-separated, so "double-edged sword" is two), headlines left out. Each line gives the
story's file, the quotation's opening words and its speaker: the full name as the story gives it,
else the organisation or description ("Nato official", "prison officials"), else "none" when the
story names no one (a poll item, a rule's wording). Several accepted forms are separated by "|"
("Israel Defense Forces|IDF"). A quotation newswire continues over paragraphs, reopening each and
closing only the last, is one quotation.

The gold body text is the article text; each story goes through ``transforms.extract.doc_rows``
with the pipeline's model, as in the pipeline. An extracted quote matches a label when the label's
opening words (casefolded word tokens) begin the quote; of several, the longest. Printed:

- recall: labelled quotations found; precision: extracted quotes that are labelled quotations
  (scare quotes, titles and fragments of quotations count against it);
- speaker accuracy over the found labelled quotes: the extractor's normalised speaker equals a
  label's form (casefolded; leading "the"/"a", honorifics and possessives dropped), and, looser,
  their last words match; "none" is right only when no speaker is given. Broken down by how the
  extractor attributed the quote (after / before / continuation / pronoun / none);
- counts (``COUNT_LABELS``, five of the stories labelled by reading): precision and recall of the
  extractor's (number, kind) pairs, and of (number, kind, object), as multisets per story.

Figures, not a test: nothing here passes or fails. Small sample: 136 quotations (one is about 0.7
points) and 46 counts. The seed story was used while writing both extractors and their tests, so
it flatters them; the Fundus stories were not.

    .venv/bin/python benchmarks/eval_quotes.py [--corpus PATH] [--seed PATH] [--errors]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
import unicodedata
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
DEFAULT_SEED = PROJECT_ROOT.parent / "shared" / "seed"
LABELS = Path(__file__).resolve().parent / "quote_labels.jsonl"
NONE = "none"
KINDS = ("after", "before", "continuation", "pronoun", "none")
WORD = re.compile(r"\w+")
HONORIFIC = re.compile(r"^(?:mr|mrs|ms|dr|sir|lord|lady|sen|gov|gen)\.?\s+")
ARTICLE = re.compile(r"^(?:the|a|an)\s+")
POSSESSIVE = re.compile(r"'s?$")

# Counts labelled by reading, with the meaning transforms/counts.py documents: (number, kind,
# object), kind being the past form of the verb the counted thing undergoes, or "count".
# Not counts, so not labelled: dates, times, money, percentages, ordinals, ages, units ("two days",
# "72 hours", "1.34 km"), compound adjectives ("a five-story building"), 0 and 1, a number counting
# nothing ("the toll had risen to 21").
# fmt: off
COUNT_LABELS: dict[str, list[tuple[float, str, Optional[str]]]] = {
    "seed/000_bcb57dddbc643e17.txt": [
        (353, "killed", "people"), (129, "killed", None), (2, "discovered", "houses"),
        (5, "arrested", "suspects"), (2, "count", "women"), (224, "killed", "people"),
        (28, "count", "states"), (8, "count", "attackers"), (128, "count", "raids"),
        (2, "count", "brothers"), (5, "identified", "assailants"), (7, "count", "assailants"),
        (4, "count", "frenchmen"), (4, "count", "people"), (2, "named", "attackers"),
    ],
    "html/us/Reuters_2024_03_07.html.gz": [
        (2, "fired", "shells"), (2, "fired", "rounds"), (2, "count", "reporters"),
        (7, "count", "journalists"), (2, "came", "rounds"), (25, "count", "shots"),
        (9, "count", "shots"), (12, "count", "shots"), (3, "count", "shots"),
        (2, "wounded", "journalists"), (2, "count", "rounds"), (2, "fired", "rounds"),
        (2, "count", "rounds"),
    ],
    "html/uk/BBC_2026_04_25.html.gz": [
        (12, "count", "countries"), (32, "count", "members"), (12, "count", "founders"),
        (20, "joined", "countries"),
    ],
    "html/za/TimesLive_2025_11_10.html.gz": [
        (350, "left", "people"), (124000, "count", "followers"), (19, "count", "tweets"),
        (3, "count", "accounts"),
    ],
    "html/ca/GlobalNews_2026_05_24.html.gz": [
        (2, "killed", "people"), (83, "wounded", "people"), (600, "count", "drones"),
        (90, "count", "missiles"), (549, "destroyed", "drones"), (55, "destroyed", "missiles"),
        (19, "failed", "missiles"), (42, "wounded", "people"), (50, "count", "locations"),
        (33, "shot", "drones"),
    ],
}
# fmt: on


# ---------------------------------------------------------------- labels and texts


def words(text: str) -> list[str]:
    """Casefolded word tokens, one kind of apostrophe: what opening words are compared on."""
    return WORD.findall(unicodedata.normalize("NFKC", text).casefold().replace("’", "'"))


def normalise_speaker(name: str) -> str:
    """ "The Conservatives'", "Sir Keir Starmer", "a Nato official" → "conservatives", "keir
    starmer", "nato official"."""
    text = " ".join(unicodedata.normalize("NFKC", name).casefold().replace("’", "'").split())
    text = POSSESSIVE.sub("", ARTICLE.sub("", text)).strip(" .,;:")
    return HONORIFIC.sub("", text)


def load_labels(path: Path) -> dict[str, list[dict]]:
    """file → its labels in reading order, each {file, opening, speaker, forms}."""
    labels: dict[str, list[dict]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label = json.loads(line)
            label["forms"] = [normalise_speaker(form) for form in label["speaker"].split("|")]
            labels[label["file"]].append(label)
    return dict(labels)


def article_texts(files: list[str], corpus: Path, seed: Path) -> dict[str, str]:
    """file → the gold body text (Fundus) or the story's text (seed/...), for those present."""
    bodies = {}
    for line in (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if record["file"] in files:
                bodies[record["file"]] = record["body"]
    for file in files:
        path = seed / file.removeprefix("seed/")
        if file.startswith("seed/") and path.is_file():
            bodies[file] = path.read_text(encoding="utf-8")
    return bodies


def misplaced_labels(labels: list[dict], text: str) -> list[str]:
    """Labels whose opening words are nowhere in the text (a typo in the labels file)."""
    joined = " " + " ".join(words(text)) + " "
    return [
        label["opening"] for label in labels if " " + " ".join(words(label["opening"])) + " " not in joined
    ]


# ---------------------------------------------------------------- extracting and matching


def extract(nlp, text: str) -> tuple[list[dict], list[dict]]:
    """(quote rows, count rows) of one story, through the pipeline's own ``doc_rows``."""
    from newsbeam.transforms.extract.nlp import COUNTS, QUOTES, doc_rows

    article = {"article_id": "eval", "published_date": None}
    rows, _ = doc_rows(nlp(text), article, "eval", deadline=float("inf"))
    return rows[QUOTES], rows[COUNTS]


def match_quotes(labels: list[dict], quotes: list[dict]) -> list[Optional[dict]]:
    """For each extracted quote, the label it is (the longest whose opening words begin it, not
    already taken by an earlier quote), or None."""
    taken: set[int] = set()
    matches = []
    for quote in quotes:
        tokens = words(quote["quote"])
        best = None
        for index, label in enumerate(labels):
            opening = words(label["opening"])
            if index not in taken and tokens[: len(opening)] == opening:
                if best is None or len(opening) > len(words(labels[best]["opening"])):
                    best = index
        if best is not None:
            taken.add(best)
        matches.append(labels[best] if best is not None else None)
    return matches


def attribution_kind(quote: dict) -> str:
    """after / before / continuation / pronoun / none, from the extractor's ``attribution``."""
    how = quote["attribution"]
    if not how:
        return "none"
    return "pronoun" if how.endswith("+pronoun") else how


def speaker_right(label: dict, speaker: Optional[str]) -> tuple[bool, bool]:
    """(exact, last name) agreement of the extractor's speaker with the label."""
    if label["speaker"] == NONE:
        return speaker is None, speaker is None
    if speaker is None:
        return False, False
    ours = normalise_speaker(speaker)
    exact = ours in label["forms"]
    last = bool(ours) and any(form.split()[-1] == ours.split()[-1] for form in label["forms"])
    return exact, exact or last


def evaluate_story(nlp, file: str, text: str, labels: list[dict]) -> dict:
    """One story's labels with what the extractor gave for each, and its unmatched quotes."""
    quotes, counts = extract(nlp, text)
    found = {}
    unmatched = []
    for quote, label in zip(quotes, match_quotes(labels, quotes), strict=True):
        if label is None:
            unmatched.append(quote)
        else:
            found[id(label)] = quote
    results = []
    for label in labels:
        quote = found.get(id(label))
        exact, last = speaker_right(label, quote["speaker"]) if quote else (False, False)
        results.append(
            {
                "file": file,
                "opening": label["opening"],
                "expected": label["speaker"],
                "found": quote is not None,
                "got": quote["speaker"] if quote else None,
                "kind": attribution_kind(quote) if quote else None,
                "exact": exact,
                "last_name": last,
            }
        )
    return {
        "file": file,
        "labels": results,
        "extracted": len(quotes),
        "unmatched": unmatched,
        "counts": counts,
    }


# ---------------------------------------------------------------- counts


def count_scores(stories: list[dict]) -> list[str]:
    """Precision and recall of (number, kind) and (number, kind, object) over the labelled stories."""
    totals = Counter()
    for story in stories:
        gold = COUNT_LABELS.get(story["file"])
        if gold is None:
            continue
        ours = [(row["number"], row["kind"], row["object"]) for row in story["counts"]]
        for width, name in ((2, "pair"), (3, "triple")):
            mine, theirs = Counter(t[:width] for t in ours), Counter(t[:width] for t in gold)
            totals[f"{name}_hit"] += sum((mine & theirs).values())
            totals[f"{name}_ours"] += sum(mine.values())
            totals[f"{name}_gold"] += sum(theirs.values())
        totals["stories"] += 1
    if not totals["stories"]:
        return []
    lines = [
        f"## Counts ({totals['stories']} stories, {totals['pair_gold']} labelled counts, "
        f"{totals['pair_ours']} extracted)",
        "",
        "| match on | precision | recall |",
        "|---|---:|---:|",
    ]
    for name, label in (("pair", "(number, kind)"), ("triple", "(number, kind, object)")):
        hit, ours, gold = totals[f"{name}_hit"], totals[f"{name}_ours"], totals[f"{name}_gold"]
        lines.append(f"| {label} | {share(hit, ours)} | {share(hit, gold)} |")
    return lines


def count_errors(stories: list[dict]) -> list[str]:
    """Labelled counts the extractor missed and extracted counts no label has, per story."""
    lines = []
    for story in stories:
        gold = COUNT_LABELS.get(story["file"])
        if gold is None:
            continue
        ours = Counter((row["number"], row["kind"], row["object"]) for row in story["counts"])
        theirs = Counter(gold)
        for triple in sorted((theirs - ours).elements(), key=str):
            lines.append(f"- {short(story['file'])}: missed {format_count(triple)}")
        unlabelled = ours - theirs
        for row in story["counts"]:
            triple = (row["number"], row["kind"], row["object"])
            if unlabelled[triple] > 0:
                unlabelled[triple] -= 1
                lines.append(f"- {short(story['file'])}: extra {format_count(triple)} ({row['text']!r})")
    return lines


def format_count(triple: tuple) -> str:
    number, kind, counted = triple
    return f"{number:g} {kind} {counted or '-'}"


# ---------------------------------------------------------------- reporting


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%} ({part}/{whole})" if whole else "–"


def short(file: str) -> str:
    """html/us/Reuters_2024_03_07.html.gz → us/Reuters_2024_03_07."""
    return file.removeprefix("html/").removesuffix(".html.gz")


def opening_words(text: str, n: int = 8) -> str:
    return " ".join(text.split()[:n])


def report(stories: list[dict], seconds: float, show_errors: bool) -> str:
    results = [r for story in stories for r in story["labels"]]
    found = [r for r in results if r["found"]]
    extracted = sum(story["extracted"] for story in stories)
    out = [
        f"# Quotes: {len(results)} labelled quotations in {len(stories)} stories ({seconds:.0f} s)",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| recall (labelled quotations found) | {share(len(found), len(results))} |",
        f"| precision (extracted quotes that are labelled) | {share(len(found), extracted)} |",
        f"| speaker exact, of found | {share(sum(r['exact'] for r in found), len(found))} |",
        f"| speaker last name, of found | {share(sum(r['last_name'] for r in found), len(found))} |",
        f"| speaker exact, of all labelled | {share(sum(r['exact'] for r in results), len(results))} |",
        "",
        "## Speaker by attribution (the extractor's)",
        "",
        "| attribution | found | exact | last name |",
        "|---|---:|---:|---:|",
    ]
    for kind in KINDS:
        chosen = [r for r in found if r["kind"] == kind]
        exact, last = sum(r["exact"] for r in chosen), sum(r["last_name"] for r in chosen)
        out.append(f"| {kind} | {len(chosen)} | {share(exact, len(chosen))} | {share(last, len(chosen))} |")
    out += [
        "",
        "## Per story",
        "",
        "| story | labelled | found | extracted | speaker exact |",
        "|---|---:|---:|---:|---:|",
    ]
    for story in stories:
        rows = story["labels"]
        hits = [r for r in rows if r["found"]]
        exact = sum(r["exact"] for r in hits)
        out.append(
            f"| {short(story['file'])} | {len(rows)} | {len(hits)} | {story['extracted']} | {share(exact, len(hits))} |"
        )
    counts = count_scores(stories)
    if counts:
        out += [""] + counts
    if show_errors:
        out += ["", "## Misses (story | opening words | expected | got, attribution)", ""]
        for r in results:
            if not r["found"]:
                out.append(f"- {short(r['file'])} | {r['opening']} | {r['expected']} | NOT FOUND")
            elif not r["exact"]:
                out.append(
                    f"- {short(r['file'])} | {r['opening']} | {r['expected']} | {r['got']}, {r['kind']}"
                )
        out += [
            "",
            "## Extracted quotes that are no labelled quotation (story | opening words | speaker)",
            "",
        ]
        for story in stories:
            for quote in story["unmatched"]:
                out.append(f"- {short(story['file'])} | {opening_words(quote['quote'])} | {quote['speaker']}")
        if counts:
            out += ["", "## Count errors (number kind object)", ""] + count_errors(stories)
    return "\n".join(out)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"Default: {DEFAULT_CORPUS}")
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help=f"Default: {DEFAULT_SEED}")
    parser.add_argument("--labels", type=Path, default=LABELS, help=f"Default: {LABELS}")
    parser.add_argument(
        "--errors", action="store_true", help="List every miss, wrong speaker and extra quote."
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "gold.jsonl").is_file():
        print(f"eval_quotes: no corpus at {args.corpus} (no gold.jsonl); nothing to evaluate.")
        return 0
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")  # Beam's import-time warnings say nothing about quality
    sys.path.insert(0, str(PROJECT_ROOT))
    from newsbeam.transforms.extract.nlp import DEFAULT_MODEL, load_model

    labels = load_labels(args.labels)
    texts = article_texts(list(labels), args.corpus, args.seed)
    for file in labels:
        if file not in texts:
            print(f"eval_quotes: {file} not found; its {len(labels[file])} labels are left out.")
        else:
            for opening in misplaced_labels(labels[file], texts[file]):
                print(f"eval_quotes: label {opening!r} is not in {file}; check the labels file.")
    started = time.perf_counter()
    nlp = load_model(DEFAULT_MODEL)
    stories = [evaluate_story(nlp, file, texts[file], labels[file]) for file in labels if file in texts]
    print(report(stories, time.perf_counter() - started, args.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
