"""The ``articles`` table: one row per story kept, with what newspaper4k extracted."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

DECLARED_TITLE = pa.struct(
    [pa.field("source", pa.string(), nullable=False), pa.field("text", pa.string(), nullable=False)]
)

TABLE = TableSpec(
    name="articles",
    version=6,
    description="One row per story kept after deduplication.",
    fields=(
        field(
            "article_id",
            pa.string(),
            "Stable id: 32 hex chars of SHA-256 over canonical_url.",
            nullable=False,
        ),
        field(
            "url",
            pa.string(),
            "The URL as the input gave it (feed link, JSONL url, or file:// URI).",
            nullable=False,
        ),
        field(
            "canonical_url",
            pa.string(),
            "Normalised URL the story is deduplicated on (rel=canonical on the same site, else url).",
            nullable=False,
        ),
        field("source_domain", pa.string(), "Host of canonical_url without 'www.'; null for local files."),
        field(
            "cluster_id",
            pa.string(),
            "The story this article stands for: its own article_id (duplicates.duplicate_of points here). "
            "Set on every row since articles v3; null only in rows older versions wrote.",
        ),
        field(
            "copies",
            pa.int32(),
            "Copies of the story this run saw, this one included (1 = no duplicate); copies found by "
            "later runs are rows in duplicates. Set since articles v3; null in older rows.",
        ),
        field("title", pa.string(), "Headline."),
        field(
            "authors",
            pa.list_(pa.string()),
            "Author names as found on the page or in the feed.",
            nullable=False,
        ),
        field("published_at", pa.timestamp("us", tz="UTC"), "Publication time in UTC; null when unknown."),
        field(
            "published_offset",
            pa.string(),
            "UTC offset the page gave its date in, e.g. +02:00; null when it gave none.",
        ),
        field(
            "language",
            pa.string(),
            "ISO 639-1 code detected from the text, else from the page's meta tags or the input; null when unknown.",
        ),
        field(
            "language_source",
            pa.string(),
            "Where the language came from: text (detected from the body), page (its meta tags) or input:<kind>.",
        ),
        field("text", pa.string(), "Body text, paragraphs separated by blank lines.", nullable=False),
        field(
            "tone_positive",
            pa.float32(),
            "Share of the body's sentences whose VADER compound score is at least +0.05 (English only; null otherwise).",
        ),
        field(
            "tone_negative",
            pa.float32(),
            "Share of the body's sentences whose VADER compound score is at most -0.05 (English only; null otherwise).",
        ),
        field(
            "tone_polarity",
            pa.float32(),
            "Mean VADER compound score of the body's sentences, from -1 (negative) to +1 (positive) (English only; null otherwise).",
        ),
        field(
            "nlp_model",
            pa.string(),
            "spaCy model that made this article's entities, places, quotes and counts rows; null when none ran.",
        ),
        field(
            "nlp_note",
            pa.string(),
            "Why no spaCy model read the article (no model for its language, language unknown); null when one did.",
        ),
        field("word_count", pa.int32(), "Whitespace-separated words in text.", nullable=False),
        field("top_image", pa.string(), "URL of the lead image; null when none."),
        field(
            "title_source",
            pa.string(),
            "Where the title came from: html:h1 (the headline the page shows), json-ld, meta:og:title, trafilatura, newspaper4k, html:title, text:first-line or input:<kind>.",
        ),
        field(
            "declared_titles",
            pa.list_(DECLARED_TITLE),
            "The headlines the page declares for search engines and social cards, as written, each with "
            "its source (json-ld, meta:og:title, meta:twitter:title, ..., html:title); they often differ "
            "from title, the visible one. Empty when the page declares none; null for plain-text and "
            "feed-only stories and in rows older than articles v6.",
        ),
        field(
            "authors_source",
            pa.string(),
            "Where the authors came from: json-ld, meta:<name>, script:chartbeat, newspaper4k, trafilatura or input:<kind>.",
        ),
        field(
            "published_source",
            pa.string(),
            "Where the date came from: json-ld, meta:<name>, html:time, newspaper4k, htmldate, trafilatura or input:<kind>.",
        ),
        field(
            "text_source",
            pa.string(),
            "Which extractor gave the body: trafilatura, newspaper4k, text (a plain-text input), input:rss or input:jsonfeed (the feed's full content).",
        ),
        field(
            "input_kind",
            pa.string(),
            "Kind of input the story came from: rss, jsonfeed, sitemap, urls, warc, html, jsonl or text.",
            nullable=False,
        ),
        field(
            "input_ref",
            pa.string(),
            "Where the input record came from: file, feed item or JSONL line.",
            nullable=False,
        ),
        field(
            "feed", pa.string(), "The feed the story was listed in; null when it did not come from a feed."
        ),
        field(
            "captured_at",
            pa.timestamp("us", tz="UTC"),
            "When the page was captured: its WARC-Date, or when newsbeam fetched or read it from a feed's link; null for pages and dumps given directly as inputs.",
        ),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
        field("ingested_at", pa.timestamp("us", tz="UTC"), "When the story was parsed, UTC.", nullable=False),
    ),
    partition_key="published_date",
    partition_description="UTC day of published_at; null (unknown date) is Hive's default partition.",
)
