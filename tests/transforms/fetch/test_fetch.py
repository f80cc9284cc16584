"""Fetching: HTTP status, timeouts, size caps, content types, charsets, and files."""

import dataclasses

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import (
    FetchedBody,
    FetchPolicy,
    check_address,
    decode_html,
    fetch,
    file_path,
    page_html,
)
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.fetch import FetchLaneFn, FetchPages
from newsbeam.transforms.fetch.politeness import host_lane


def LOOPBACK(timeout: float, max_bytes: int) -> FetchPolicy:  # noqa: N802 - reads like a constant
    """Tests fetch from their own server on 127.0.0.1, which the default policy refuses."""
    return FetchPolicy(timeout=timeout, max_bytes=max_bytes, allow_private=True, retries=0)


PAGE = "<!doctype html><html><head><title>T</title></head><body><p>Grüße aus Köln.</p></body></html>"


def test_fetch_http_ok(http_server):
    http_server.add("/a", PAGE)
    body = fetch(f"{http_server.base}/a", LOOPBACK(5, 100_000))
    assert body.data == PAGE.encode("utf-8")
    assert body.content_type == "text/html; charset=utf-8"
    assert "Grüße" in page_html(body)


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_http_errors_are_input_errors_named_by_status(http_server, status):
    http_server.add("/e", "nope", status=status)
    with pytest.raises(InputError) as err:
        fetch(f"{http_server.base}/e", LOOPBACK(5, 100_000))
    assert err.value.kind == f"http_{status}"


def test_a_slow_server_is_a_timeout(http_server):
    http_server.add("/slow", PAGE, delay=2.0)
    with pytest.raises(InputError) as err:
        fetch(f"{http_server.base}/slow", LOOPBACK(0.5, 100_000))
    assert err.value.kind == "timeout"


def test_a_refused_connection_is_a_connection_error():
    with pytest.raises(InputError) as err:
        fetch("http://127.0.0.1:9/x", LOOPBACK(2, 100))
    assert err.value.kind == "connection_error"


def test_a_body_over_the_cap_is_refused(http_server):
    http_server.add("/big", "x" * 5000)
    with pytest.raises(InputError) as err:
        fetch(f"{http_server.base}/big", LOOPBACK(5, 1000))
    assert err.value.kind == "too_large"


def test_non_html_content_is_refused(http_server):
    http_server.add("/img", b"\x89PNG\r\n\x1a\n\x00\x00\x00", content_type="image/png")
    with pytest.raises(InputError) as err:
        page_html(fetch(f"{http_server.base}/img", LOOPBACK(5, 100_000)))
    assert err.value.kind == "not_html"


def test_binary_bytes_without_a_content_type_are_refused():
    with pytest.raises(InputError) as err:
        page_html(FetchedBody("/x/y.html", b"\x00\x01\x02\x03garbage"))
    assert err.value.kind == "not_html"


@pytest.mark.parametrize(
    "data, content_type",
    [
        ("<html><body><p>Grüße</p></body></html>".encode("cp1252"), "text/html; charset=windows-1252"),
        (
            '<html><head><meta charset="iso-8859-1"></head><body><p>Grüße</p></body></html>'.encode(
                "latin-1"
            ),
            "text/html",
        ),
        ("<html><body><p>Grüße</p></body></html>".encode("utf-8"), None),
    ],
)
def test_decode_uses_http_charset_then_meta_then_detection(data, content_type):
    assert "Grüße" in decode_html(FetchedBody("x", data, content_type))


def test_valid_utf8_wins_over_a_wrong_declaration():
    data = '<html><head><meta charset="iso-8859-1"></head><body><p>sanción</p></body></html>'.encode()
    assert "sanción" in decode_html(FetchedBody("x", data, "text/html; charset=ISO-8859-1"))


def test_files_read_through_filesystems(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(PAGE, encoding="utf-8")
    assert fetch(page.as_uri() + "?utm_source=x#frag", LOOPBACK(5, 100_000)).data == PAGE.encode()
    assert file_path(page.as_uri()) == str(page)
    with pytest.raises(InputError) as err:
        fetch((tmp_path / "missing.html").as_uri(), LOOPBACK(5, 100_000))
    assert err.value.kind == "not_found"


def test_fetch_pages_fills_html_and_routes_failures(http_server):
    http_server.add("/ok", PAGE)
    ok = InputRecord("feed#0", "rss", f"{http_server.base}/ok")
    gone = InputRecord("feed#1", "rss", f"{http_server.base}/gone")
    held = InputRecord("dump:1", "jsonl", "https://a.org/x", text="Already here.")
    with TestPipeline() as p:
        pages, errors = p | beam.Create([ok, gone, held]) | FetchPages(LOOPBACK(5, 100_000))
        assert_that(
            pages | beam.Map(lambda r: (r.input_ref, "Grüße" in (r.html or r.text))),
            equal_to([("feed#0", True), ("dump:1", False)]),
            label="pages",
        )
        assert_that(
            errors | beam.Map(lambda e: (e["input_ref"], e["stage"], e["kind"], e["url"])),
            equal_to([("feed#1", "fetch", "http_404", f"{http_server.base}/gone")]),
            label="errors",
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ],
)
def test_private_loopback_and_metadata_addresses_are_refused_by_default(url):
    with pytest.raises(InputError) as err:
        fetch(url, FetchPolicy(timeout=2, max_bytes=100))
    assert err.value.kind == "blocked_address"


def test_a_public_address_passes_the_check(monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.216.34", 0))])
    check_address("https://example.com/story")  # resolves (faked) to a public address: no error


def test_every_redirect_hop_is_checked(http_server, monkeypatch):
    """A public page that redirects to the metadata service is refused at the second hop."""
    import newsbeam.transforms.common.fetching as fetching

    http_server.add("/go", "", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    checked = []

    def check(url):
        checked.append(url)
        if "169.254" in url:
            raise InputError("blocked_address", "metadata")

    monkeypatch.setattr(fetching, "check_address", check)
    real = fetching.blocked_address  # let the connection guard reach the test's own server
    monkeypatch.setattr(fetching, "blocked_address", lambda a: None if a == "127.0.0.1" else real(a))
    with pytest.raises(InputError) as err:
        fetch(f"{http_server.base}/go", FetchPolicy(timeout=5, max_bytes=1000))
    assert err.value.kind == "blocked_address"
    assert checked == [f"{http_server.base}/go", "http://169.254.169.254/latest/"]


def test_redirects_are_followed_and_capped(http_server):
    http_server.add("/a", "", status=301, headers={"Location": "/b"})
    http_server.add("/b", PAGE)
    body = fetch(f"{http_server.base}/a", LOOPBACK(5, 100_000))
    assert body.location == f"{http_server.base}/b" and b"Gr" in body.data
    http_server.add("/loop", "", status=302, headers={"Location": "/loop"})
    with pytest.raises(InputError) as err:
        fetch(f"{http_server.base}/loop", LOOPBACK(5, 100_000))
    assert err.value.kind == "too_many_redirects"


def test_a_5xx_then_200_is_retried_and_read(http_server):
    http_server.add("/flaky", "busy", status=503)
    http_server.add("/flaky", PAGE)
    policy = FetchPolicy(timeout=5, max_bytes=100_000, allow_private=True, retries=2, backoff=0.01)
    assert b"Gr" in fetch(f"{http_server.base}/flaky", policy).data
    assert http_server.hits == ["/flaky", "/flaky"]


def test_retry_after_is_honoured_and_a_long_one_gives_up(http_server):
    waits = []
    http_server.add("/limited", "slow down", status=429, headers={"Retry-After": "2"})
    http_server.add("/limited", PAGE)
    policy = FetchPolicy(timeout=5, max_bytes=100_000, allow_private=True, retries=2, backoff=0.01)
    from newsbeam.transforms.common.fetching import fetch_http

    assert b"Gr" in fetch_http(f"{http_server.base}/limited", policy, sleep=waits.append).data
    assert waits == [2.0]
    http_server.add("/later", "come back tomorrow", status=429, headers={"Retry-After": "86400"})
    with pytest.raises(InputError) as err:
        fetch_http(f"{http_server.base}/later", policy, sleep=waits.append)
    assert err.value.kind == "http_429" and waits == [2.0]


def test_other_4xx_is_not_retried_and_retries_run_out(http_server):
    http_server.add("/gone", "gone", status=410)
    http_server.add("/down", "down", status=500)
    policy = FetchPolicy(timeout=5, max_bytes=100_000, allow_private=True, retries=2, backoff=0.01)
    with pytest.raises(InputError) as err:
        fetch(f"{http_server.base}/gone", policy)
    assert err.value.kind == "http_410"
    with pytest.raises(InputError) as err:
        fetch(f"{http_server.base}/down", policy)
    assert err.value.kind == "http_500"
    assert http_server.hits == ["/gone", "/down", "/down", "/down"]


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("120", 120.0),
        (None, None),
        ("soon", None),
        ("Wed, 25 Nov 2026 06:01:00 GMT", 60.0),
        ("Wed, 25 Nov 2026 05:00:00 GMT", 0.0),
    ],
)
def test_retry_after_values(value, seconds):
    import datetime as dt

    from newsbeam.transforms.common.fetching import retry_after_seconds

    now = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.timezone.utc)
    assert retry_after_seconds(value, now) == seconds


def test_a_trickling_server_hits_the_total_timeout():
    """Each byte arrives well within the read timeout, the whole page never does."""
    import http.server
    import threading
    import time as clock

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    clock.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        policy = FetchPolicy(timeout=2, max_bytes=1_000_000, allow_private=True, retries=0, total_timeout=1.0)
        started = clock.monotonic()
        with pytest.raises(InputError) as err:
            fetch(f"http://127.0.0.1:{server.server_address[1]}/slow", policy)
        assert err.value.kind == "timeout" and "longer than" in err.value.message
        assert clock.monotonic() - started < 5
    finally:
        server.shutdown()
        server.server_close()


def test_robots_txt_is_obeyed_unless_told_otherwise(http_server):
    http_server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    http_server.add("/private/story", PAGE)
    http_server.add("/public/story", PAGE)
    records = [
        InputRecord("f#0", "rss", f"{http_server.base}/private/story"),
        InputRecord("f#1", "rss", f"{http_server.base}/public/story"),
    ]
    with TestPipeline() as p:
        pages, errors = p | beam.Create(records) | FetchPages(LOOPBACK(5, 100_000))
        assert_that(pages | beam.Map(lambda r: r.input_ref), equal_to(["f#1"]), label="pages")
        assert_that(
            errors | beam.Map(lambda e: (e["input_ref"], e["kind"])),
            equal_to([("f#0", "robots_disallowed")]),
            label="errors",
        )
    ignoring = dataclasses.replace(LOOPBACK(5, 100_000), obey_robots=False)
    with TestPipeline() as p:
        pages, errors = p | beam.Create(records) | FetchPages(ignoring)
        assert_that(pages | beam.Map(lambda r: r.input_ref), equal_to(["f#0", "f#1"]), label="pages")


def test_requests_in_one_host_lane_are_spaced_so_the_host_sees_the_interval(http_server):
    import time as clock

    http_server.add("/a", PAGE)
    policy = dataclasses.replace(
        LOOPBACK(5, 100_000), obey_robots=False, min_host_interval=0.1, host_concurrency=2
    )
    fn = FetchLaneFn(policy)
    fn.setup()
    records = [InputRecord(f"f#{n}", "rss", f"{http_server.base}/a?{n}") for n in range(4)]
    started = clock.monotonic()
    out = list(fn.process(("127.0.0.1#0", records)))
    fn.teardown()
    # Two lanes per host, so one lane waits 2 × 0.1 s between its requests: 3 gaps.
    assert clock.monotonic() - started >= 0.6
    assert [r.input_ref for r in out] == ["f#0", "f#1", "f#2", "f#3"]


def test_host_lanes_are_stable_and_bounded():
    urls = [f"https://News.example.com/story/{n}" for n in range(200)]
    lanes = {host_lane(url, 3) for url in urls}
    assert lanes == {"news.example.com#0", "news.example.com#1", "news.example.com#2"}
    assert [host_lane(u, 3) for u in urls] == [host_lane(u, 3) for u in urls]
    assert host_lane("https://other.example/x", 1) == "other.example#0"


@pytest.mark.parametrize("concurrency", [1, 3])
def test_host_concurrency_caps_requests_in_flight_across_parallel_workers(http_server, concurrency):
    from apache_beam.options.pipeline_options import PipelineOptions

    for n in range(12):
        http_server.add(f"/s{n}", PAGE, delay=0.25)
    records = [InputRecord(f"f#{n}", "rss", f"{http_server.base}/s{n}") for n in range(12)]
    policy = dataclasses.replace(LOOPBACK(5, 100_000), obey_robots=False, host_concurrency=concurrency)
    options = PipelineOptions(direct_running_mode="multi_threading", direct_num_workers=4)
    with TestPipeline(options=options) as p:
        pages, errors = p | beam.Create(records) | FetchPages(policy)
        assert_that(pages | beam.Map(lambda r: r.input_ref), equal_to([r.input_ref for r in records]))
    assert http_server.max_in_flight <= concurrency
    if concurrency > 1:  # the cap is a cap, not a crawl in single file: four workers did overlap
        assert http_server.max_in_flight > 1


def test_an_unexpected_failure_costs_one_record_not_its_lane(http_server, monkeypatch):
    import newsbeam.transforms.fetch as fetch_module

    http_server.add("/ok", PAGE)
    real = fetch_module.page_html

    def flaky(body):
        if body.location.endswith("?bad"):
            raise RuntimeError("a bug")
        return real(body)

    monkeypatch.setattr(fetch_module, "page_html", flaky)
    fn = FetchLaneFn(dataclasses.replace(LOOPBACK(5, 100_000), obey_robots=False))
    fn.setup()
    out = list(
        fn.process(
            ("h#0", [InputRecord(f"f#{q}", "rss", f"{http_server.base}/ok?{q}") for q in ("a", "bad", "c")])
        )
    )
    fn.teardown()
    assert [r.input_ref for r in out if isinstance(r, InputRecord)] == ["f#a", "f#c"]
    (bad,) = [o.value for o in out if isinstance(o, beam.pvalue.TaggedOutput)]
    assert (bad["input_ref"], bad["stage"], bad["kind"]) == ("f#bad", "fetch", "unexpected_RuntimeError")


def test_a_host_that_rebinds_to_loopback_after_the_check_is_refused(http_server, monkeypatch):
    """DNS rebinding: the first lookup (the check) says a public address, the next (the connect)
    says 127.0.0.1. The connection's own peer address is checked, so the page is never read."""
    import socket

    http_server.add("/secret", PAGE)
    port = int(http_server.base.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    lookups = []

    def rebinding(host, *args, **kwargs):
        if host != "rebind.test":
            return real(host, *args, **kwargs)
        lookups.append(host)
        address = "93.184.216.34" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(InputError) as err:
        fetch(f"http://rebind.test:{port}/secret", FetchPolicy(timeout=5, retries=0))
    assert err.value.kind == "blocked_address"
    assert "127.0.0.1, a loopback address" in err.value.message
    assert len(lookups) == 2 and http_server.hits == []


@pytest.mark.parametrize(
    "data, content_type",
    [
        (b"%PDF-1.7\n1 0 obj << >> endobj", "text/html"),  # lies about its type
        (b"\x89PNG\r\n\x1a\n", "text/html; charset=utf-8"),
        (b"%PDF-1.4", None),
    ],
)
def test_binary_files_are_not_pages_whatever_they_claim(data, content_type):
    with pytest.raises(InputError) as err:
        page_html(FetchedBody("x", data, content_type))
    assert err.value.kind == "not_html"


def test_shift_jis_and_latin1_without_a_charset_are_detected():
    japanese = (
        "<html><body><p>"
        + "宮崎県で震度5弱の地震がありました。津波注意報が出ています。" * 5
        + "</p></body></html>"
    )
    assert "津波注意報" in page_html(FetchedBody("x", japanese.encode("shift_jis"), "text/html"))
    french = (
        "<html><body><p>"
        + "Le préfet a déclaré que la sécurité était renforcée à Paris. " * 5
        + "</p></body></html>"
    )
    assert "préfet" in page_html(FetchedBody("x", french.encode("latin-1"), "text/html"))
    russian = (
        "<html><body><p>"
        + "Президент заявил, что переговоры продолжатся на следующей неделе. " * 3
        + "</p></body></html>"
    )
    assert "переговоры" in page_html(FetchedBody("x", russian.encode("cp1251"), "text/html"))


def test_gzip_content_encoding_is_decoded_and_capped_after_decoding(http_server):
    import gzip as gz

    http_server.add("/gz", gz.compress(PAGE.encode("utf-8")), headers={"Content-Encoding": "gzip"})
    assert "Grüße" in page_html(fetch(f"{http_server.base}/gz", LOOPBACK(5, 100_000)))
    http_server.add("/bomb", gz.compress(b"<html>" + b" " * 5_000_000), headers={"Content-Encoding": "gzip"})
    with pytest.raises(InputError) as err:
        fetch(f"{http_server.base}/bomb", LOOPBACK(5, 1_000_000))
    assert err.value.kind == "too_large"


@pytest.mark.parametrize("address", ["100.64.0.1", "198.18.0.1", "192.0.2.1", "240.0.0.1", "::ffff:10.0.0.1"])
def test_addresses_the_internet_does_not_route_are_refused(address):
    from newsbeam.transforms.common.fetching import blocked_address

    assert blocked_address(address)
    assert blocked_address("93.184.215.14") is None


def test_a_host_name_idna_refuses_is_an_invalid_url_without_a_lookup():
    from newsbeam.transforms.common.fetching import check_address

    with pytest.raises(InputError) as err:
        check_address("https://\u202eevil.example/")
    assert err.value.kind == "invalid_url"


def test_unreadable_locations_have_their_own_kinds(tmp_path):
    from newsbeam.transforms.common.fetching import read_file

    broken = tmp_path / "page.html.gz"
    broken.write_bytes(b"\x1f\x8b" + bytes(range(200)))
    with pytest.raises(InputError) as err:
        read_file(str(broken), 1000)
    assert err.value.kind == "bad_gzip"
    with pytest.raises(InputError) as err:
        read_file("gopher://x.example/1", 1000)
    assert err.value.kind == "invalid_url"
