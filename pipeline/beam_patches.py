"""What newsbeam changes inside Apache Beam, and why: each change fixes a loss, a memory growth or
a cost measured on Beam's own code (docs/guarantees.md, docs/speed.md).

Every change lives in the process that runs the pipeline (``run()`` makes them); local SDK
worker processes get theirs from ``pipeline/sdk_worker``. Making a change again changes nothing.
Tests: ``tests/pipeline/test_data_plane.py`` (the data channel),
``tests/pipeline/test_beam_patches.py`` (the start-up) and
``tests/pipeline/test_balanced_partitions.py`` (the workers' shares).
"""

from __future__ import annotations

import weakref
from typing import Iterator


def avoid_beam_data_plane_race() -> None:
    """Stop Beam's local runners from dropping stage inputs (docs/guarantees.md).

    Apache Beam 2.77's FnApiRunner (the DirectRunner's ``multi_processing`` and
    ``multi_threading`` modes, and Beam's Python job service) sends each stage its input over a
    gRPC data stream that a timer thread also flushes every second
    (``data_plane.TimeBasedBufferingClosableOutputStream``). That flush reads the buffer, hands it
    on, then clears it, and nothing stops the runner's own thread from writing in between: whatever
    it wrote in that gap is cleared unsent, and the stage never sees those elements. No error is
    raised. On a busy machine it struck 5 runs out of 5 over the 10,000-file hostile corpus,
    losing up to 1,606 of 14,163 records. With the time limit at 0 the runner builds the size-based
    stream instead, which only the writing thread flushes; Beam's SDK workers use that one by
    default. The setting lives in the process that runs the pipeline, and only there.
    """
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = 0


#: Bytes of a stage's input Beam's local runner sends a worker in one message, at most (plus
#: the element that crosses it).
INPUT_PIECE_BYTES = 1 << 20


def input_pieces(data: bytes, coder_impl, size: int) -> Iterator[bytes]:
    """``data``, elements encoded one after another (nested) with ``coder_impl``, cut between
    elements into pieces that each reach ``size`` bytes (the last may be shorter)."""
    from apache_beam.coders.coder_impl import create_InputStream

    stream, start, total = create_InputStream(data), 0, len(data)
    while stream.size() > 0:
        coder_impl.decode_from_stream(stream, True)
        end = total - stream.size()
        if end - start >= size:
            yield data[start:end]
            start = end
    if start < total:
        yield data[start:]


def send_stage_input_in_pieces() -> None:
    """Make Beam's local runners send a stage's input to a worker in pieces of about
    INPUT_PIECE_BYTES rather than in one message (docs/speed.md, "Memory per worker").

    Apache Beam 2.77's FnApiRunner (``BundleManager._send_input_to_worker``) writes a worker's
    share of a stage's input into one output stream and sends it when it closes: one message.
    The worker decodes elements from that message as it processes them, so it holds the whole
    message until its bundle ends, and the multi-process DirectRunner gives each worker one
    bundle per stage: its whole share of the run. This sends the same bytes, in the same order,
    flushed between elements every INPUT_PIECE_BYTES. Like avoid_beam_data_plane_race, it lives
    in the process that runs the pipeline; calling it again changes nothing.
    """
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    manager = fn_runner.BundleManager
    if getattr(manager._send_input_to_worker, "newsbeam_pieces", False):
        return

    def send_in_pieces(self, process_bundle_id: str, read_transform_id: str, byte_streams) -> None:
        data_out = self._worker_handler.data_conn.output_stream(process_bundle_id, read_transform_id)
        coder_impl = None
        for chunk in byte_streams or []:  # each chunk ends between two elements
            pieces = [chunk]
            if len(chunk) > INPUT_PIECE_BYTES:
                coder_impl = coder_impl or self.bundle_context_manager.get_input_coder_impl(read_transform_id)
                pieces = input_pieces(chunk, coder_impl, INPUT_PIECE_BYTES)
            for piece in pieces:
                data_out.write(piece)
                if data_out.size() >= INPUT_PIECE_BYTES:
                    data_out.flush()
        data_out.close()

    send_in_pieces.newsbeam_pieces = True
    manager._send_input_to_worker = send_in_pieces


#: Each DoFn's state and timer specs, found once: the DoFn is the key, held weakly.
_DOFN_SPECS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def find_dofn_specs_once() -> None:
    """Make Beam look for a DoFn's state and timer parameters once per DoFn, not at every turn
    (docs/speed.md, "Start-up").

    Apache Beam's ``userstate.get_dofn_specs`` reads the signature of every method of a DoFn
    (``inspect.signature``, about 0.8 ms a DoFn), and Beam asks it again for the same DoFn when it
    applies the ParDo, checks the runner, translates the graph and builds each stage: 1,860 times
    for 366 DoFns in a run of newsbeam's graph, 1.5 s of a run's start-up. A DoFn's methods do not
    change once it exists, so the answer is kept per DoFn object. Callers get their own sets.
    """
    from apache_beam.transforms import userstate

    if getattr(userstate.get_dofn_specs, "newsbeam_once", False):
        return
    find = userstate.get_dofn_specs

    def get_dofn_specs_once(dofn):
        try:
            specs = _DOFN_SPECS.get(dofn)
        except TypeError:  # a DoFn that cannot be hashed or weakly referenced: not kept
            return find(dofn)
        if specs is None:  # a DoFn the lookup accepted as a key is accepted when stored
            specs = _DOFN_SPECS[dofn] = find(dofn)
        return set(specs[0]), set(specs[1])

    get_dofn_specs_once.newsbeam_once = True
    userstate.get_dofn_specs = get_dofn_specs_once


def balanced_parts(sizes: list[int], n: int) -> list[list[int]]:
    """The indexes of ``sizes`` in ``n`` parts of about equal sum: largest first, each to the part
    with the least so far (the first such part on a tie). Each part keeps its indexes in order."""
    import heapq

    loads = [(0, part) for part in range(n)]
    parts: list[list[int]] = [[] for _ in range(n)]
    for index in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        load, part = heapq.heappop(loads)
        parts[part].append(index)
        heapq.heappush(loads, (load + sizes[index], part))
    return [sorted(part) for part in parts]


def balance_grouped_stage_inputs() -> None:
    """Make Beam's local runners share a grouped stage input among their workers by bytes, not by
    number of keys (docs/speed.md, "Two workers").

    Apache Beam's FnApiRunner (2.77 and 2.78, ``execution.GroupingBuffer.partition``) deals the
    keys of a GroupByKey's output to its N workers in turn, and each worker gets its share as one
    bundle, with nothing moved between them once they start. A stage's work follows its bytes (spaCy's
    follows the length of the texts the ``Reshuffle`` before it carries, one key each), so dealing
    keys left one of two workers 6 % more text than the other in the median of 2,000 shuffles of
    the bench's English articles (15 % in one in ten), and the other idle at the end of it.
    This gives each key's values, encoded as Beam encodes them, to the worker with the fewest
    bytes so far, largest first. A key still goes to one worker whole, with what Beam's own
    partition would give it for its windowing and trigger. Two workers on 1,000 bench pages, with
    and without it alternated: faster with it in each of three pairs, medians 170.6 and 191.5 s.
    Like the changes above, it lives in the process that runs the pipeline; calling it again
    changes nothing.
    """
    from apache_beam.coders.coder_impl import create_OutputStream
    from apache_beam.runners.portability.fn_api_runner import execution
    from apache_beam.transforms import trigger
    from apache_beam.transforms.window import GlobalWindow, GlobalWindows
    from apache_beam.utils import windowed_value

    grouping = execution.GroupingBuffer
    if getattr(grouping.partition, "newsbeam_balanced", False):
        return
    by_keys = grouping.partition
    pane = windowed_value.PaneInfo(
        is_first=True,
        is_last=True,
        timing=windowed_value.PaneInfoTiming.ON_TIME,
        index=0,
        nonspeculative_index=0,
    )
    at_end = GlobalWindows.windowed_value(None, timestamp=GlobalWindow().max_timestamp(), pane_info=pane)

    def partition_by_bytes(self, n: int) -> list[list[bytes]]:
        if n <= 1 or self._grouped_output:
            return by_keys(self, n)
        # What Beam's own partition emits per key, in its windowing, only each key to its own stream.
        if self._windowing.is_default():
            panes = lambda key, values: [at_end.with_value((key, values))]  # noqa: E731
        else:
            panes = trigger.create_trigger_driver(self._windowing, True, clock=self._clock).process_entire_key
        coder_impl, key_coder_impl = self._post_grouped_coder.get_impl(), self._key_coder.get_impl()
        encoded = []
        for encoded_key, values in self._table.items():
            stream = create_OutputStream()
            for grouped in panes(key_coder_impl.decode(encoded_key), values):
                coder_impl.encode_to_stream(grouped, stream, True)
            encoded.append(stream.get())
        self._table.clear()
        parts = balanced_parts([len(data) for data in encoded], n)
        self._grouped_output = [[b"".join(encoded[index] for index in part)] for part in parts]
        return self._grouped_output

    partition_by_bytes.newsbeam_balanced = True
    partition_by_bytes.__wrapped__ = by_keys  # Beam's own, for whoever needs it back (the tests)
    grouping.partition = partition_by_bytes
