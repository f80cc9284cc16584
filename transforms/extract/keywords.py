"""An article's key phrases with scores: YAKE, through the MIT-licensed Rust port ``yake-rust``.

YAKE (Campos et al., Information Sciences 2020) scores 1-3 word candidates between stopwords from
statistics of the text alone (casing, position, frequency, spread over sentences, context), so it
needs no model and works for any language with spaces between words and a stopword list.

Chosen with ``benchmarks/eval_keywords.py`` over 32 fundus stories (16 English with the seed story,
10 German, 2 each French, Spanish, Italian), by reading the top 10 side by side and by two rough
checks against the gold: title recall = share of the title's content words found in the top 10;
topic recall = share of the desk's tags found (a title's verbs count too, so neither is a keyphrase
gold: differences of a few points are noise at this size).

    method                           title en / de   topic en / de   ms per article (en)
    yake 0.7.3 (Python)              0.35 / 0.43     0.36 / 0.27     36
    yake-rust 1.2.1                  0.35 / 0.47     0.32 / 0.27     6
    pytextrank 3.3.0                 0.33 / 0.26     0.21 / 0.13     177 (164 of it the spaCy parse)
    spaCy noun chunks, freq + pos    0.38 / 0.46     0.27 / 0.28     182 (idem)
    this module, given the parse     0.40 / 0.49     0.32 / 0.29     9 (the parse not counted)
    this module, no parse            0.37 / 0.49     0.32 / 0.29     7

Beyond 50,000 characters the cost stays at about 65 ms (yake-rust alone: 370 ms for 400,000).

pytextrank and the noun chunks need a spaCy model per language (only the English one is installable
here: PyPI's ``de-core-news-*`` are placeholders); run with it on German they return "Die
Aufregung", "sich", "dass". On English, textrank favours long chunks ("France Info radio police")
and noun chunks favour "people", "Tuesday". YAKE's lists are the usable ones in every language, and
yake-rust gives the reference implementation's results at a sixth of its time; ``yake`` 0.7.3 itself
is AGPL-3.0 (its LICENSE file; its metadata says LGPL and GPL), which an Apache-2.0 pipeline should
not pull in.

YAKE alone ranks one-off fragments of the lead first on a short story ("California has destroyed",
"homes and forced" above "wildfire", said five times), so four cheap steps follow it:

- stopwords are YAKE's united with spaCy's for the language, and day names (Norwegian "ble" and
  "har" came out alone otherwise, and "Sunday" heads many a lead);
- a phrase said once has its YAKE score doubled, i.e. weighs half: a story's key phrases recur;
- a phrase whose words all belong to a better phrase is dropped ("State" and "Islamic" after
  "Islamic State"; case and a final "s" are ignored in that comparison);
- a phrase holding a verb is dropped when a parse is given ("forced thousands"), and a German one
  ending in a small letter always (nouns and names are capitalised there, so it ends in a verb,
  adjective or adverb: "Nahverkehr aufgerufen").

Score: YAKE's ``s`` is lower-is-better, in (0, ∞); ours is ``1 / (1 + s)`` (with ``s`` doubled for a
phrase said once), in (0, 1], higher is better. It ranks phrases within one article; it is not
calibrated across articles (longer texts get lower ``s``).

Not handled (``[]``): unknown language (None), and languages without a stopword list or without
spaces between words (Japanese and Chinese come out as whole clauses).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

#: ISO 639-1 code → yake-rust's code, for the languages it has stopword lists for. Japanese and
#: Chinese are left out on purpose: YAKE splits words on spaces. An unknown code panics in Rust
#: (a BaseException), so only these are ever passed on.
YAKE_LANGUAGES = {
    **{
        code: code
        for code in "ar bg da de el en es et fa fi fr hi hr hu hy id it lt lv nl pl pt ro ru".split()
    },
    **{code: code for code in "sk sl sv tr uk".split()},
    "cs": "cz",
    "no": "no",
    "nb": "no",
    "nn": "no",
}
#: spaCy's stop word module for a yake-rust code, where the names differ.
SPACY_STOPWORDS = {"cz": "cs", "no": "nb"}
#: Day names are never what a story is about. Month names are left alone: "May", "March" and
#: "August" are names and words too.
WEEKDAYS = {
    "en": {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
    "de": {"montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonnabend", "sonntag"},
}
#: YAKE's cost is linear in the text, about 1 ms per 1,000 characters: longer text is cut here
#: (about 8,000 words, 50 ms). The beginning of a story is where its key phrases are anyway.
MAX_CHARS = 50_000
#: Candidates asked of YAKE per phrase returned, so that the dropped ones leave enough.
CANDIDATES_PER_PHRASE = 6
#: yake-rust's scores vary in the last digits from call to call (its hash maps' order changes the
#: order of float sums), and so does the order of tied phrases and the choice its near-duplicate
#: removal makes between them: scores are rounded, ties ordered by the phrase, and near-duplicates
#: removed here instead (same words as a better phrase, or a subset of them).
SCORE_DIGITS = 10
#: How much worse YAKE's score is made for a phrase that occurs once.
SAID_ONCE = 2.0
NGRAMS = 3
WORD = re.compile(r"\w+")
#: Bumped whenever the steps after YAKE change, so scores of different revisions are told apart.
REVISION = 1


def _library_version() -> str:
    try:
        return importlib.metadata.version("yake-rust")
    except importlib.metadata.PackageNotFoundError:
        return "missing"


#: What scored the phrases, for the ``keywords`` table's ``method``.
METHOD = f"yake-rust-{_library_version()}+newsbeam-{REVISION}"


def keywords(text: str, language: Optional[str], doc=None, top: int = 10) -> list[tuple[str, float]]:
    """The text's ``top`` key phrases, best first, as (phrase as written, score in (0, 1]).

    ``language`` is an ISO 639-1 code ("en", "de"; "pt-BR" is read as "pt"); one YAKE cannot
    handle gives []. ``doc``, a spaCy parse of the same text with part-of-speech tags, is optional:
    with it, phrases holding a verb are dropped.
    """
    code = YAKE_LANGUAGES.get((language or "").split("-")[0].split("_")[0].lower())
    if code is None or top <= 0 or not text or not text.strip():
        return []
    text = _capped(text)
    lowered, verbs = text.lower(), verb_words(doc) if doc is not None else frozenset()
    candidates = []
    for phrase, score in _extractor(code).get_n_best(text, n=top * CANDIDATES_PER_PHRASE):
        once = not _said_twice(phrase.lower(), lowered)
        candidates.append((round(score * (SAID_ONCE if once else 1.0), SCORE_DIGITS), phrase))
    phrases, kept = [], []
    for score, phrase in sorted(candidates):
        written = phrase.split()
        words = frozenset(_word_key(word) for word in WORD.findall(phrase))
        if not words or any(words <= better for better in kept):
            continue
        if code == "de" and written[-1][:1].islower():
            continue
        if any(word.lower().strip(".,;:!?\"'()") in verbs for word in written):
            continue
        kept.append(words)
        phrases.append((phrase, 1.0 / (1.0 + score)))
        if len(phrases) == top:
            break
    return phrases


def stopwords(code: str) -> frozenset[str]:
    """YAKE's stopwords for a yake-rust language code, spaCy's and day names, lower-cased."""
    import yake_rust

    words = set(yake_rust.Yake(language=code).stopwords) | WEEKDAYS.get(code, set())
    words |= spacy_stop_words(SPACY_STOPWORDS.get(code, code))
    return frozenset(word.lower() for word in words if not word.startswith("#"))  # "#": list comments


def spacy_stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words for a language (empty if it has none), read from its ``stop_words``
    module alone. Importing ``spacy.lang.LANG.stop_words`` imports the language's package first,
    with its tokenizer exceptions and punctuation rules, which the keywords never use: for French,
    1.5 s of regular expressions compiled in every worker process."""
    name = f"spacy.lang.{language}.stop_words"
    if name in sys.modules:  # imported already, by a model of that language
        return frozenset(sys.modules[name].STOP_WORDS)
    spacy = importlib.util.find_spec("spacy")
    if not language.isalpha() or spacy is None or not spacy.submodule_search_locations:
        return frozenset()
    path = Path(spacy.submodule_search_locations[0]) / "lang" / language / "stop_words.py"
    if not path.is_file():  # spaCy has no list for this language: YAKE's alone
        return frozenset()
    spec = importlib.util.spec_from_file_location(f"_newsbeam_stop_words_{language}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # a set of words and nothing else, in every language spaCy has
    return frozenset(module.STOP_WORDS)


def verb_words(doc) -> frozenset[str]:
    """Lower-cased words the parse tags as a verb or auxiliary at least half the times they occur."""
    if not doc.has_annotation("POS"):
        return frozenset()
    seen, as_verb = Counter(), Counter()
    for token in doc:
        seen[token.lower_] += 1
        as_verb[token.lower_] += token.pos_ in ("VERB", "AUX")
    return frozenset(word for word, n in as_verb.items() if n and 2 * n >= seen[word])


@functools.lru_cache(maxsize=None)
def _extractor(code: str):
    # Cached per process (each worker builds its own).
    import yake_rust

    return yake_rust.Yake(stopwords=set(stopwords(code)), ngrams=NGRAMS, remove_duplicates=False)


def _said_twice(phrase: str, lowered: str) -> bool:
    """Whether the phrase occurs twice or more as whole words in the lower-cased text."""
    if lowered.count(phrase) < 2:  # cheap, and a whole-word match is a substring match
        return False
    # What re.finditer(r"(?<!\w)PHRASE(?!\w)") finds, without compiling a pattern per phrase
    # (that was a quarter of this stage's time): matches do not overlap, as finditer's do not.
    found, start = 0, 0
    while (at := lowered.find(phrase, start)) >= 0:
        end = at + len(phrase)
        if not _word_char(lowered, at - 1) and not _word_char(lowered, end):
            found += 1
            if found == 2:
                return True
            start = end
        else:
            start = at + 1
    return False


def _word_char(text: str, index: int) -> bool:
    """Whether ``text[index]`` is a character ``\\w`` matches (out of range is not)."""
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _capped(text: str) -> str:
    """At most MAX_CHARS characters, cut at the last paragraph or word break before the cap."""
    if len(text) <= MAX_CHARS:
        return text
    head = text[:MAX_CHARS]
    cut = head.rfind("\n\n")
    if cut < MAX_CHARS // 2:
        cut = head.rfind(" ")
    return head[:cut] if cut > 0 else head


def _word_key(word: str) -> str:
    """A word for comparing phrases: lower case, without a final "s" ("Trumps", "Golfs")."""
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") else word
