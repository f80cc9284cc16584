"""The transforms' tests run their graphs on Beam as ``newsbeam run`` does: with Beam's start-up
looking up each DoFn's state specs once (``pipeline/beam_patches.py``; ``run()`` makes the same
change before it builds a graph). It changes no answer Beam gives, only how often it is worked out
(``tests/pipeline/test_beam_patches.py``), and takes about a third off a small TestPipeline."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def dofn_specs_found_once():
    from newsbeam.pipeline.beam_patches import find_dofn_specs_once

    find_dofn_specs_once()
