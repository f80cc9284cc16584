"""Each table's schema is pinned: a change must be deliberate, with a new version."""

import datetime as dt

import pyarrow as pa
import pytest

from newsbeam.schemas import NULL_PARTITION, SchemaMismatch, all_tables


def schema(*fields):
    """Fields as (name, type) for nullable columns, (name, type, False) for required ones."""
    return pa.schema([pa.field(*f) for f in fields])


PINNED = {
    "articles": (
        6,
        "published_date",
        schema(
            ("article_id", pa.string(), False),
            ("url", pa.string(), False),
            ("canonical_url", pa.string(), False),
            ("source_domain", pa.string()),
            ("cluster_id", pa.string()),
            ("copies", pa.int32()),
            ("title", pa.string()),
            ("authors", pa.list_(pa.string()), False),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("published_offset", pa.string()),
            ("language", pa.string()),
            ("language_source", pa.string()),
            ("text", pa.string(), False),
            ("tone_positive", pa.float32()),
            ("tone_negative", pa.float32()),
            ("tone_polarity", pa.float32()),
            ("nlp_model", pa.string()),
            ("nlp_note", pa.string()),
            ("word_count", pa.int32(), False),
            ("top_image", pa.string()),
            ("title_source", pa.string()),
            (
                "declared_titles",
                pa.list_(
                    pa.struct([pa.field("source", pa.string(), False), pa.field("text", pa.string(), False)])
                ),
            ),
            ("authors_source", pa.string()),
            ("published_source", pa.string()),
            ("text_source", pa.string()),
            ("input_kind", pa.string(), False),
            ("input_ref", pa.string(), False),
            ("feed", pa.string()),
            ("captured_at", pa.timestamp("us", tz="UTC")),
            ("run_id", pa.string(), False),
            ("ingested_at", pa.timestamp("us", tz="UTC"), False),
        ),
    ),
    "entities": (
        3,
        "published_date",
        schema(
            ("article_id", pa.string(), False),
            ("mention_index", pa.int32(), False),
            ("text", pa.string(), False),
            ("label", pa.string(), False),
            ("entity", pa.string()),
            ("entity_mentions", pa.int32()),
            ("entity_first_char", pa.int32()),
            ("start_char", pa.int32(), False),
            ("end_char", pa.int32(), False),
            ("sentence_index", pa.int32(), False),
            ("model", pa.string(), False),
            ("run_id", pa.string(), False),
        ),
    ),
    "places": (
        1,
        "published_date",
        schema(
            ("article_id", pa.string(), False),
            ("mention_index", pa.int32(), False),
            ("text", pa.string(), False),
            ("name", pa.string()),
            ("country_code", pa.string()),
            ("latitude", pa.float64()),
            ("longitude", pa.float64()),
            ("feature", pa.string()),
            ("population", pa.int64()),
            ("geonames_id", pa.int64()),
            ("run_id", pa.string(), False),
        ),
    ),
    "quotes": (
        1,
        "published_date",
        schema(
            ("article_id", pa.string(), False),
            ("quote_index", pa.int32(), False),
            ("quote", pa.string(), False),
            ("start_char", pa.int32(), False),
            ("end_char", pa.int32(), False),
            ("sentence_index", pa.int32(), False),
            ("speaker_text", pa.string()),
            ("speaker", pa.string()),
            ("speech_verb", pa.string()),
            ("attribution", pa.string()),
            ("run_id", pa.string(), False),
        ),
    ),
    "counts": (
        1,
        "published_date",
        schema(
            ("article_id", pa.string(), False),
            ("count_index", pa.int32(), False),
            ("kind", pa.string(), False),
            ("number", pa.float64(), False),
            ("object", pa.string()),
            ("text", pa.string(), False),
            ("start_char", pa.int32(), False),
            ("end_char", pa.int32(), False),
            ("sentence_index", pa.int32(), False),
            ("run_id", pa.string(), False),
        ),
    ),
    "keywords": (
        1,
        "published_date",
        schema(
            ("article_id", pa.string(), False),
            ("rank", pa.int16(), False),
            ("phrase", pa.string(), False),
            ("score", pa.float32(), False),
            ("method", pa.string(), False),
            ("run_id", pa.string(), False),
        ),
    ),
    "fingerprints": (
        2,  # v2: signature int64 (Delta Lake has no unsigned types)
        "run_date",
        schema(
            ("article_id", pa.string(), False),
            ("canonical_url", pa.string(), False),
            ("text_hash", pa.string(), False),
            ("signature", pa.list_(pa.int64()), False),
            ("shingle_size", pa.int16(), False),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("run_id", pa.string(), False),
        ),
    ),
    "duplicates": (
        2,
        "run_date",
        schema(
            ("article_id", pa.string(), False),
            ("url", pa.string(), False),
            ("input_ref", pa.string(), False),
            ("duplicate_of", pa.string(), False),
            ("reason", pa.string(), False),
            ("similarity", pa.float32(), False),
            ("run_id", pa.string(), False),
        ),
    ),
    "errors": (
        1,
        "run_date",
        schema(
            ("input_ref", pa.string(), False),
            ("url", pa.string()),
            ("stage", pa.string(), False),
            ("kind", pa.string(), False),
            ("message", pa.string(), False),
            ("article_id", pa.string()),
            ("run_id", pa.string(), False),
        ),
    ),
    "links": (
        1,
        "run_date",
        schema(
            ("link", pa.string(), False),
            ("article_id", pa.string(), False),
            ("outcome", pa.string(), False),
            ("error_kind", pa.string()),
            ("fetched_at", pa.timestamp("us", tz="UTC"), False),
            ("run_id", pa.string(), False),
        ),
    ),
    "feeds": (
        1,
        "run_date",
        schema(
            ("feed_url", pa.string(), False),
            ("status", pa.int16(), False),
            ("etag", pa.string()),
            ("last_modified", pa.string()),
            ("items", pa.int64(), False),
            ("fetched_at", pa.timestamp("us", tz="UTC"), False),
            ("run_id", pa.string(), False),
        ),
    ),
    "runs": (
        3,
        "run_date",
        schema(
            ("run_id", pa.string(), False),
            ("started_at", pa.timestamp("us", tz="UTC"), False),
            ("finished_at", pa.timestamp("us", tz="UTC"), False),
            ("inputs", pa.int64(), False),
            ("articles", pa.int64(), False),
            ("duplicates", pa.int64(), False),
            ("errors", pa.int64(), False),
            ("extract_errors", pa.int64(), False),
            (
                "tables",
                pa.list_(
                    pa.struct(
                        [
                            pa.field("table", pa.string(), False),
                            pa.field("rows", pa.int64(), False),
                            pa.field("files", pa.int64(), False),
                        ]
                    )
                ),
                False,
            ),
            ("window_since", pa.date32()),
            ("window_until", pa.date32()),
            ("state_bytes_read", pa.int64()),
            ("feeds_not_modified", pa.int64()),
            ("options", pa.string(), False),
            (
                "versions",
                pa.list_(
                    pa.struct([pa.field("package", pa.string(), False), pa.field("version", pa.string())])
                ),
                False,
            ),
        ),
    ),
}


def test_every_table_is_pinned():
    assert set(all_tables()) == set(PINNED)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_schema_is_pinned(name):
    version, partition_key, pinned = PINNED[name]
    table = all_tables()[name]
    assert table.version == version
    assert table.partition_key == partition_key
    assert table.schema.remove_metadata().equals(pinned), table.schema
    assert [(f.name, f.type, f.nullable) for f in table.schema] == [
        (f.name, f.type, f.nullable) for f in pinned
    ]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_every_field_is_described_and_the_version_is_in_the_metadata(name):
    table = all_tables()[name]
    for f in table.schema:
        assert f.metadata and f.metadata[b"description"].strip(), f"{name}.{f.name} has no description"
    meta = table.schema.metadata
    assert meta[b"newsbeam.schema_version"] == str(table.version).encode()
    assert meta[b"newsbeam.table"] == name.encode()
    assert table.partition_key not in table.columns


def _error_row(**overrides):
    row = {
        "input_ref": "x",
        "url": None,
        "stage": "read",
        "kind": "k",
        "message": "m",
        "article_id": None,
        "run_id": "r",
        "run_date": dt.date(2026, 1, 2),
    }
    row.update(overrides)
    return row


def test_to_arrow_keeps_the_schema_and_leaves_the_partition_key_out():
    errors = all_tables()["errors"]
    table = errors.to_arrow([_error_row()])
    assert table.schema.equals(errors.schema, check_metadata=True)
    assert "run_date" not in table.column_names


def test_missing_and_extra_columns_fail_loudly():
    errors = all_tables()["errors"]
    row = _error_row(extra=1)
    del row["kind"]
    with pytest.raises(SchemaMismatch, match=r"missing \['kind'\], unexpected \['extra'\]"):
        errors.to_arrow([row])


def test_a_wrong_type_fails_loudly():
    with pytest.raises(SchemaMismatch):
        all_tables()["errors"].to_arrow([_error_row(message=12)])


def test_a_null_in_a_required_column_fails_loudly():
    with pytest.raises(SchemaMismatch):
        all_tables()["errors"].to_arrow([_error_row(stage=None)])


def test_partition_values():
    errors = all_tables()["errors"]
    assert errors.partition_value(_error_row()) == "2026-01-02"
    assert errors.partition_value(_error_row(run_date=None)) == NULL_PARTITION
    with pytest.raises(SchemaMismatch):
        errors.partition_value(_error_row(run_date="../../x"))


@pytest.mark.parametrize("name", sorted(all_tables()))
def test_every_column_keeps_its_type_as_a_delta_lake_column(name):
    """Delta Lake has no unsigned integers (fingerprints v1's uint32 signature): every column's
    type, made a Delta column and read back, is the type the files hold."""
    from newsbeam.transforms.write.delta import delta_schema

    spec = all_tables()[name]
    back = pa.schema(delta_schema(spec).to_arrow())
    for f in spec.fields:
        assert back.field(f.name).type.equals(f.type), (f.name, f.type, back.field(f.name).type)
    assert back.field(spec.partition_key).type == pa.date32()
