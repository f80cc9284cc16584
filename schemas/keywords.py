"""The ``keywords`` table: an article's key phrases with scores."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="keywords",
    version=1,
    description="Up to 10 key phrases per article, best first.",
    fields=(
        field("article_id", pa.string(), "The article (articles.article_id).", nullable=False),
        field("rank", pa.int16(), "1 for the best phrase.", nullable=False),
        field("phrase", pa.string(), "The key phrase.", nullable=False),
        field(
            "score",
            pa.float32(),
            "How key the phrase is; higher is better, comparable within one method.",
            nullable=False,
        ),
        field("method", pa.string(), "What scored it (library and version).", nullable=False),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="published_date",
    partition_description="The article's published_date.",
)
