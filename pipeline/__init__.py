"""newsbeam: news ingestion on Apache Beam. ``pipeline`` assembles and runs; see run.py and cli.py."""

__version__ = "0.1.0"
