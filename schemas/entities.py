"""The ``entities`` table: every named-entity mention spaCy found in an article."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="entities",
    version=3,
    description="One row per named-entity mention in an article's body text.",
    fields=(
        field(
            "article_id", pa.string(), "The article the mention is in (articles.article_id).", nullable=False
        ),
        field(
            "mention_index",
            pa.int32(),
            "Position of the mention among the article's mentions, from 0.",
            nullable=False,
        ),
        field("text", pa.string(), "The mention as written.", nullable=False),
        field("label", pa.string(), "spaCy label: PERSON, ORG, GPE, LOC, NORP, DATE, ...", nullable=False),
        field(
            "entity",
            pa.string(),
            "The entity's one name within the article: 'Putin' is 'Vladimir Putin', 'U.S.' is 'United States'. "
            "Set since entities v2; null in older rows.",
        ),
        field(
            "entity_mentions",
            pa.int32(),
            "Mentions of this entity (same entity and kind) in the article: a salience signal. "
            "Set since entities v2; null in older rows.",
        ),
        field(
            "entity_first_char",
            pa.int32(),
            "Offset of the entity's first mention in articles.text: earlier is more salient. "
            "Set since entities v2; null in older rows.",
        ),
        field("start_char", pa.int32(), "Offset of the first character in articles.text.", nullable=False),
        field("end_char", pa.int32(), "Offset one past the last character in articles.text.", nullable=False),
        field("sentence_index", pa.int32(), "Sentence the mention is in, from 0.", nullable=False),
        field("model", pa.string(), "spaCy model name and version that found it.", nullable=False),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="published_date",
    partition_description="The article's published_date, so entities and articles prune together.",
)
