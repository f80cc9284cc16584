"""The ``counts`` table: numbers attached to events and objects, GDELT-style."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="counts",
    version=1,
    description="One row per count in an English article: a number of something, and what happened to it.",
    fields=(
        field("article_id", pa.string(), "The article (articles.article_id).", nullable=False),
        field("count_index", pa.int32(), "Position of the count in the article, from 0.", nullable=False),
        field(
            "kind",
            pa.string(),
            "The event or verb the number is attached to (killed, arrested, ...), or 'count'.",
            nullable=False,
        ),
        field("number", pa.float64(), "The number, from digits or number words.", nullable=False),
        field(
            "object", pa.string(), "What is counted (the noun: people, raids, suspects); null when unknown."
        ),
        field(
            "text",
            pa.string(),
            "The counted phrase as written: the number and what it counts ('at least 40 people').",
            nullable=False,
        ),
        field(
            "start_char",
            pa.int32(),
            "Offset of the phrase's first character in articles.text (phrases of two counts may overlap).",
            nullable=False,
        ),
        field("end_char", pa.int32(), "Offset one past its end in articles.text.", nullable=False),
        field("sentence_index", pa.int32(), "Sentence the count is in, from 0.", nullable=False),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="published_date",
    partition_description="The article's published_date.",
)
