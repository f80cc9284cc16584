"""``python -m newsbeam`` is the ``newsbeam`` command."""

from newsbeam.pipeline.cli import run_and_exit

run_and_exit()
