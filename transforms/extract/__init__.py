"""What is in the stories: entities, places, quotes, counts (one spaCy pass) and keywords.

``ExtractFromText`` is one composite transform with two parallel branches:

- **spaCy**: articles in a language with a model (``--spacy_model LANG=NAME``; English by
  default) are batched with ``BatchElements`` and parsed once with ``nlp.pipe``. The model is
  loaded in ``setup`` through one Beam ``Shared`` handle per model, so the threads of one worker
  process share one copy, and a later run in the same process (a scheduler that calls ``run``
  again, the test suite) finds it loaded. Each Doc feeds the extractors that need it: entities
  with their normalised names (:mod:`.names`), places (:mod:`.places`), quotes (:mod:`.quotes`)
  and counts (:mod:`.counts`).
- **keywords** (:mod:`.keywords`) need no parse and run on every article beside it.

Heavy work is bounded: text past ``max_chars`` is not sent to the model (counted as
``nlp_text_truncated``), and once an article has used ``time_budget`` seconds the extractors
not yet run are skipped, with an ``errors`` row (stage extract, kind ``time_budget``) saying which.
"""

from __future__ import annotations

import functools
import time
from typing import Optional

import apache_beam as beam
from apache_beam.utils import shared

from newsbeam.transforms.common.errors import ERRORS, error_row
from newsbeam.transforms.common.progress import CountProgress, Tally
from newsbeam.transforms.common.timing import Timed, add_seconds, timed
from newsbeam.transforms.extract.keywords import METHOD, keywords
from newsbeam.transforms.extract.nlp import (
    COUNTS,
    ENTITIES,
    PLACES,
    QUOTES,
    NlpConfig,
    doc_rows,
    load_model,
    text_weight,
)
from newsbeam.transforms.extract.places import load_gazetteer

__all__ = ["ExtractFromText", "NlpConfig", "spacy_batches"]


class _Model:
    """A loaded spaCy pipeline in an object Beam's ``Shared`` can hold a weak reference to."""

    def __init__(self, name: str):
        self.nlp = load_model(name)
        self.label = f"{self.nlp.meta.get('name', name)}-{self.nlp.meta.get('version', '')}"


@functools.cache
def _model_handle(name: str) -> shared.Shared:
    """One ``Shared`` handle per model name, made once in the launching process and pickled with
    every ``SpacyFn`` of that model, so every run started from that process keys the model the
    same: Beam keeps the object last acquired in a process alive, and a later run's workers in that
    process (in-process runs: a scheduler that calls ``run`` again, the test suite) take the model
    loaded already instead of loading it again (2 to 3 s a run). Each worker process of a
    distributed run still loads its own, once."""
    return shared.Shared()


class SpacyFn(beam.DoFn):
    """A batch of articles for one model → rows for entities, places, quotes and counts."""

    def __init__(self, config: NlpConfig, model_name: str, progress_dir: Optional[str] = None):
        self._config = config
        self._model_name = model_name
        self._progress_dir = progress_dir
        self._shared = _model_handle(model_name)  # one model per worker process, shared by its threads

    def setup(self):

        name = self._model_name
        self._model = self._shared.acquire(lambda: _Model(name), tag=name)
        load_gazetteer()  # built once per process (2 to 3 s), not on the first article
        self._done = Tally("extracted", self._progress_dir)

    def finish_bundle(self):
        self._done.flush()

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
                self._done.add()
                yield self._error(article, "nlp_failed", f"spaCy or an extractor failed: {exc!r}")
                continue
            self._done.add()  # its rows are made; each article counts once, failed or not
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


def spacy_batches(config: NlpConfig) -> beam.BatchElements:
    """Batches for ``nlp.pipe``: at most ``batch_size`` articles and ``batch_chars`` characters
    of text, so the largest batch of a run, and with it a worker's peak memory, does not grow
    with the run. Each batch is filled to those bounds: left to itself, ``BatchElements`` starts
    each worker at one article and sizes later batches from their timings, which on 500 bench
    pages made 38 batches for 154 articles, 12 of them of one or two."""
    return beam.BatchElements(
        min_batch_size=config.batch_size,
        max_batch_size=config.batch_size,
        element_size_fn=functools.partial(text_weight, cap=config.max_chars),
        max_batch_weight=config.batch_chars,
    )


class ExtractFromText(beam.PTransform):
    """Articles (with ``nlp_model`` set by :func:`nlp_plan`) → {table: rows} and extract errors."""

    def __init__(self, config: Optional[NlpConfig] = None, progress_dir: Optional[str] = None):
        super().__init__()
        self._config = config or NlpConfig()
        self._progress_dir = progress_dir

    def expand(self, articles):
        config = self._config
        slim = ("article_id", "published_date", "input_ref", "language", "text")
        outputs: dict = {tag: [] for tag in (ENTITIES, PLACES, QUOTES, COUNTS, ERRORS)}
        for name in sorted(set(config.models.values())):  # a branch per model, batched apart
            label = name.replace(".", "_")
            todo = (
                articles
                | f"For_{label}" >> beam.Filter(lambda a, n: a["nlp_model"] == n, name)
                | f"Slim_{label}" >> beam.Map(lambda a: {k: a[k] for k in slim})
            )
            _ = todo | f"ToExtract_{label}" >> beam.ParDo(CountProgress("to_extract", self._progress_dir))
            # The shuffle ends the stage that counts what spaCy has to do before spaCy starts, so
            # the progress line knows the whole count (fused, the count only led spaCy by a
            # batch), and spreads the heaviest work of a run afresh over the workers.
            parsed = (
                todo
                | f"Spread_{label}" >> beam.Reshuffle()
                | f"Batch_{label}" >> spacy_batches(config)
                | f"Spacy_{label}"
                >> beam.ParDo(SpacyFn(config, name, self._progress_dir)).with_outputs(
                    ENTITIES, PLACES, QUOTES, COUNTS, ERRORS
                )
            )
            for tag in outputs:
                outputs[tag].append(parsed[tag])
        merged = {tag: pcolls | f"All_{tag}" >> beam.Flatten() for tag, pcolls in outputs.items()}
        tables = {tag: merged[tag] for tag in (ENTITIES, PLACES, QUOTES, COUNTS)}
        tables["keywords"] = articles | "Keywords" >> beam.FlatMap(Timed("keywords", keyword_rows))
        return tables, merged[ERRORS]
