"""The ``quotes`` table: direct quotations in an article and who said them."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="quotes",
    version=1,
    description="One row per direct quotation in an English article's body text, with its speaker.",
    fields=(
        field("article_id", pa.string(), "The article (articles.article_id).", nullable=False),
        field("quote_index", pa.int32(), "Position of the quote in the article, from 0.", nullable=False),
        field(
            "quote", pa.string(), "The quoted words, paragraphs kept, without quote marks.", nullable=False
        ),
        field(
            "start_char",
            pa.int32(),
            "Offset of the quote's first character in articles.text.",
            nullable=False,
        ),
        field("end_char", pa.int32(), "Offset one past its last character in articles.text.", nullable=False),
        field("sentence_index", pa.int32(), "Sentence the quote starts in, from 0.", nullable=False),
        field(
            "speaker_text",
            pa.string(),
            "The speaker as written (a name, a noun phrase or he/she/they); null when none was found.",
        ),
        field(
            "speaker",
            pa.string(),
            "The speaker as the article's normalised entity name (entities.entity); a pronoun resolved to the person it stands for.",
        ),
        field("speech_verb", pa.string(), "The verb of speech: said, told, added, ..."),
        field(
            "attribution",
            pa.string(),
            "How the speaker was found: after (verb after the quote), before (verb before it), continuation "
            "(the previous quote's speaker), with +pronoun when a pronoun was resolved; null when unattributed.",
        ),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="published_date",
    partition_description="The article's published_date, so quotes and articles prune together.",
)
