"""The tables newsbeam writes: one pyarrow schema per table, with versions and descriptions.

Each table module defines ``TABLE``, a :class:`TableSpec` (:mod:`.spec`); :func:`all_tables`
lists them in the order a reader meets them.
"""

from __future__ import annotations

from newsbeam.schemas import (
    articles, counts, duplicates, entities, errors, feeds, fingerprints, keywords, links, places, quotes,
    runs,
)  # fmt: skip
from newsbeam.schemas.spec import NULL_PARTITION, SchemaMismatch, TableSpec, append_problem, field

__all__ = ["TableSpec", "SchemaMismatch", "NULL_PARTITION", "all_tables", "append_problem", "field"]


def all_tables() -> dict[str, TableSpec]:
    """Every table newsbeam writes, by name, in the order a reader meets them."""
    tables = (
        articles.TABLE, entities.TABLE, places.TABLE, quotes.TABLE, counts.TABLE, keywords.TABLE,
        duplicates.TABLE, errors.TABLE, fingerprints.TABLE, links.TABLE, feeds.TABLE, runs.TABLE,
    )  # fmt: skip
    return {t.name: t for t in tables}
