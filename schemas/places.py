"""The ``places`` table: place mentions resolved to a country and coordinates."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="places",
    version=1,
    description="One row per GPE/LOC mention of an English article, resolved offline with a gazetteer (GeoNames; countries-states-cities for regions).",
    fields=(
        field("article_id", pa.string(), "The article (articles.article_id).", nullable=False),
        field("mention_index", pa.int32(), "The mention's entities.mention_index.", nullable=False),
        field("text", pa.string(), "The mention as written.", nullable=False),
        field("name", pa.string(), "The gazetteer's name for the place; null when unresolved."),
        field("country_code", pa.string(), "ISO 3166-1 alpha-2 country code; null when unresolved."),
        field("latitude", pa.float64(), "Latitude in degrees (WGS84); null when unresolved."),
        field("longitude", pa.float64(), "Longitude in degrees (WGS84); null when unresolved."),
        field(
            "feature",
            pa.string(),
            "What the place is: country, admin (a state or region), city, continent, ...",
        ),
        field(
            "population",
            pa.int64(),
            "Population in the gazetteer (what the ambiguity rule weighs); null for most regions outside the US.",
        ),
        field(
            "geonames_id",
            pa.int64(),
            "GeoNames id of the place; null when unresolved or for most regions (they come from countries-states-cities).",
        ),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="published_date",
    partition_description="The article's published_date.",
)
