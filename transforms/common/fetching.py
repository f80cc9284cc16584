"""Bytes from a location, safely: http(s) pages and feeds with timeouts, retries, a size cap and
no private addresses, and files (local paths, ``file://``, ``gs://``, ``s3://``) through Beam's
FileSystems, so the same code runs on a laptop and on a cloud worker. And a page's bytes as HTML
text (:func:`page_html`). ReadInputs fetches feeds and sitemaps with it, FetchPages the pages
they link to.
"""

from __future__ import annotations

import datetime as dt
import gzip
import time
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

import requests
import requests.adapters
import urllib3.exceptions
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.common.errors import InputError

USER_AGENT = "newsbeam/0.1 (+https://github.com/newsbeam/newsbeam; news ingestion pipeline)"

HTML_TYPES = ("text/html", "application/xhtml+xml")

#: File signatures that no HTML page starts with.
BINARY_MAGIC = (
    (b"%PDF-", "PDF"), (b"\x89PNG", "PNG image"), (b"GIF8", "GIF image"), (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive"), (b"\x1f\x8b", "gzip file"), (b"RIFF", "RIFF media file"),
)  # fmt: skip


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how safely to fetch: timeouts, caps and which addresses may be reached."""

    timeout: float = 20.0
    max_bytes: int = 10_000_000
    user_agent: str = USER_AGENT
    #: A feed is untrusted input: by default its links may not reach this machine, the local
    #: network or a cloud metadata service (169.254.169.254 hands out credentials on a worker).
    allow_private: bool = False
    max_redirects: int = 5
    #: Retries after a timeout, 429 or 5xx (never after another 4xx), with exponential backoff
    #: and jitter; a Retry-After longer than ``max_retry_after`` seconds gives up instead.
    retries: int = 3
    backoff: float = 1.0
    max_retry_after: float = 60.0
    #: The whole download of one page, however slowly the server trickles it.
    total_timeout: float = 60.0
    #: Honour robots.txt (fetched once per host per worker); a disallowed page is an errors row.
    obey_robots: bool = True
    #: At most this many requests to one host at a time, across every worker of the job.
    host_concurrency: int = 2
    #: On average at least this many seconds between two requests to one host, job-wide.
    min_host_interval: float = 0.0


@dataclass(frozen=True)
class FetchedBody:
    """Bytes from a URL or file, with what the transport said about them."""

    location: str
    data: bytes
    content_type: Optional[str] = None  # the HTTP Content-Type header, None for files
    #: The HTTP status: 200-299, or 304 when a conditional GET found the resource unchanged
    #: (``data`` is then empty). None for files.
    status: Optional[int] = None
    #: The validators a later conditional GET sends back (ETag, Last-Modified), as the server wrote them.
    etag: Optional[str] = None
    last_modified: Optional[str] = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_http(location: str) -> bool:
    return urllib.parse.urlsplit(location).scheme in ("http", "https")


def file_path(location: str) -> str:
    """A path FileSystems can open: ``file://`` URIs become local paths, query and fragment go."""
    parts = urllib.parse.urlsplit(location)
    if parts.scheme == "file":
        return urllib.request.url2pathname(parts.path)
    if parts.scheme and len(parts.scheme) > 1:  # gs://, s3://, ... (a one-letter scheme is a drive)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return location


def open_raw(location: str):
    """A file as raw bytes through FileSystems, not decompressed (warcio reads gzip members itself)."""
    from apache_beam.io.filesystem import CompressionTypes

    try:
        return FileSystems.open(file_path(location), compression_type=CompressionTypes.UNCOMPRESSED)
    except FileNotFoundError as exc:
        raise InputError("not_found", f"no such file: {location}") from exc
    except OSError as exc:
        raise InputError("io_error", f"cannot read {location}: {exc}") from exc


def read_file(location: str, max_bytes: int) -> FetchedBody:
    """Read a whole file through Beam's FileSystems (compression from the name, e.g. ``.gz``)."""
    path = file_path(location)
    try:
        with FileSystems.open(path) as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise InputError("not_found", f"no such file: {path}") from exc
    except (zlib.error, EOFError, gzip.BadGzipFile) as exc:  # a .gz that is not, or is cut short
        raise InputError("bad_gzip", f"cannot decompress {path}: {exc}") from exc
    except Exception as exc:  # Beam wraps every filesystem failure in its own IOError types
        if "not found" in str(exc).lower() or "no such file" in str(exc).lower():
            raise InputError("not_found", f"no such file: {path}") from exc
        if "unable to get filesystem" in str(exc).lower():  # gopher://, ftp://: no such filesystem
            raise InputError(
                "invalid_url", f"cannot read {path}: not a path, nor an http(s), gs:// or s3:// URL"
            ) from exc
        raise InputError("io_error", f"cannot read {path}: {exc}") from exc
    if len(data) > max_bytes:
        raise InputError("too_large", f"{path} is larger than {max_bytes} bytes")
    return FetchedBody(location, data)


def blocked_address(address: str) -> Optional[str]:
    """Why newsbeam will not connect to this IP address ("10.0.0.1, a private address"), or None."""
    import ipaddress

    ip = ipaddress.ip_address(address.split("%")[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    for test, what in (
        ("is_loopback", "a loopback"), ("is_link_local", "a link-local"), ("is_private", "a private"),
        ("is_multicast", "a multicast"), ("is_reserved", "a reserved"), ("is_unspecified", "an unspecified"),
    ):  # fmt: skip
        if getattr(ip, test):
            return f"{ip}, {what} address"
    if not ip.is_global:  # the rest IANA does not route publicly: 100.64.0.0/10 (carrier NAT), ...
        return f"{ip}, a non-public address"
    return None


def check_address(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, an address :func:`blocked_address` refuses.
    Checked before every request and every redirect hop; :func:`guarded_session` checks the
    address each connection actually reached as well, which a DNS rebinding cannot get round."""
    import socket

    host = urllib.parse.urlsplit(url).hostname
    if not host:
        raise InputError("invalid_url", f"{url} has no host")
    try:
        host.encode("idna")
    except UnicodeError as exc:  # a bidi override or an empty label: no such host can exist
        raise InputError("invalid_url", f"{url!r} has a host name IDNA refuses: {exc}") from exc
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError("dns_error", f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        reason = blocked_address(info[4][0])
        if reason:
            raise InputError(
                "blocked_address", f"{host} resolves to {reason}, which newsbeam does not fetch from"
            )


def guarded_session(policy: FetchPolicy):
    """A requests Session; unless private addresses are allowed, every new connection checks the
    address its socket is connected to, after DNS resolution. A host that resolves to a public
    address for :func:`check_address` and to 127.0.0.1 a moment later (DNS rebinding) is refused."""

    session = requests.Session()
    if not policy.allow_private:
        adapter = _GuardedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


class BlockedConnection(urllib3.exceptions.NewConnectionError):
    """A connection whose peer address the policy refuses (raised inside urllib3)."""


def _guarded_connection(base):
    class Guarded(base):
        def _new_conn(self):
            sock = super()._new_conn()
            try:
                peer = sock.getpeername()[0]
            except OSError:  # not connected after all: let the request fail as it would
                return sock
            reason = blocked_address(peer)
            if reason:
                sock.close()
                raise BlockedConnection(
                    self, f"{self.host} connected to {reason}, which newsbeam does not fetch from"
                )
            return sock

    Guarded.__name__ = f"Guarded{base.__name__}"
    return Guarded


def _guarded_pools():
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    return {
        "http": type(
            "GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": _guarded_connection(HTTPConnection)}
        ),
        "https": type(
            "GuardedHTTPSPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": _guarded_connection(HTTPSConnection)},
        ),
    }


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    """requests' HTTPAdapter whose pools open connections through the address check."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _guarded_pools()


def _blocked_cause(exc: BaseException) -> Optional[BaseException]:
    """The BlockedConnection somewhere in the chain of a requests/urllib3 exception, if any."""
    seen, todo = set(), [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BlockedConnection):
            return current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]
    return None


RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def backoff_delay(policy: FetchPolicy, attempt: int) -> float:
    """Exponential backoff with jitter: about backoff × 2^attempt, between half and all of it."""
    import random

    return min(policy.max_retry_after, policy.backoff * 2**attempt) * random.uniform(0.5, 1.0)


def retry_after_seconds(value: Optional[str], now: Optional[dt.datetime] = None) -> Optional[float]:
    """A Retry-After header (seconds, or an HTTP date) as seconds to wait; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds())


def _get(http, url: str, policy: FetchPolicy, sleep: Callable[[float], None], headers: Optional[dict] = None):
    """One GET without following redirects, retried after timeouts, 429 and 5xx."""

    timeout = policy.timeout
    for attempt in range(policy.retries + 1):
        last = attempt == policy.retries
        try:
            response = http.get(
                url,
                timeout=(min(timeout, 10.0), timeout),
                stream=True,
                allow_redirects=False,
                headers={"User-Agent": policy.user_agent, **(headers or {})},
            )
        except requests.exceptions.Timeout as exc:
            if last:
                raise InputError(
                    "timeout", f"no answer from {url} within {timeout:g} s, {attempt + 1} tries"
                ) from exc
            sleep(backoff_delay(policy, attempt))
            continue
        except requests.exceptions.RequestException as exc:
            blocked = _blocked_cause(exc)
            if blocked is not None:
                raise InputError("blocked_address", str(blocked).split(": ", 1)[-1]) from exc
            raise InputError("connection_error", f"cannot connect to {url}: {exc}") from exc
        if response.status_code in RETRY_STATUSES and not last:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            wait = backoff_delay(policy, attempt) if wait is None else wait
            if wait > policy.max_retry_after:
                return response  # the server asks for longer than we wait: report its answer
            response.close()
            sleep(wait)
            continue
        return response
    raise AssertionError("unreachable")  # the last attempt always returns or raises


def fetch_http(
    url: str,
    policy: FetchPolicy,
    session=None,
    sleep: Callable[[float], None] = time.sleep,
    headers: Optional[dict] = None,
) -> FetchedBody:
    """GET a URL with a connect/read timeout, retries, a cap on the body and on redirects;
    non-2xx is an InputError. Redirects are followed here, one hop at a time, so that every hop
    is checked against the address policy. ``headers`` go with every hop: a conditional GET
    (:func:`conditional_headers`) answered 304 gives an empty body with ``status`` 304."""
    if session is None:
        with guarded_session(policy) as own:
            return fetch_http(url, policy, own, sleep, headers)
    for _ in range(policy.max_redirects + 1):
        if not policy.allow_private:
            check_address(url)
        response = _get(session, url, policy, sleep, headers)
        if response.status_code == 304 and headers:
            response.close()
            return FetchedBody(url, b"", status=304, **validators(response.headers, headers))
        if response.is_redirect and response.headers.get("Location"):
            target = urllib.parse.urljoin(url, response.headers["Location"])
            response.close()
            if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
                raise InputError("unsafe_redirect", f"{url} redirects to {target}, not an http(s) URL")
            url = target
            continue
        return _read_body(response, url, policy.max_bytes, total_seconds=policy.total_timeout)
    raise InputError("too_many_redirects", f"more than {policy.max_redirects} redirects from {url}")


def _read_body(response, url: str, max_bytes: int, total_seconds: float = float("inf")) -> FetchedBody:
    """The body of a 2xx answer, at most ``max_bytes`` and within ``total_seconds`` (a server that
    trickles a byte at a time never trips the read timeout, so the whole read is timed too)."""
    deadline = time.monotonic() + total_seconds
    with response:
        if not 200 <= response.status_code < 300:
            raise InputError(
                f"http_{response.status_code}",
                f"{url} answered HTTP {response.status_code} {response.reason}",
            )
        chunks, size = [], 0
        try:
            for chunk in _as_it_arrives(response):
                size += len(chunk)
                if size > max_bytes:
                    raise InputError("too_large", f"{url} sent more than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise InputError(
                        "timeout", f"{url} took longer than {total_seconds:g} s to send its page"
                    )
                chunks.append(chunk)
        except (requests.exceptions.RequestException, OSError) as exc:
            raise InputError("timeout", f"reading {url} failed: {exc}") from exc
        return FetchedBody(
            url,
            b"".join(chunks),
            response.headers.get("Content-Type"),
            response.status_code,
            **validators(response.headers),
        )


def validators(answer, sent: Optional[dict] = None) -> dict:
    """The ETag and Last-Modified of an answer; for a 304 without them, those that were sent
    (RFC 9110 lets a 304 leave out what did not change)."""
    sent = sent or {}
    return {
        "etag": answer.get("ETag") or sent.get("If-None-Match"),
        "last_modified": answer.get("Last-Modified") or sent.get("If-Modified-Since"),
    }


def conditional_headers(etag: Optional[str], last_modified: Optional[str]) -> dict:
    """If-None-Match and If-Modified-Since for validators an earlier answer gave (RFC 9110 13.1)."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _as_it_arrives(response) -> Iterator[bytes]:
    """The decoded body in pieces as the socket delivers them (urllib3's ``read1``), so a deadline
    is checked between pieces; ``iter_content`` would wait for a full chunk from a trickling server."""
    raw = response.raw
    if not hasattr(raw, "read1"):  # an old urllib3: whole chunks, still capped in size
        yield from response.iter_content(chunk_size=65536)
        return
    while True:
        piece = raw.read1(65536, decode_content=True)
        if not piece:
            return
        yield piece


def fetch(location: str, policy: FetchPolicy, session=None, headers: Optional[dict] = None) -> FetchedBody:
    """Fetch a URL (with ``headers``, e.g. a conditional GET's) or read a file, whichever the location is."""
    if is_http(location):
        return fetch_http(location, policy, session, headers=headers)
    return read_file(location, policy.max_bytes)


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head or b"<body" in head


def decode_html(body: FetchedBody) -> str:
    """Bytes to text: UTF-8 when the bytes are valid UTF-8, else the HTTP charset, then the page's
    meta charset, then detection.

    Valid UTF-8 wins over a declared charset because servers and templates often declare
    ISO-8859-1 for pages that are UTF-8 (two fundus pages do), while text in a legacy charset is
    almost never valid UTF-8 by accident. bs4's UnicodeDammit does the rest of the chain (it ships
    with newspaper4k).
    """
    from bs4.dammit import UnicodeDammit

    try:
        return body.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass

    declared = []
    if body.content_type and "charset=" in body.content_type.lower():
        declared.append(body.content_type.lower().split("charset=")[-1].split(";")[0].strip().strip("\"'"))
    dammit = UnicodeDammit(
        body.data,
        known_definite_encodings=declared,
        user_encodings=detected_encodings(body.data),
        is_html=True,
    )
    if dammit.unicode_markup is None:
        raise InputError("undecodable", f"{body.location}: cannot decode the page's bytes")
    return dammit.unicode_markup


#: Where charset detection cannot tell codepages apart, the ones the web actually uses win.
WEB_ENCODINGS = (
    "cp1252",
    "iso8859_15",
    "cp1251",
    "cp1250",
    "shift_jis",
    "cp932",
    "euc_jp",
    "gb18030",
    "euc_kr",
    "big5",
)


def detected_encodings(data: bytes) -> list[str]:
    """charset_normalizer's guesses, best first: among the guesses about as clean as the best one,
    the most coherent wins, and a web-common codepage breaks ties (it otherwise calls Latin-1
    French "mac_latin2")."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:200_000]))
    if not matches:
        return []
    cleanest = min(m.chaos for m in matches)
    close = [m for m in matches if m.chaos <= cleanest + 0.05]

    def rank(match):
        common = (
            WEB_ENCODINGS.index(match.encoding) if match.encoding in WEB_ENCODINGS else len(WEB_ENCODINGS)
        )
        return (-round(match.coherence, 2), common)

    return [m.encoding for m in sorted(close, key=rank)][:3]


def page_html(body: FetchedBody) -> str:
    """The page's HTML as text, or InputError when it is not an HTML page."""
    check_page(body)
    return decode_html(body)


def check_page(body: FetchedBody) -> None:
    """InputError when the bytes are not an HTML page (their type, emptiness, a binary magic
    number), without decoding them."""
    content_type = (body.content_type or "").split(";")[0].strip().lower()
    if content_type and content_type not in HTML_TYPES and not looks_like_html(body.data):
        raise InputError("not_html", f"{body.location} is {content_type}, not an HTML page")
    if not body.data.strip():
        raise InputError("empty", f"{body.location} is empty")
    if b"\x00" in body.data[:1024] and not looks_like_html(body.data):
        raise InputError("not_html", f"{body.location} is binary, not an HTML page")
    for magic, kind in BINARY_MAGIC:
        if body.data.lstrip()[: len(magic)] == magic:  # a server that calls a PDF text/html
            raise InputError("not_html", f"{body.location} is a {kind}, whatever its Content-Type says")
