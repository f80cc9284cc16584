"""newsbeam: news ingestion on Apache Beam. Feeds and pages in, partitioned Parquet tables out."""

from newsbeam.pipeline import __version__

__all__ = ["__version__"]
