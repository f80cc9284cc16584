"""The ``duplicates`` table: input records dropped as copies of a kept article."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="duplicates",
    version=2,
    description="One row per input record dropped because another record is the same story.",
    fields=(
        field("article_id", pa.string(), "Id the dropped record would have had.", nullable=False),
        field("url", pa.string(), "The URL as it arrived, before normalisation.", nullable=False),
        field("input_ref", pa.string(), "Where the dropped record came from.", nullable=False),
        field("duplicate_of", pa.string(), "article_id of the kept article.", nullable=False),
        field(
            "reason",
            pa.string(),
            "Why it is a duplicate: url (same canonical URL as the kept article, or the same link "
            "met twice in one run), text (same normalised body), near (MinHash-estimated Jaccard "
            "similarity over word shingles at or above the threshold) or seen_link (an earlier run "
            "fetched this link: not fetched again; see the links table).",
            nullable=False,
        ),
        field(
            "similarity",
            pa.float32(),
            "Estimated Jaccard similarity of its body to the kept article's (1.0 for text).",
            nullable=False,
        ),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="run_date",
    partition_description="The run's day (UTC start day, or --run_date): duplicates are a record of what a run dropped.",
)
