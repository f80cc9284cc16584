"""Beam's local runners must hand every element to the next stage (docs/guarantees.md).

Beam 2.77's FnApiRunner sends stage inputs through a stream that a timer thread flushes while
the runner's thread keeps writing; what is written between the flush's read and its clear is
dropped. ``avoid_beam_data_plane_race`` makes the runner build the size-based stream instead.
"""

from __future__ import annotations

import threading
import time

from apache_beam.runners.portability.fn_api_runner import worker_handlers
from apache_beam.runners.worker import data_plane

from newsbeam.pipeline.run import avoid_beam_data_plane_race

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
