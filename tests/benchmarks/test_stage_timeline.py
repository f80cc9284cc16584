"""The bench's split of a multi_processing run's wall time by its runner's stages and parts."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from benchmarks.stage_timeline import read, recording, short_name, split


def stage(name: str, start: float, end: float) -> dict:
    return {"kind": "stage", "stage": name, "start": start, "end": end}


def part(name: str, worker: int, start: float, end: float) -> dict:
    return {"kind": "part", "stage": name, "worker": worker, "start": start, "end": end}


def test_a_run_splits_into_before_in_between_and_after_with_each_workers_wait():
    events = [
        stage("(A/Read)+(A/Parse)", 102.0, 112.0),
        part("(A/Read)+(A/Parse)", 0, 102.0, 111.5),
        part("(A/Read)+(A/Parse)", 1, 102.0, 106.0),
        stage("((ref_AppliedPTransform_B-Write_7)+(x)", 113.0, 115.0),
        part("((ref_AppliedPTransform_B-Write_7)+(x)", 0, 113.0, 114.0),
        part("((ref_AppliedPTransform_B-Write_7)+(x)", 1, 113.0, 115.0),
    ]
    timeline = split(events, started=100.0, wall=20.0, workers=2)

    assert (timeline.before, timeline.in_stages, timeline.between, timeline.after) == (2.0, 12.0, 1.0, 5.0)
    assert timeline.busy == [10.5, 6.0]
    assert timeline.waiting == [1.5, 6.0]
    worst = timeline.worst(1)[0]
    assert (worst.name, worst.seconds, worst.busy, worst.waiting) == ("A/Read", 10.0, [9.5, 4.0], [0.5, 6.0])
    assert [s.name for s in timeline.stages] == ["A/Read", "B-Write_7"]


def test_overlapping_stage_spans_count_once():
    events = [stage("a", 0.0, 4.0), stage("b", 2.0, 6.0), stage("c", 8.0, 9.0)]
    timeline = split(events, started=0.0, wall=10.0, workers=1)
    assert (timeline.in_stages, timeline.between, timeline.after) == (7.0, 2.0, 1.0)


def test_a_run_without_a_log_is_all_before_its_first_stage(tmp_path):
    timeline = split(read(tmp_path / "missing.jsonl"), started=0.0, wall=3.0, workers=2)
    assert (timeline.before, timeline.in_stages, timeline.busy) == (3.0, 0.0, [0.0, 0.0])


def test_short_names_name_the_first_transform():
    assert (
        short_name("((((FetchPages/GroupByLane/Read)+(ref_AppliedPTransform_F)")
        == "FetchPages/GroupByLane/Read"
    )
    assert short_name("(ref_PCollection_PCollection_88/Read)+(y)") == "PCollection_88/Read"


def test_a_two_worker_run_logs_each_stage_and_each_workers_part(tmp_path):
    """Against Beam itself: the two methods wrapped are still where a local runner with two
    workers runs its stages and deals them, and the wrapping is undone after the block."""
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    original = fn_runner.BundleManager.process_bundle
    log = tmp_path / "stages.jsonl"
    options = PipelineOptions(direct_running_mode="multi_threading", direct_num_workers=2)
    with recording(log):
        with beam.Pipeline(options=options) as pipeline:
            _ = (
                pipeline
                | beam.Create(range(40))
                | beam.Map(lambda n: (n % 4, n))
                | beam.GroupByKey()
                | beam.MapTuple(lambda key, values: (key, sum(values)))
            )
    assert fn_runner.BundleManager.process_bundle is original

    events = read(log)
    stages = [e for e in events if e["kind"] == "stage"]
    parts = [e for e in events if e["kind"] == "part"]
    assert len(stages) >= 2
    assert {p["worker"] for p in parts} == {0, 1}
    for each in stages:
        mine = [p for p in parts if p["stage"] == each["stage"]]
        assert sorted(p["worker"] for p in mine) == [0, 1]
        assert all(each["start"] <= p["start"] <= p["end"] <= each["end"] for p in mine)
    started = min(e["start"] for e in stages) - 1.0
    timeline = split(events, started, max(e["end"] for e in stages) - started + 1.0, workers=2)
    assert abs(timeline.before - 1.0) < 1e-6 and abs(timeline.after - 1.0) < 1e-6
    assert all(0 < b <= timeline.in_stages for b in timeline.busy)
