"""What newsbeam changes in Beam's start-up (pipeline/beam_patches.py, pipeline/options.py):
each answer is the one Beam gives, found once."""

from __future__ import annotations

import pickle

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, TypeOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import userstate
from apache_beam.transforms.userstate import BagStateSpec

from newsbeam.pipeline.beam_patches import find_dofn_specs_once
from newsbeam.pipeline.options import NewsbeamOptions, RunOptions


class KeepSeen(beam.DoFn):
    """Stateful: emits each value the first time its key sees it."""

    SEEN = BagStateSpec("seen", beam.coders.StrUtf8Coder())

    def process(self, element, seen=beam.DoFn.StateParam(SEEN)):  # noqa: B008 - Beam's way
        key, value = element
        if value not in set(seen.read()):
            seen.add(value)
            yield key, value


class Plain(beam.DoFn):
    def process(self, element):
        yield element


class Unhashable(beam.DoFn):
    __hash__ = None

    def __eq__(self, other):
        return isinstance(other, Unhashable)

    def process(self, element):
        yield element


def counting_finder(monkeypatch) -> list:
    """Beam's finder behind a counter, then find_dofn_specs_once over it (undone after the test)."""
    asked, find = [], userstate.get_dofn_specs
    monkeypatch.setattr(userstate, "get_dofn_specs", lambda dofn: (asked.append(dofn), find(dofn))[1])
    find_dofn_specs_once()
    return asked


def test_a_dofns_specs_are_found_once_and_are_beams(monkeypatch):
    asked = counting_finder(monkeypatch)
    stateful, plain = KeepSeen(), Plain()
    for _ in range(3):
        assert userstate.get_dofn_specs(stateful) == ({KeepSeen.SEEN}, set())
        assert userstate.is_stateful_dofn(stateful)
        assert not userstate.is_stateful_dofn(plain)
    assert asked == [stateful, plain]


def test_each_caller_gets_its_own_sets(monkeypatch):
    counting_finder(monkeypatch)
    stateful = KeepSeen()
    userstate.get_dofn_specs(stateful)[0].clear()
    assert userstate.get_dofn_specs(stateful) == ({KeepSeen.SEEN}, set())


def test_a_dofn_that_cannot_be_a_key_is_asked_each_time(monkeypatch):
    asked = counting_finder(monkeypatch)
    dofn = Unhashable()
    assert userstate.get_dofn_specs(dofn) == (set(), set())
    assert userstate.get_dofn_specs(dofn) == (set(), set())
    assert len(asked) == 2


def test_find_dofn_specs_once_twice_wraps_once(monkeypatch):
    asked = counting_finder(monkeypatch)
    find_dofn_specs_once()
    userstate.get_dofn_specs(Plain())
    assert len(asked) == 1


def test_a_stateful_dofn_still_runs_as_one(monkeypatch):
    """The runner must still see the DoFn's state: without it, KeepSeen would fail to run."""
    counting_finder(monkeypatch)
    pairs = [("a", "x"), ("a", "x"), ("a", "y"), ("b", "x"), ("b", "x")]
    with TestPipeline(runner="DirectRunner") as p:
        got = p | beam.Create(pairs) | beam.ParDo(KeepSeen())
        assert_that(got, equal_to([("a", "x"), ("a", "y"), ("b", "x")]))


def test_run_options_make_each_view_once_and_share_values():
    options = RunOptions(["--output", "/tmp/out", "--runner", "DirectRunner", "--no_pipeline_type_check"])
    ours = options.view_as(NewsbeamOptions)
    assert options.view_as(NewsbeamOptions) is ours
    assert ours.output == "/tmp/out"
    assert options.view_as(StandardOptions).runner == "DirectRunner"
    assert options.view_as(TypeOptions).pipeline_type_check is False
    ours.output = "/tmp/elsewhere"  # a value set in one view is the value in every other
    assert RunOptions.view_as(options, NewsbeamOptions).output == "/tmp/elsewhere"
    assert options.get_all_options()["output"] == "/tmp/elsewhere"
    plain = PipelineOptions(
        ["--output", "/tmp/elsewhere", "--runner", "DirectRunner", "--no_pipeline_type_check"]
    )
    assert options.get_all_options() == plain.get_all_options()


def test_run_options_pickle_without_their_views():
    options = RunOptions(["--output", "/tmp/out"])
    options.view_as(NewsbeamOptions)
    copy = pickle.loads(pickle.dumps(options))
    assert "_views" not in copy.__dict__
    assert copy.view_as(NewsbeamOptions).output == "/tmp/out"


def test_building_a_graph_parses_views_a_fixed_number_of_times(monkeypatch):
    """Beam asks for the type options at every transform it applies: with RunOptions the parses
    do not grow with the graph."""
    parsed = []
    view_as = PipelineOptions.view_as
    monkeypatch.setattr(
        PipelineOptions, "view_as", lambda self, cls: (parsed.append(cls), view_as(self, cls))[1]
    )

    def parses(options_class, transforms: int) -> int:
        parsed.clear()
        p = beam.Pipeline(options=options_class([]))
        values = p | beam.Create(range(5))
        for n in range(transforms):
            values = values | f"add {n}" >> beam.Map(lambda v, n=n: v + n)
        return len(parsed)

    assert parses(PipelineOptions, 60) > parses(PipelineOptions, 30) + 30
    assert parses(RunOptions, 60) == parses(RunOptions, 30) < 30
