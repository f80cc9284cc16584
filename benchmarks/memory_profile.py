"""What an SDK worker holds at its peak: 2-worker runs at several sizes, with a census of each
worker's objects at its highest resident memory.

Builds the pages (``scale_corpus.py``, as ``make bench`` does), then runs ``newsbeam run
--direct_running_mode=multi_processing --direct_num_workers=2`` on each size with a
``sitecustomize`` on ``PYTHONPATH`` that starts a thread in every SDK worker process. Every 3 s
it reads the worker's RSS; each time RSS is 48 MiB above the last record it counts the objects
the garbage collector tracks by type (count and shallow bytes), the str/bytes values those
containers hold, and pymalloc's allocated blocks, and writes them to a JSON file: the last one
written is the worker's peak. Every 3 s it also records the RSS and Beam's output streams to the
runner (how many are open, the bytes waiting in them, the largest flush), C buffers the census
cannot see. It then prints, per size and worker, the peak and its census, the streams and the
RSS over time, and the types that grew most from the smallest size to the largest.

tracemalloc was tried first: with 6 frames it made a 300-page run take over 17 minutes, so this
is a census, not a trace. Objects outside the garbage collector (C buffers of lxml, pyarrow,
spaCy's arrays) show only as RSS beyond what the census counts.

    .venv/bin/python benchmarks/memory_profile.py [--sizes 1000,3000] [--top 15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"

SITECUSTOMIZE = r"""
import os
with open("/proc/self/cmdline", "rb") as _handle:
    _command = _handle.read().decode(errors="replace")
if os.environ.get("NEWSBEAM_MEMPROFILE_DIR") and "sdk_worker_main" in _command:
    import collections, gc, json, sys, threading, time

    folder = os.environ["NEWSBEAM_MEMPROFILE_DIR"]
    import weakref
    from apache_beam.runners.worker import data_plane

    # Beam's output streams to the runner (C buffers the census cannot see): each one made is
    # kept in a weak set, to sum the bytes waiting in them, and the largest size one reached.
    _streams, _largest = weakref.WeakSet(), [0]
    _stream_class = data_plane.SizeBasedBufferingClosableOutputStream
    _made, _flush = _stream_class.__init__, _stream_class.flush

    def _init(self, *args, **kwargs):
        _made(self, *args, **kwargs)
        _streams.add(self)

    def _flushed(self):
        _largest[0] = max(_largest[0], self.size())
        return _flush(self)

    _stream_class.__init__, _stream_class.flush = _init, _flushed

    def _waiting():
        sizes = [stream.size() for stream in list(_streams)]
        return len(sizes), sum(sizes)

    def _rss():
        with open("/proc/self/status") as handle:
            return next(int(l.split()[1]) * 1024 for l in handle if l.startswith("VmRSS:"))

    def _census():
        counts, sizes = collections.Counter(), collections.Counter()
        held = 0
        for obj in gc.get_objects():
            kind = type(obj)
            name = f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', kind.__name__)}"
            counts[name] += 1
            sizes[name] += sys.getsizeof(obj)
            try:  # other threads go on running: a container may change under us
                if type(obj) is dict:
                    held += sum(sys.getsizeof(v) for v in list(obj.values()) if type(v) in (str, bytes))
                elif type(obj) in (list, tuple):
                    held += sum(sys.getsizeof(v) for v in list(obj) if type(v) in (str, bytes))
            except RuntimeError:
                pass
        top = [{"type": t, "count": counts[t], "bytes": n} for t, n in sizes.most_common(25)]
        return top, held, sum(sizes.values())

    def _watch():
        record = 0
        started = time.time()
        series = os.path.join(folder, f"series-{os.getpid()}.jsonl")
        while True:
            time.sleep(3)
            rss = _rss()
            streams, waiting = _waiting()
            with open(series, "a") as handle:
                handle.write(json.dumps({"seconds": round(time.time() - started), "rss": rss,
                    "streams": streams, "waiting": waiting, "largest_flush": _largest[0]}) + "\n")
            if rss < record + 48 * 2**20:
                continue
            record = rss
            top, held, tracked = _census()
            out = {"pid": os.getpid(), "seconds": round(time.time() - started, 1), "rss": rss,
                   "blocks": sys.getallocatedblocks(), "strings": held, "tracked": tracked, "types": top}
            path = os.path.join(folder, f"worker-{os.getpid()}.json")
            with open(path + ".tmp", "w") as handle:
                json.dump(out, handle)
            os.replace(path + ".tmp", path)

    threading.Thread(target=_watch, daemon=True, name="memprofile").start()
"""


def mib(size: float) -> str:
    return f"{size / 2**20:,.0f}"


def series_line(series: list[dict], every: int = 60) -> str:
    """Beam's output streams over the run (most open at once, most bytes waiting in them, the
    largest flush) and the worker's RSS every ``every`` seconds."""
    if not series:
        return "  (no series)"
    marks = [
        point
        for before, point in zip([None, *series], series, strict=False)
        if before is None or point["seconds"] // every != before["seconds"] // every
    ]
    return (
        f"  output streams: up to {max(p['streams'] for p in series)} open, "
        f"{mib(max(p['waiting'] for p in series))} MiB waiting in them at most, largest flush "
        f"{mib(series[-1]['largest_flush'])} MiB\n  RSS MiB every {every} s: "
        + " ".join(f"{p['seconds']}:{mib(p['rss'])}" for p in marks)
    )


def profile(pages: Path, scratch: Path, extra_env: dict) -> tuple[float, list[dict]]:
    """One 2-worker run on ``pages`` with the census → (wall seconds, each worker's peak record)."""
    site = scratch / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    records = scratch / "records"
    records.mkdir()
    env = {**os.environ, **extra_env, "NEWSBEAM_MEMPROFILE_DIR": str(records)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "newsbeam", "run", "--quiet", "--output", str(scratch / "out")]
    command += [
        "--input",
        f"html:{pages}",
        "--direct_running_mode=multi_processing",
        "--direct_num_workers=2",
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peaks = [json.loads(p.read_text()) for p in sorted(records.glob("worker-*.json"))]
    for peak in peaks:
        series = records / f"series-{peak['pid']}.jsonl"
        peak["series"] = (
            [json.loads(line) for line in series.read_text().splitlines()] if series.exists() else []
        )
    return seconds, peaks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--sizes", default="1000,3000", metavar="N,N", help="Pages per run. Default: 1000,3000"
    )
    parser.add_argument("--top", type=int, default=15, metavar="N", help="Types to print. Default: 15")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Set for the runs (e.g. MALLOC_ARENA_MAX=2).",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(PROJECT_ROOT))
    from benchmarks.scale_corpus import build

    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    largest: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="newsbeam-memprofile-") as scratch_dir:
        scratch = Path(scratch_dir)
        for size in sizes:
            pages = scratch / f"pages-{size}"
            build(args.corpus, size, pages)
            run_dir = scratch / f"run-{size}"
            run_dir.mkdir()
            seconds, peaks = profile(pages, run_dir, dict(pair.split("=", 1) for pair in args.env))
            print(
                f"## {size:,} pages, 2 workers{' with ' + ' '.join(args.env) if args.env else ''}: {seconds:.0f} s\n",
                flush=True,
            )
            for peak in peaks:
                print(
                    f"worker {peak['pid']}: RSS peak {mib(peak['rss'])} MiB at {peak['seconds']:.0f} s; "
                    f"gc-tracked objects {mib(peak['tracked'])} MiB shallow, str/bytes in them "
                    f"{mib(peak['strings'])} MiB, pymalloc blocks {peak['blocks']:,}"
                )
                for kind in peak["types"][: args.top]:
                    print(f"  {mib(kind['bytes']):>6} MiB {kind['count']:>10,}  {kind['type']}")
                print(series_line(peak["series"]), flush=True)
                print(flush=True)
            largest[size] = max(peaks, key=lambda p: p["rss"]) if peaks else {}
    if len(sizes) > 1 and largest[sizes[0]] and largest[sizes[-1]]:
        small, large = largest[sizes[0]], largest[sizes[-1]]
        before = {k["type"]: k["bytes"] for k in small["types"]}
        grown = sorted(
            ((k["bytes"] - before.get(k["type"], 0), k["type"]) for k in large["types"]), reverse=True
        )
        print(f"## From {sizes[0]:,} to {sizes[-1]:,} pages (the larger worker of each)\n")
        print(
            f"RSS {mib(small['rss'])} → {mib(large['rss'])} MiB; str/bytes in containers "
            f"{mib(small['strings'])} → {mib(large['strings'])} MiB"
        )
        for growth, name in grown[: args.top]:
            print(f"  {'+' if growth >= 0 else ''}{mib(growth):>5} MiB  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
