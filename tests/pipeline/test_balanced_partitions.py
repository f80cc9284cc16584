"""Beam's local runners share a grouped stage input among workers by bytes (pipeline/beam_patches.py,
``balance_grouped_stage_inputs``): every key whole, on one worker, with the bytes even."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam import coders
from apache_beam.coders.coder_impl import create_InputStream, create_OutputStream
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import execution
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import core, window

from newsbeam.pipeline.beam_patches import balance_grouped_stage_inputs, balanced_parts

PRE = coders.WindowedValueCoder(coders.TupleCoder([coders.StrUtf8Coder(), coders.BytesCoder()]))
POST = coders.WindowedValueCoder(
    coders.TupleCoder([coders.StrUtf8Coder(), coders.IterableCoder(coders.BytesCoder())])
)


@pytest.fixture
def beams(monkeypatch):
    """Beam's own partition, in place for one test even where a run in this process (another test's)
    has made the change already; whatever was there before comes back after it."""
    partition = execution.GroupingBuffer.partition
    partition = getattr(partition, "__wrapped__", partition)
    monkeypatch.setattr(execution.GroupingBuffer, "partition", partition)
    return partition


@pytest.fixture
def balanced(beams):
    """The change made for one test, and undone after it; gives Beam's own way."""
    balance_grouped_stage_inputs()
    balance_grouped_stage_inputs()  # again: changes nothing
    assert execution.GroupingBuffer.partition is not beams
    return beams


def grouped(pairs: list[tuple[str, bytes]], windowing=None) -> execution.GroupingBuffer:
    buffer = execution.GroupingBuffer(PRE, POST, windowing or core.Windowing(window.GlobalWindows()))
    stream = create_OutputStream()
    for pair in pairs:
        PRE.get_impl().encode_to_stream(window.GlobalWindows.windowed_value(pair), stream, True)
    buffer.append(stream.get())
    return buffer


def decoded(part: list[bytes]) -> dict[str, list[bytes]]:
    found = {}
    for chunk in part:
        stream = create_InputStream(chunk)
        while stream.size() > 0:
            key, values = POST.get_impl().decode_from_stream(stream, True).value
            assert key not in found  # each key once
            found[key] = list(values)
    return found


def test_parts_hold_every_index_once_and_about_equal_sums():
    sizes = [5, 90, 7, 7, 40, 3, 3, 50, 1, 60]
    parts = balanced_parts(sizes, 3)
    assert sorted(i for part in parts for i in part) == list(range(len(sizes)))
    assert all(part == sorted(part) for part in parts)
    sums = [sum(sizes[i] for i in part) for part in parts]
    assert max(sums) - min(sums) <= max(sizes)
    assert sorted(sums) == [86, 90, 90]  # 90 | 50 40 | 60 and the seven small ones
    assert balanced_parts(sizes, 3) == parts  # the same every time
    assert balanced_parts([], 2) == [[], []]
    assert balanced_parts([4], 3) == [[0], [], []]


def test_beam_deals_keys_in_turn_whatever_their_bytes(beams):
    pairs = [(f"k{i}", b"x" * (1000 if i % 2 == 0 else 10)) for i in range(10)]
    parts = grouped(pairs).partition(2)
    assert [len(part[0]) for part in parts][0] > 30 * len(parts[1][0])  # what the change is for


def test_a_grouped_input_is_shared_by_bytes_with_every_key_whole(balanced):
    pairs = [(f"k{i}", b"x" * (1000 if i % 2 == 0 else 10)) for i in range(10)]
    pairs += [("k0", b"again"), ("k3", b"more")]  # two values under one key go together
    parts = grouped(pairs).partition(2)
    found = [decoded(part) for part in parts]
    assert set(found[0]).isdisjoint(found[1])
    assert {**found[0], **found[1]} == {
        **{f"k{i}": [b"x" * (1000 if i % 2 == 0 else 10)] for i in range(10)},
        "k0": [b"x" * 1000, b"again"],
        "k3": [b"x" * 10, b"more"],
    }
    sizes = [sum(len(chunk) for chunk in part) for part in parts]
    assert abs(sizes[0] - sizes[1]) < 1100  # within one key's bytes, where Beam's were 5,115 and 160


def test_one_worker_keeps_beams_way(balanced):
    pairs = [(f"k{i}", b"x" * (1000 if i % 2 == 0 else 10)) for i in range(10)]
    assert grouped(pairs).partition(1) == balanced(grouped(pairs), 1)
    assert decoded(grouped(pairs).partition(1)[0]) == {key: [value] for key, value in pairs}


def test_a_two_worker_run_reshuffles_and_groups_every_element(balanced, monkeypatch):
    import newsbeam.pipeline.beam_patches as patches

    shared = []  # how many keys each balanced input had
    parts = patches.balanced_parts
    monkeypatch.setattr(
        patches, "balanced_parts", lambda sizes, n: (shared.append(len(sizes)), parts(sizes, n))[1]
    )
    options = PipelineOptions(direct_running_mode="multi_threading", direct_num_workers=2)
    texts = [("site%d" % (i % 7), "w" * (1 + (i * 37) % 400)) for i in range(300)]
    expected = {}
    for key, text in texts:
        expected[key] = expected.get(key, 0) + len(text)
    with TestPipeline(options=options) as p:
        sums = (
            p
            | beam.Create(texts)
            | beam.Reshuffle()  # a trigger of its own (Always): Beam's windowed path
            | beam.GroupByKey()
            | beam.Map(lambda kv: (kv[0], sum(len(t) for t in kv[1])))
        )
        assert_that(sums, equal_to(sorted(expected.items())))
    assert 300 in shared and 7 in shared  # the reshuffle's random keys, then the sites


def test_windows_stay_apart_when_shared_by_bytes(balanced):
    options = PipelineOptions(direct_running_mode="multi_threading", direct_num_workers=2)
    events = [("a", 5), ("a", 65), ("b", 7), ("a", 8), ("b", 130), ("b", 131)]  # (key, second)
    with TestPipeline(options=options) as p:
        counted = (
            p
            | beam.Create(events)
            | beam.Map(lambda e: window.TimestampedValue((e[0], 1), e[1]))
            | beam.WindowInto(window.FixedWindows(60))
            | beam.GroupByKey()
            | beam.Map(lambda kv, w=beam.DoFn.WindowParam: (kv[0], int(w.start), sum(kv[1])))
        )
        assert_that(counted, equal_to([("a", 0, 2), ("a", 60, 1), ("b", 0, 1), ("b", 120, 2)]))
