"""newsbeam: news ingestion on Apache Beam. Feeds, pages, WARC archives and dumps in; Delta Lake
tables out.

The Python API is what this package exports (``__all__``): [parse][newsbeam.parse] one page,
[run][newsbeam.run] the pipeline, [read_table][newsbeam.read_table] from an output, and each
table's [schema][newsbeam.schema]. Everything else
(``newsbeam.pipeline``, ``newsbeam.transforms``, ``newsbeam.schemas``) is internal and may change.
"""

from newsbeam.api import TABLES, Article, ParseError, RunSummary, parse, read_table, run, schema
from newsbeam.pipeline import __version__

__all__ = [
    "parse",
    "run",
    "read_table",
    "schema",
    "TABLES",
    "Article",
    "RunSummary",
    "ParseError",
    "__version__",
]
