"""newsbeam's assembly: options, the graph, the command line, queries and the report."""

__version__ = "0.1.0"
"""The installed newsbeam's version, as ``newsbeam --version`` prints it."""
