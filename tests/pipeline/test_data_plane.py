"""Beam's local runners must hand every element to the next stage (docs/guarantees.md).

Beam 2.77's FnApiRunner sends stage inputs through a stream that a timer thread flushes while
the runner's thread keeps writing; what is written between the flush's read and its clear is
dropped. ``avoid_beam_data_plane_race`` makes the runner build the size-based stream instead.
``send_stage_input_in_pieces`` makes it send a stage's input in pieces cut between elements.
"""

from __future__ import annotations

import threading
import time

import apache_beam as beam
from apache_beam.coders import coders
from apache_beam.coders.coder_impl import create_InputStream, create_OutputStream
from apache_beam.runners.portability.fn_api_runner import fn_runner, worker_handlers
from apache_beam.runners.worker import data_plane
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.utils.windowed_value import WindowedValue

from newsbeam.pipeline import beam_patches
from newsbeam.pipeline.beam_patches import avoid_beam_data_plane_race, input_pieces

CHUNK = b"x" * 100


def test_beams_time_flushed_stream_drops_what_is_written_during_a_flush():
    """The bug the guard exists for. If this fails, Beam has fixed the race: drop the guard."""
    received = []

    def flushed(data: bytes) -> None:
        received.append(len(data))
        time.sleep(0.0005)  # the send queue's lock: the writer runs while this flush holds the bytes

    out = data_plane.TimeBasedBufferingClosableOutputStream(
        close_callback=flushed, flush_callback=flushed, time_flush_threshold_ms=1
    )
    written = 0
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        out.write(CHUNK)
        written += len(CHUNK)
    out.close()
    assert sum(received) < written


def _drain(channel, sent: list) -> None:
    """Take what the channel hands to gRPC, as gRPC's stream would, until its end-of-writes
    marker; add up the bytes in ``sent``. It must run while the test writes: the channel's
    queues are byte-limited, so a writer that nothing drains blocks for good once they are full
    (on a fast machine 1.5 s of writing fills them)."""
    while True:
        item = channel._to_send.get(timeout=60)
        if item is channel._WRITES_FINISHED:
            return
        sent[0] += len(getattr(item, "data", b""))


def test_after_the_guard_the_runner_data_plane_loses_nothing(monkeypatch):
    # Restore Beam's value after the test, whatever the guard sets.
    monkeypatch.setattr(
        worker_handlers, "DATA_BUFFER_TIME_LIMIT_MS", worker_handlers.DATA_BUFFER_TIME_LIMIT_MS
    )
    avoid_beam_data_plane_race()
    # Built as Beam's GrpcServer builds the runner side of the data plane.
    servicer = data_plane.BeamFnDataServicer(worker_handlers.DATA_BUFFER_TIME_LIMIT_MS)
    channel = servicer.get_conn_by_worker_id("worker_1")
    out = channel.output_stream("bundle_1", "read_transform")
    assert not isinstance(out, data_plane.TimeBasedBufferingClosableOutputStream)

    sent = [0]
    drainer = threading.Thread(target=_drain, args=(channel, sent), daemon=True)
    drainer.start()
    stop = threading.Event()
    busy = threading.Thread(target=lambda: [sum(range(1000)) for _ in iter(stop.is_set, True)], daemon=True)
    busy.start()  # competes for the GIL, as the runner's other threads do on a loaded machine
    written = 0
    deadline = time.monotonic() + 1.5  # longer than Beam's 1 s flush period
    try:
        while time.monotonic() < deadline:
            out.write(CHUNK)
            out.maybe_flush()
            written += len(CHUNK)
        out.close()
    finally:
        stop.set()
        busy.join()
    channel.close()  # the end-of-writes marker, after everything written
    drainer.join(timeout=60)
    assert not drainer.is_alive()
    assert sent[0] == written


def test_input_pieces_cut_between_elements_and_keep_every_byte():
    coder = coders.WindowedValueCoder(coders.FastPrimitivesCoder()).get_impl()
    values = [{"n": n, "text": "word " * (n % 50)} for n in range(2000)]
    out = create_OutputStream()
    for value in values:
        coder.encode_to_stream(WindowedValue(value, 0, ()), out, True)
    data = out.get()
    pieces = list(input_pieces(data, coder, size=4096))
    assert b"".join(pieces) == data and len(pieces) > 10
    decoded = []
    for piece in pieces:  # each piece decodes alone, as a worker decodes each message
        stream = create_InputStream(piece)
        while stream.size() > 0:
            decoded.append(coder.decode_from_stream(stream, True).value)
    assert decoded == values
    assert all(len(piece) >= 4096 for piece in pieces[:-1])


def test_a_stage_input_reaches_the_worker_in_pieces_and_whole(monkeypatch):
    """In-process, with 2 KB pieces: the Map after the Reshuffle gets all 3,000 elements, over
    more than one message."""
    monkeypatch.setattr(
        fn_runner.BundleManager, "_send_input_to_worker", fn_runner.BundleManager._send_input_to_worker
    )
    monkeypatch.setattr(beam_patches, "INPUT_PIECE_BYTES", 2048)
    beam_patches.send_stage_input_in_pieces()
    flushes = []
    real_flush = data_plane.SizeBasedBufferingClosableOutputStream.flush
    monkeypatch.setattr(
        data_plane.SizeBasedBufferingClosableOutputStream,
        "flush",
        lambda self: (flushes.append(self.size()), real_flush(self))[1],
    )
    with TestPipeline(runner="DirectRunner") as p:
        got = p | beam.Create([f"element {n} " * 5 for n in range(3000)]) | beam.Reshuffle() | beam.Map(len)
        assert_that(got, equal_to([len(f"element {n} " * 5) for n in range(3000)]))
    assert len([size for size in flushes if size >= 2048]) > 10
