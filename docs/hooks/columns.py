"""MkDocs hook: the column tables of ``tables.md``, generated from the pyarrow schemas.

Each line ``<!-- columns: NAME -->`` in ``tables.md`` becomes table NAME's heading, its
description, version and partition key, and a table of its columns (name, type, null,
description), the partition column last, all read from ``newsbeam.schemas.all_tables()``. The
page therefore cannot drift from the schemas: a table without its marker, a marker without a
table, or a column without a description fails the build.
"""

from __future__ import annotations

import re

import pyarrow as pa
from mkdocs.exceptions import PluginError

#: The page that holds the markers, relative to docs/.
TABLES_PAGE = "tables.md"

MARKER = re.compile(r"^<!-- columns: (\S+) -->[ \t]*$", re.MULTILINE)

#: Whether each partition key can be null. ``published_date`` is an article's day and unknown
#: for undated stories (Hive's default partition); ``run_date`` is the day a run started. A new
#: partition key must be added here, so its null column is a decision, not a guess.
PARTITION_NULLABLE = {"published_date": True, "run_date": False}


def type_name(type_: pa.DataType) -> str:
    """A column type as readers meet it: ``list<string>``, ``timestamp[us, UTC]``, ``date``."""
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return f"list<{type_name(type_.value_type)}>"
    if pa.types.is_struct(type_):
        return "struct<" + ", ".join(type_.field(i).name for i in range(type_.num_fields)) + ">"
    if pa.types.is_timestamp(type_):
        return f"timestamp[{type_.unit}, {type_.tz}]" if type_.tz else f"timestamp[{type_.unit}]"
    if pa.types.is_date32(type_):
        return "date"
    return str(type_)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no HTML, emphasis or column breaks."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\`*_|[]":
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def column_table(spec) -> str:
    """The Markdown for one table: heading, description, then its columns."""
    if spec.partition_key not in PARTITION_NULLABLE:
        raise PluginError(f"{spec.name}: partition key {spec.partition_key!r} is not in PARTITION_NULLABLE")
    lines = [
        f"## `{spec.name}`",
        "",
        f"{cell(spec.description)} Schema version {spec.version}, partitioned by `{spec.partition_key}`.",
        "",
        "| column | type | null | description |",
        "|---|---|---|---|",
    ]
    for field in spec.fields:
        description = (field.metadata or {}).get(b"description", b"").decode("utf-8").strip()
        if not description:
            raise PluginError(f"{spec.name}.{field.name} has no description in its schema")
        null = "yes" if field.nullable else "no"
        lines.append(f"| `{field.name}` | {cell(type_name(field.type))} | {null} | {cell(description)} |")
    null = "yes" if PARTITION_NULLABLE[spec.partition_key] else "no"
    lines.append(f"| `{spec.partition_key}` | date (folder) | {null} | {cell(spec.partition_description)} |")
    return "\n".join(lines)


def render(markdown: str, tables: dict) -> str:
    """``markdown`` with every marker replaced by its table; each table exactly once."""
    named = MARKER.findall(markdown)
    unknown = sorted(set(named) - set(tables))
    missing = [name for name in tables if name not in named]
    twice = sorted({name for name in named if named.count(name) > 1})
    if unknown or missing or twice:
        raise PluginError(
            f"{TABLES_PAGE}: column markers do not match the schemas: unknown {unknown}, "
            f"missing {missing}, repeated {twice}"
        )
    return MARKER.sub(lambda match: column_table(tables[match.group(1)]), markdown)


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != TABLES_PAGE:
        if MARKER.search(markdown):
            raise PluginError(f"{page.file.src_uri}: column markers belong in {TABLES_PAGE}")
        return markdown
    from newsbeam.schemas import all_tables

    return render(markdown, all_tables())
