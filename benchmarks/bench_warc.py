"""Peak memory of the read stage on CC-NEWS-like WARC files of 100 MB and 1 GB.

A day of CC-NEWS is gigabytes of gzipped WARC; a run must stream it, so the read stage's memory
should not grow with the file. This builds CC-NEWS-like WARCs from the fundus pages, then runs
exactly the run's read stage on each, in a fresh process per size, and prints what it used:

- **the WARC**: written with warcio's ``WARCWriter``, a gzip member per record as in CC-NEWS, to a
  cache folder outside the repository (reused while its size and counts file match). A
  ``warcinfo`` record first, then per fundus page a ``response`` record: its own URL (the page's,
  with a record number in the path), a WARC-Date advancing through one day, a WARC-IP-Address,
  the digests warcio computes, a server's HTTP 200 header block, and the page's HTML with the
  record number in a comment so no two payloads are alike. Every ODD_EVERY-th page is odd, the
  kinds in turn: a wrong WARC-Payload-Digest, a ``request`` record beside its response, a PDF, a
  wrong WARC-Block-Digest, a ``metadata`` record beside its response, a 404. The builder's counts
  go to a JSON beside the file.
- **the read stage**: ``ReadInputs(["warc:FILE"])`` → ``FetchPages`` on the in-process
  DirectRunner (one worker, in memory), counting pages and errors rows by stage and kind; no
  parsing. Wall seconds, response records per second and peak RSS (``ru_maxrss`` of the process
  and of its children) per size, whether every response record ended as a page or an errors row,
  and the largest size's peak against the smallest's: the target is within 1.2×. A watchdog
  stops a run whose memory passes ``--limit-gib`` (or that leaves the machine short of memory).

``--commit REV`` measures the reader of an earlier commit instead of the working tree (exported
with ``git archive``, which changes nothing), for a before and after on the same files.

    .venv/bin/python benchmarks/bench_warc.py [--sizes 100,1000] [--dir /tmp/newsbeam-bench-warc] [--commit REV]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import email.utils
import gzip
import hashlib
import io
import json
import logging
import os
import posixpath
import random
import re
import resource
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
DEFAULT_DIR = Path(tempfile.gettempdir()) / "newsbeam-bench-warc"
MB = 1_000_000
#: Bump when the builder writes different files, so cached ones are built again.
BUILDER_VERSION = 1
#: One record in this many is odd (damaged, not HTML, not a response), the kinds in turn.
ODD_EVERY = 250
ODD_KINDS = ("bad_payload_digest", "request", "pdf", "bad_block_digest", "metadata", "http_404")
#: The day the records' WARC-Dates advance through (the fundus pages were crawled around then).
CRAWL_DAY = dt.datetime(2024, 5, 3, tzinfo=dt.timezone.utc)
SERVERS = ("nginx", "Apache", "cloudflare", "Microsoft-IIS/10.0", "openresty", "AmazonS3")
USER_AGENT = "CCBot/2.0 (https://commoncrawl.org/faq/)"
WARCINFO = {
    "software": "StormCrawler 2.10 https://stormcrawler.net/ (newsbeam bench_warc.py)",
    "format": "WARC File Format 1.0",
    "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/",
    "description": "News crawl for Common Crawl, rebuilt from the fundus test pages for newsbeam's benchmarks",
    "isPartOf": "CC-NEWS",
    "operator": "Common Crawl Admin (info@commoncrawl.org)",
    "robots": "checked via crawler-commons 1.4 (https://github.com/crawler-commons/crawler-commons)",
    "http-header-user-agent": USER_AGENT,
}
CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
NOT_FOUND = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1>\n"
    b"<p>The requested URL was not found on this server.</p></body></html>\n"
)


# ---------------------------------------------------------------- building the WARC


@dataclass(frozen=True)
class FundusPage:
    url: str
    html: bytes
    charset: str
    gzipped_size: int


def fundus_pages(corpus: Path) -> list[FundusPage]:
    """The fundus pages as crawled, each with the charset its markup declares (utf-8 when none)."""
    pages = []
    for line in (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            gold = json.loads(line)
            packed = (corpus / gold["file"]).read_bytes()
            html = gzip.decompress(packed)
            declared = CHARSET.search(html[:4096])
            charset = declared.group(1).decode("ascii").lower() if declared else "utf-8"
            pages.append(FundusPage(gold["url"], html, charset, len(packed)))
    return pages


def record_url(url: str, number: int) -> str:
    """The page's URL with the record number in its path (before an extension), so every record
    has its own URL; the query is kept."""
    parts = urlsplit(url)
    stem, extension = posixpath.splitext(parts.path.rstrip("/") or "/index")
    if not re.fullmatch(r"\.[a-z]{2,5}", extension):
        stem, extension = stem + extension, ""
    return parts._replace(path=f"{stem}-{number}{extension}").geturl()


def numbered_html(html: bytes, number: int) -> bytes:
    """The page with the record number in a comment in its head, so no two payloads are alike."""
    mark = f"<!-- crawl record {number} -->\n".encode()
    head_end = html.find(b"</head>")
    if head_end < 0:
        head_end = html.find(b"</HEAD>")
    return html + mark if head_end < 0 else html[:head_end] + mark + html[head_end:]


def ip_address(host: str) -> str:
    """A stable address per host, in the documentation ranges (RFC 5737)."""
    crc = zlib.crc32(host.encode())
    return f"{('192.0.2', '198.51.100', '203.0.113')[crc % 3]}.{crc // 3 % 254 + 1}"


def wrong_digest(number: int) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(b"not this record %d" % number).digest()).decode()


class CrawlWriter:
    """CC-NEWS-like records into one gzipped WARC, through warcio's writer (which computes the
    digests and Content-Lengths)."""

    def __init__(self, out, filename: str):
        from warcio.warcwriter import WARCWriter

        self._writer = WARCWriter(out, gzip=True, warc_version="1.0")
        info = self._writer.create_warcinfo_record(filename, WARCINFO)
        info.rec_headers.replace_header("WARC-Date", CRAWL_DAY.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self._writer.write_record(info)
        self._warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")

    def _headers(self, record_type: str, captured: dt.datetime, ip: Optional[str] = None) -> dict:
        headers = {
            "WARC-Type": record_type,
            "WARC-Date": captured.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "WARC-Warcinfo-ID": self._warcinfo_id,
        }
        if ip:
            headers["WARC-IP-Address"] = ip
        return headers

    def response(
        self,
        url: str,
        captured: dt.datetime,
        body: bytes,
        content_type: str,
        status: str = "200 OK",
        wrong: Optional[str] = None,
    ):
        """A response record; ``wrong`` names a digest header (WARC-Payload-Digest or
        WARC-Block-Digest) to write with a value that does not match the record."""
        from warcio.statusandheaders import StatusAndHeaders

        host = urlsplit(url).hostname or ""
        crc = zlib.crc32(host.encode())
        http = [
            ("Date", email.utils.format_datetime(captured, usegmt=True)),
            ("Server", SERVERS[crc % len(SERVERS)]),
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
            ("Vary", "Accept-Encoding"),
            ("Cache-Control", "max-age=60, public"),
            # CC-NEWS stores the payload decoded and keeps the server's encoding under this name
            ("X-Crawler-Content-Encoding", "gzip"),
        ]
        if status.startswith("200"):
            http.append(("Last-Modified", email.utils.format_datetime(captured - dt.timedelta(minutes=crc % 90), usegmt=True)))  # fmt: skip
        warc_headers = self._headers("response", captured, ip_address(host))
        warc_headers["WARC-Identified-Payload-Type"] = content_type.split(";")[0]
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            warc_headers_dict=warc_headers,
            http_headers=StatusAndHeaders(status, http, protocol="HTTP/1.1"),
        )
        if wrong:
            self._writer.ensure_digest(record, block=True, payload=True)  # then the writer keeps ours
            record.rec_headers.replace_header(wrong, wrong_digest(len(body)))
        self._writer.write_record(record)
        return record.rec_headers.get_header("WARC-Record-ID")

    def request(self, url: str, captured: dt.datetime, response_id: str) -> None:
        from warcio.statusandheaders import StatusAndHeaders

        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        http = [
            ("Host", parts.netloc),
            ("User-Agent", USER_AGENT),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Language", "en-US,en;q=0.5"),
            ("Accept-Encoding", "br,gzip"),
            ("Connection", "Keep-Alive"),
        ]
        headers = self._headers("request", captured, ip_address(parts.hostname or ""))
        headers["WARC-Concurrent-To"] = response_id
        record = self._writer.create_warc_record(
            url,
            "request",
            warc_headers_dict=headers,
            http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", http, protocol="", is_http_request=True),
        )
        self._writer.write_record(record)

    def metadata(self, url: str, captured: dt.datetime, response_id: str, number: int) -> None:
        fields = f"fetchTimeMs: {40 + number % 900}\r\ncharset-detected: UTF-8\r\nlanguages-cld2: {{}}\r\n"
        headers = self._headers("metadata", captured)
        headers["WARC-Refers-To"] = response_id
        record = self._writer.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(fields.encode()),
            length=len(fields.encode()),
            warc_content_type="application/warc-fields",
            warc_headers_dict=headers,
        )
        self._writer.write_record(record)


def odd_kind(number: int) -> Optional[str]:
    if number % ODD_EVERY != ODD_EVERY // 2:
        return None
    return ODD_KINDS[number // ODD_EVERY % len(ODD_KINDS)]


def fake_pdf(number: int) -> bytes:
    rng = random.Random(number)
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(rng.randrange(40_000, 200_000)) + b"\n%%EOF\n"


def build_warc(corpus: Path, target_bytes: int, path: Path) -> dict:
    """Write records to ``path`` until it holds ``target_bytes`` gzipped; returns what was written.
    Written under a temporary name first, so a build that is stopped is never reused."""
    pages = fundus_pages(corpus)
    expected = target_bytes / (sum(p.gzipped_size for p in pages) / len(pages))
    step = dt.timedelta(seconds=86_399 / max(expected, 1))
    written: Counter = Counter({"warcinfo": 1})
    partial = path.with_name(path.name + ".partial")
    started = time.perf_counter()
    with open(partial, "wb") as out:
        crawl = CrawlWriter(out, path.name)
        number = 0
        while out.tell() < target_bytes:
            page = pages[number % len(pages)]
            url = record_url(page.url, number)
            captured = min(CRAWL_DAY + number * step, CRAWL_DAY + dt.timedelta(seconds=86_399))
            html, content_type = numbered_html(page.html, number), f"text/html; charset={page.charset}"
            kind = odd_kind(number)
            if kind == "pdf":
                url = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/media/report-{number}.pdf"
                crawl.response(url, captured, fake_pdf(number), "application/pdf")
            elif kind == "http_404":
                crawl.response(url, captured, NOT_FOUND, "text/html; charset=iso-8859-1", "404 Not Found")
            elif kind in ("bad_payload_digest", "bad_block_digest"):
                header = "WARC-Payload-Digest" if kind == "bad_payload_digest" else "WARC-Block-Digest"
                crawl.response(url, captured, html, content_type, wrong=header)
            else:
                response_id = crawl.response(url, captured, html, content_type)
                if kind == "request":
                    crawl.request(url, captured, response_id)
                elif kind == "metadata":
                    crawl.metadata(url, captured, response_id, number)
            written["response"] += 1
            written[kind or "html"] += 1
            if kind in ("request", "metadata"):  # written beside an ordinary page's response
                written["html"] += 1
            number += 1
    seconds = time.perf_counter() - started
    partial.rename(path)
    records = written["warcinfo"] + written["response"] + written["request"] + written["metadata"]
    return {
        "builder_version": BUILDER_VERSION,
        "target_bytes": target_bytes,
        "bytes": path.stat().st_size,
        "records": records,
        "by_type": {t: written[t] for t in ("warcinfo", "response", "request", "metadata")},
        "responses": {
            "html_200": written["html"],
            **{k: written[k] for k in ("bad_payload_digest", "bad_block_digest", "pdf", "http_404")},
        },
        "odd_every": ODD_EVERY,
        "build_seconds": round(seconds, 1),
    }


def cached_warc(corpus: Path, folder: Path, size_mb: int) -> tuple[Path, dict, bool]:
    """The WARC of ``size_mb`` MB and its counts, built unless the folder holds it already;
    the last value says whether it was built now."""
    path = folder / f"CC-NEWS-bench-{size_mb}MB.warc.gz"
    counts_path = path.with_name(path.name.removesuffix(".warc.gz") + ".json")
    if path.is_file() and counts_path.is_file():
        counts = json.loads(counts_path.read_text())
        if (
            counts.get("builder_version") == BUILDER_VERSION
            and counts.get("target_bytes") == size_mb * MB
            and counts.get("bytes") == path.stat().st_size
        ):
            return path, counts, False
    folder.mkdir(parents=True, exist_ok=True)
    counts = build_warc(corpus, size_mb * MB, path)
    counts_path.write_text(json.dumps(counts, indent=2) + "\n")
    return path, counts, True


# ---------------------------------------------------------------- the read stage, in its own process


PACKAGES = ("newsbeam", "pipeline", "transforms", "schemas")


def export_commit(revision: str, folder: Path) -> str:
    """The package folders of ``revision`` under ``folder``, by ``git archive`` (read-only);
    returns the commit's short hash."""
    git = ["git", "--no-optional-locks", "-C", str(PROJECT_ROOT)]
    commit = subprocess.run(
        git + ["rev-parse", "--short", revision], capture_output=True, text=True, check=True
    )
    archive = subprocess.run(
        git + ["archive", "--format=tar", revision, *PACKAGES], capture_output=True, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return commit.stdout.strip()


def import_newsbeam_from(folder: Path) -> None:
    """Make ``import newsbeam...`` load an exported tree (as setup.py maps it) ahead of the
    editable install, which maps the packages to the working tree."""
    import importlib.abc
    import importlib.util

    roots = {"newsbeam": folder / "newsbeam", **{f"newsbeam.{top}": folder / top for top in PACKAGES[1:]}}

    class ExportedTreeFinder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname not in roots:
                return None  # submodules are found through these packages' __path__
            root = roots[fullname]
            return importlib.util.spec_from_file_location(
                fullname, root / "__init__.py", submodule_search_locations=[str(root)]
            )

    sys.meta_path.insert(0, ExportedTreeFinder())


def read_stage(path: Path) -> dict:
    """The run's read stage on one WARC on the in-process DirectRunner: ReadInputs → FetchPages,
    pages counted and errors rows counted by stage and kind; seconds and peak memory."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from newsbeam.transforms.common.fetching import FetchPolicy
    from newsbeam.transforms.fetch import FetchPages
    from newsbeam.transforms.read import ReadInputs
    from newsbeam.transforms.read import warc as warc_module

    imported_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # As `newsbeam run --direct_running_mode=in_memory --direct_num_workers=1` would set them.
    options = PipelineOptions(
        ["--runner=DirectRunner", "--direct_num_workers=1", "--direct_running_mode=in_memory"]
    )
    policy = FetchPolicy()
    with tempfile.TemporaryDirectory(prefix="newsbeam-bench-warc-") as scratch:
        started = time.perf_counter()
        p = beam.Pipeline(options=options)
        records, read_errors, _ = p | "ReadInputs" >> ReadInputs([f"warc:{path}"], policy)
        pages, fetch_errors = records | "FetchPages" >> FetchPages(policy)
        page_count = (
            pages
            | "CountPages" >> beam.combiners.Count.Globally()
            | "NamePages" >> beam.Map(lambda n: ("pages", n))
        )
        kinds = (
            (read_errors, fetch_errors)
            | "AllErrors" >> beam.Flatten()
            | "StageAndKind" >> beam.Map(lambda row: f"{row['stage']}.{row['kind']}")
            | "CountKinds" >> beam.combiners.Count.PerElement()
        )
        _ = (
            (page_count, kinds)
            | "AllCounts" >> beam.Flatten()
            | "AsJson" >> beam.Map(json.dumps)
            | "WriteCounts" >> beam.io.WriteToText(f"{scratch}/counts")
        )
        p.run().wait_until_finish()
        seconds = time.perf_counter() - started
        counts = dict(
            json.loads(row) for f in Path(scratch).glob("counts*") for row in f.read_text().splitlines()
        )
    return {
        "seconds": seconds,
        "reader": warc_module.__file__,
        "pages": counts.pop("pages", 0),
        "errors": counts,
        "imported_kib": imported_kib,
        "self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


@dataclass
class Measured:
    """One read-stage run seen from outside: its result, or why it was stopped."""

    result: Optional[dict]
    seconds: float
    sampled_peak: int  # bytes: the largest RSS of the process tree seen every 0.2 s
    stopped: Optional[str] = None


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and its descendants, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(parent, []).append(int(entry))
    tree, total = [root], 0
    for pid in tree:
        tree += parents.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as handle:
                total += next(
                    (int(line.split()[1]) * 1024 for line in handle if line.startswith("VmRSS:")), 0
                )
        except OSError:
            continue
    return total


def memory_available() -> int:
    with open("/proc/meminfo") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith("MemAvailable:"))


def measure(path: Path, limit: int, floor: int, timeout: float, code: Optional[Path] = None) -> Measured:
    """``read_stage`` in a fresh interpreter (on the code under ``code`` when given), watched:
    stopped (its whole process group) when its memory passes ``limit`` bytes, the machine's
    available memory falls below ``floor`` bytes, or it outlasts ``timeout`` seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", str(path)]
    command += ["--code", str(code)] if code else []
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=stdout, stderr=stderr, start_new_session=True
        )
        peak, stopped = 0, None
        while child.poll() is None:
            rss = tree_rss(child.pid)
            peak = max(peak, rss)
            if rss > limit:
                stopped = f"over {limit / 2**30:.0f} GiB, stopped"
            elif memory_available() < floor:
                stopped = f"the machine had under {floor / 2**30:.0f} GiB available, stopped at {rss / 2**30:.1f} GiB"
            elif time.perf_counter() - started > timeout:
                stopped = f"still running after {timeout:.0f} s, stopped"
            if stopped:
                os.killpg(child.pid, signal.SIGKILL)  # the group this child leads, nothing else
                child.wait()
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        if stopped:
            return Measured(None, seconds, peak, stopped)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
    if child.returncode != 0:
        return Measured(None, seconds, peak, f"exited {child.returncode}: {err.strip()[-2000:]}")
    return Measured(json.loads(out.strip().splitlines()[-1]), seconds, peak)


# ---------------------------------------------------------------- the report


def mib(size_bytes: float) -> str:
    return f"{size_bytes / 2**20:,.0f}"


def describe_warc(path: Path, counts: dict, built: bool) -> str:
    types, responses = counts["by_type"], counts["responses"]
    when = "built now" if built else "reused; it was built"
    return (
        f"{path} ({counts['bytes'] / MB:,.1f} MB): {counts['records']:,} records = {types['warcinfo']} warcinfo "
        f"+ {types['response']:,} responses + {types['request']} request + {types['metadata']} metadata; "
        f"responses: {responses['html_200']:,} HTML 200, {responses['bad_payload_digest']} wrong payload digest, "
        f"{responses['bad_block_digest']} wrong block digest, {responses['pdf']} PDF, {responses['http_404']} 404; "
        f"{when} in {counts['build_seconds']:.0f} s"
    )


def report_row(size_mb: int, counts: dict, measured: Measured) -> str:
    responses = counts["by_type"]["response"]
    if measured.result is None:
        return (
            f"| {size_mb:,} | {counts['bytes'] / MB:,.1f} | {counts['records']:,} | – | – | – | {measured.seconds:.0f} "
            f"| – | > {mib(measured.sampled_peak)} (sampled) | {measured.stopped} |"
        )
    result = measured.result
    errors = sum(result["errors"].values())
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(result["errors"].items())) or "none"
    adds_up = "yes" if result["pages"] + errors == responses else "NO"
    peak = (result["self_kib"] + result["children_kib"]) * 1024
    return (
        f"| {size_mb:,} | {counts['bytes'] / MB:,.1f} | {counts['records']:,} | {result['pages']:,} | {kinds} "
        f"| {result['pages']:,} + {errors:,} = {result['pages'] + errors:,} of {responses:,} responses: {adds_up} "
        f"| {result['seconds']:.1f} | {responses / result['seconds']:,.0f} | {mib(peak)} "
        f"(self {mib(result['self_kib'] * 1024)}, children {mib(result['children_kib'] * 1024)}, "
        f"after imports {mib(result['imported_kib'] * 1024)}; sampled {mib(measured.sampled_peak)}) | |"
    )


def as_planted(responses: dict, result: dict) -> str:
    """Whether each planted record ended where it should: a wrong block digest is ``bad_digest``;
    a wrong payload digest beside a good block digest is a page (the block digest covers every
    byte, and writers disagree on what the payload digest covers); a 404 is ``http_404``; a PDF
    is ``not_html``."""
    pages = responses["html_200"] + responses["bad_payload_digest"]
    errors = {
        "read.bad_digest": responses["bad_block_digest"],
        "read.http_404": responses["http_404"],
        "read.not_html": responses["pdf"],
    }
    expected = {kind: n for kind, n in errors.items() if n}
    ok = result["pages"] == pages and result["errors"] == expected
    return f"each planted record where it belongs ({pages:,} pages, {expected}): {'yes' if ok else 'NO'}"


def code_state() -> str:
    """Which commit the reader is at and whether its files differ from it (read-only git calls)."""
    git = ["git", "--no-optional-locks", "-C", str(PROJECT_ROOT)]
    try:
        head = subprocess.run(
            git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        changed = subprocess.run(
            git + ["status", "--porcelain", "--", "transforms/read", "transforms/fetch", "transforms/common"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "code: unknown (no git)"
    files = ", ".join(line[3:] for line in changed.stdout.splitlines()) or "none"
    return f"code: HEAD {head.stdout.strip()}; reader files changed since: {files}"


def measure_sizes(warcs: dict, args, code: Optional[Path]) -> dict:
    """Each size's read stage in its own process, a table row printed as each ends; the peaks."""
    print(
        "\n## ReadInputs → FetchPages on the in-process DirectRunner (one worker), one fresh process per size\n\n"
        "| MB | file MB | records in file | pages read | errors rows by stage.kind | every response accounted for "
        "| wall s | responses/s | peak RSS MiB | stopped |\n|---:|---:|---:|---:|---|---|---:|---:|---|---|",
        flush=True,
    )
    peaks, notes = {}, []
    for size_mb, (path, counts) in warcs.items():
        limit, floor = int(args.limit_gib * 2**30), int(args.floor_gib * 2**30)
        measured = measure(path, limit, floor, args.timeout, code)
        print(report_row(size_mb, counts, measured), flush=True)
        if measured.result is None:
            peaks[size_mb] = None
            notes.append(f"{size_mb:,} MB: {measured.stopped} after {measured.seconds:.0f} s")
        else:
            peaks[size_mb] = (measured.result["self_kib"] + measured.result["children_kib"]) * 1024
            notes.append(
                f"{size_mb:,} MB: {measured.seconds:.0f} s with start-up; reader {measured.result['reader']}; "
                + as_planted(counts["responses"], measured.result)
            )
    print("\n" + "\n".join(notes))
    return peaks


def ratio_line(peaks: dict, small: int, large: int, limit: float, target: float) -> str:
    if peaks[small] is None:
        return f"\nno peak for {small:,} MB, so no ratio"
    if peaks[large] is None:
        return (
            f"\npeak at {large:,} MB over {small:,} MB: more than {limit / peaks[small]:.1f}x "
            f"(stopped), target within {target}x: FAIL"
        )
    ratio = peaks[large] / peaks[small]
    return (
        f"\npeak at {large:,} MB over {small:,} MB: {mib(peaks[large])} / {mib(peaks[small])} MiB = "
        f"{ratio:.3f}x, target within {target}x: {'PASS' if ratio <= target else 'FAIL'}"
    )


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"Default: {DEFAULT_CORPUS}")
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_DIR,
        help=f"Where the WARCs are built and kept. Default: {DEFAULT_DIR}",
    )
    parser.add_argument(
        "--sizes", default="100,1000", help="WARC sizes in MB (10^6 bytes, gzipped). Default: 100,1000"
    )
    parser.add_argument("--build-only", action="store_true", help="Build the WARCs, measure nothing.")
    parser.add_argument(
        "--limit-gib", type=float, default=12, help="Stop a run whose memory passes this. Default: 12"
    )
    parser.add_argument(
        "--floor-gib",
        type=float,
        default=3,
        help="Stop a run when the machine has less available. Default: 3",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="Seconds one size may take. Default: 1800"
    )
    parser.add_argument(
        "--target", type=float, default=1.2, help="Largest size's peak over the smallest's. Default: 1.2"
    )
    parser.add_argument(
        "--commit", default=None, metavar="REV", help="Measure this commit's reader, not the working tree's."
    )
    parser.add_argument("--one", type=Path, default=None, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--code", type=Path, default=None, help=argparse.SUPPRESS)  # its exported tree
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # before Beam is imported: its import-time warnings are noise
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(PROJECT_ROOT))
    if args.one is not None:
        if args.code:
            import_newsbeam_from(args.code)
        print(json.dumps(read_stage(args.one)))
        return 0
    if not (args.corpus / "gold.jsonl").is_file():
        print(f"no fundus corpus at {args.corpus}: make bench-warc needs it to build its WARCs")
        return 1
    sizes = sorted(int(n) for n in args.sizes.split(",") if n.strip())
    started = time.perf_counter()
    print(f"# The read stage on CC-NEWS-like WARCs: {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}")
    with tempfile.TemporaryDirectory(prefix="newsbeam-bench-warc-code-") as exported:
        code = Path(exported) if args.commit else None
        if code:
            commit = export_commit(args.commit, code)
            print(f"code: commit {commit}'s packages (exported with git archive), not the working tree\n")
        else:
            print(code_state() + "\n", flush=True)
        warcs = {}
        for size_mb in sizes:
            path, counts, built = cached_warc(args.corpus, args.dir, size_mb)
            warcs[size_mb] = (path, counts)
            print(describe_warc(path, counts, built), flush=True)
        if args.build_only:
            return 0
        peaks = measure_sizes(warcs, args, code)
    if len(sizes) > 1:
        print(ratio_line(peaks, sizes[0], sizes[-1], args.limit_gib * 2**30, args.target))
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
