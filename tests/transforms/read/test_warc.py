"""WARC (CC-NEWS) input: response records as pages, record by record, capture date kept."""

import datetime as dt
import gzip
import io

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbeam.transforms.common.archives import page_from_archive
from newsbeam.transforms.common.fetching import FetchPolicy, page_html
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.fetch import FetchPages
from newsbeam.transforms.parse.article import article_from_record
from newsbeam.transforms.read import ReadInputs
from newsbeam.transforms.read.warc import records_from_warc
from tests.conftest import SAMPLES

PAGE = (SAMPLES / "pages" / "harbour-bridge-reopens.html").read_bytes()


def _response(writer, url, body, content_type, date):
    headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=headers, warc_headers_dict={"WARC-Date": date}
    )
    writer.write_record(record)


def write_warc(path, truncate=False):
    """A small CC-NEWS-like WARC: warcinfo, a request, two HTML pages, a PDF; gzip per record."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record("news.warc.gz", {"software": "test"}))
        request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example.org")], is_http_request=True)
        writer.write_record(
            writer.create_warc_record("https://news.example.org/a", "request", http_headers=request)
        )
        _response(
            writer, "https://news.example.org/a", PAGE, "text/html; charset=utf-8", "2026-11-20T09:00:00Z"
        )
        _response(
            writer,
            "https://news.example.org/report.pdf",
            b"%PDF-1.4\x00\x01binary",
            "application/pdf",
            "2026-11-20T09:01:00Z",
        )
        _response(
            writer,
            "https://news.example.org/b",
            PAGE.replace(b"Saltmarsh", b"Harbour"),
            "text/html",
            "2026-11-20T09:02:00Z",
        )
    if truncate:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) - 300])


def test_warc_responses_become_pages_and_other_records_are_passed_over(tmp_path):
    path = tmp_path / "news.warc.gz"
    write_warc(path)
    with open(path, "rb") as stream:
        items = list(records_from_warc(stream, str(path), 1_000_000))
    pages = [i for i in items if isinstance(i, InputRecord)]
    errors = [i for i in items if isinstance(i, dict)]
    assert [(p.url, p.input_ref.rsplit("#", 1)[1]) for p in pages] == [
        ("https://news.example.org/a", "record=0"),
        ("https://news.example.org/b", "record=2"),
    ]
    assert pages[0].captured_at == dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
    assert [(e["kind"], e["url"]) for e in errors] == [("not_html", "https://news.example.org/report.pdf")]


def test_a_truncated_warc_keeps_what_came_before_and_says_so(tmp_path):
    path = tmp_path / "cut.warc.gz"
    write_warc(path, truncate=True)
    with open(path, "rb") as stream:
        items = list(records_from_warc(stream, str(path), 1_000_000))
    assert [i.url for i in items if isinstance(i, InputRecord)] == ["https://news.example.org/a"]
    assert [i["kind"] for i in items if isinstance(i, dict)] == ["not_html", "truncated_record"]


def test_the_capture_date_bounds_the_publication_date():
    """A page captured before the date it claims cannot have been published then."""
    html = PAGE.decode().replace("2026-11-20T07:30:00+00:00", "2026-12-31T07:30:00+00:00")
    record = InputRecord(
        "w#record=0",
        "warc",
        "https://news.example.org/a",
        html=html,
        captured_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc),
    )
    article = article_from_record(record)
    assert article["captured_at"] == record.captured_at
    assert article["published_at"] is None or article["published_at"] <= record.captured_at + dt.timedelta(
        days=1
    )


def test_read_inputs_streams_a_warc_through_filesystems(tmp_path):
    write_warc(tmp_path / "cc-news.warc.gz")
    with TestPipeline() as p:
        records, errors, _ = p | ReadInputs([str(tmp_path / "*.warc.gz")], FetchPolicy())
        assert_that(
            records | beam.Map(lambda r: (r.input_kind, r.url)),
            equal_to([("warc", "https://news.example.org/a"), ("warc", "https://news.example.org/b")]),
            label="records",
        )
        assert_that(errors | beam.Map(lambda e: e["kind"]), equal_to(["not_html"]), label="errors")


# --- archives as they come: gzip framing, digests, ARC, resources, damage -------------------------


def record_bytes(url, body, *, rec_type="response", content_type="text/html", date="2026-11-20T09:00:00Z",
                 status="200 OK", http_extra=()):  # fmt: skip
    """One uncompressed WARC record, as warcio writes it (with block and payload digests)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    if rec_type == "response":
        headers = StatusAndHeaders(status, [("Content-Type", content_type), *http_extra], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=headers,
            warc_headers_dict={"WARC-Date": date},
        )  # fmt: skip
    elif rec_type == "resource":
        record = writer.create_warc_record(
            url, "resource", payload=io.BytesIO(body),
            warc_content_type=content_type, warc_headers_dict={"WARC-Date": date},
        )  # fmt: skip
    else:
        record = writer.create_warcinfo_record("x.warc", {"software": "test"})
    writer.write_record(record)
    return out.getvalue()


def gzip_each(*records):
    """Gzip per record, as the standard and CC-NEWS do."""
    return b"".join(gzip.compress(r) for r in records)


def read_all(path, max_bytes=1_000_000):
    with open(path, "rb") as stream:
        items = list(records_from_warc(stream, str(path), max_bytes))
    return [i for i in items if isinstance(i, InputRecord)], [i for i in items if isinstance(i, dict)]


def page_of(record, max_bytes=1_000_000):
    """The page FetchPages gets for a record: read at its offset, or carried."""
    if record.archive is not None:
        return page_html(page_from_archive(*record.archive, max_bytes))
    return record.html


PAGE_A = PAGE
PAGE_B = PAGE.replace(b"Saltmarsh", b"Harbour")


def test_records_name_their_offset_and_each_page_reads_back_alone(tmp_path):
    """A per-record gzip archive's pages travel as offsets, not bytes, and read back exactly."""
    path = tmp_path / "cc.warc.gz"
    path.write_bytes(
        gzip_each(record_bytes(None, b"", rec_type="warcinfo"), record_bytes("https://n.org/a", PAGE_A),
                  record_bytes("https://n.org/b", PAGE_B))
    )  # fmt: skip
    pages, errors = read_all(path)
    assert errors == []
    assert [(p.url, p.html, p.archive[0]) for p in pages] == [
        ("https://n.org/a", None, str(path)),
        ("https://n.org/b", None, str(path)),
    ]
    assert [page_of(p) for p in pages] == [PAGE_A.decode(), PAGE_B.decode()]


def test_a_warc_gzipped_whole_is_read_record_by_record(tmp_path):
    plain = b"".join(
        [record_bytes(None, b"", rec_type="warcinfo")]
        + [
            record_bytes(f"https://n.org/{i}", PAGE_A.replace(b"Saltmarsh", f"Story{i}".encode()))
            for i in range(3)
        ]
    )
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(plain))
    pages, errors = read_all(path)
    assert errors == []
    assert [p.url for p in pages] == ["https://n.org/0", "https://n.org/1", "https://n.org/2"]
    assert [f"Story{i}" in page_of(p) for i, p in enumerate(pages)] == [True] * 3
    # only the first record starts the single gzip member; the others carry their page
    assert [p.archive is not None for p in pages] == [False, False, False]


def test_a_plain_warc_reads_by_offset(tmp_path):
    path = tmp_path / "plain.warc"
    path.write_bytes(record_bytes("https://n.org/a", PAGE_A) + record_bytes("https://n.org/b", PAGE_B))
    pages, errors = read_all(path)
    assert errors == [] and [p.archive[1] > 0 for p in pages] == [False, True]
    assert [page_of(p) for p in pages] == [PAGE_A.decode(), PAGE_B.decode()]


def test_wrong_chunking_gives_the_page_and_no_phantom_rows(tmp_path):
    """One complete response split over two gzip members at an arbitrary byte: one page, no
    error (it once gave a truncated_record "1270 bytes short" and a truncated_warc for a
    record=1 that does not exist)."""
    whole = record_bytes("https://n.org/a", PAGE_A)
    cut = len(whole) // 3
    path = tmp_path / "chunked.warc.gz"
    path.write_bytes(gzip.compress(whole[:cut]) + gzip.compress(whole[cut:]))
    pages, errors = read_all(path)
    assert (errors, [p.url for p in pages]) == ([], ["https://n.org/a"])
    assert page_of(pages[0]) == PAGE_A.decode()


def test_a_file_cut_inside_a_record_is_exactly_one_row(tmp_path):
    path = tmp_path / "cut.warc.gz"
    data = gzip_each(record_bytes("https://n.org/a", PAGE_A), record_bytes("https://n.org/b", PAGE_B))
    path.write_bytes(data[: len(data) - 2000])
    pages, errors = read_all(path)
    assert [p.url for p in pages] == ["https://n.org/a"]
    assert [(e["kind"], e["input_ref"].rsplit("#", 1)[1]) for e in errors] == [
        ("truncated_record", "record=1")
    ]


def test_damage_between_records_keeps_the_records_before_it(tmp_path):
    path = tmp_path / "garbage.warc.gz"
    path.write_bytes(gzip_each(record_bytes("https://n.org/a", PAGE_A)) + b"not gzip at all" * 100)
    pages, errors = read_all(path)
    assert [p.url for p in pages] == ["https://n.org/a"]
    assert [e["kind"] for e in errors] == ["truncated_warc"]
    assert "after record 0" in errors[0]["message"]


def _replace_header(record: bytes, name: bytes, value: bytes = None) -> bytes:
    head, sep, block = record.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.startswith(name + b":")]
    if value is not None:
        lines.append(name + b": " + value)
    return b"\r\n".join(lines) + sep + block


def test_a_record_failing_its_digest_is_an_error_and_its_intact_copy_elsewhere_is_the_page(tmp_path):
    intact = record_bytes("https://n.org/a", PAGE_A)
    damaged = intact.replace(b"Saltmarsh", b"Saltmarsx", 1)  # a flipped byte: both digests fail
    (tmp_path / "one.warc.gz").write_bytes(gzip_each(damaged))
    (tmp_path / "two.warc.gz").write_bytes(gzip_each(intact))
    pages, errors = read_all(tmp_path / "one.warc.gz")
    assert pages == [] and [e["kind"] for e in errors] == ["bad_digest"]
    assert "block digest failed" in errors[0]["message"]
    with TestPipeline() as p:
        records, errors, _ = p | ReadInputs([str(tmp_path / "*.warc.gz")], FetchPolicy())
        pages, _ = records | FetchPages(FetchPolicy())
        assert_that(
            pages | beam.Map(lambda r: (r.input_ref.rsplit("/", 1)[1], "Saltmarsh" in r.html)),
            equal_to([("two.warc.gz#record=0", True)]),
            label="pages",
        )
        assert_that(
            errors | beam.Map(lambda e: (e["input_ref"].rsplit("/", 1)[1], e["kind"])),
            equal_to([("one.warc.gz#record=0", "bad_digest")]),
            label="errors",
        )


def test_a_payload_digest_alone_decides_only_when_nothing_better_says(tmp_path):
    """Writers disagree on what a payload digest covers (chunked or not): with an intact block
    digest the bytes are what was archived; without one, a failing payload digest is damage."""
    record = record_bytes("https://n.org/a", PAGE_A)
    other = b"sha1:" + b"A" * 32
    disputed = _replace_header(record, b"WARC-Payload-Digest", other)
    lone = _replace_header(disputed, b"WARC-Block-Digest")
    path = tmp_path / "digests.warc.gz"
    path.write_bytes(gzip_each(disputed, lone))
    pages, errors = read_all(path)
    assert [p.input_ref.rsplit("#", 1)[1] for p in pages] == ["record=0"]
    assert [(e["kind"], e["input_ref"].rsplit("#", 1)[1]) for e in errors] == [("bad_digest", "record=1")]


def test_resource_records_holding_html_are_pages(tmp_path):
    path = tmp_path / "resources.warc.gz"
    path.write_bytes(
        gzip_each(
            record_bytes("https://n.org/a", PAGE_A, rec_type="resource", content_type="text/html"),
            record_bytes("https://n.org/logo.png", b"\x89PNG\r\n\x1a\nxx", rec_type="resource", content_type="image/png"),
            record_bytes("dns:n.org", b"20261120 n.org. 300 IN A 1.2.3.4", rec_type="resource", content_type="text/dns"),
        )
    )  # fmt: skip
    pages, errors = read_all(path)
    assert [p.url for p in pages] == ["https://n.org/a"] and page_of(pages[0]) == PAGE_A.decode()
    assert [(e["kind"], e["url"]) for e in errors] == [("not_html", "https://n.org/logo.png")]


def test_an_archived_http_error_is_not_a_page(tmp_path):
    path = tmp_path / "statuses.warc.gz"
    path.write_bytes(
        gzip_each(
            record_bytes(
                "https://n.org/gone", b"<html><body>Not found</body></html>", status="404 Not Found"
            ),
            record_bytes("https://n.org/a", PAGE_A),
        )
    )
    pages, errors = read_all(path)
    assert [p.url for p in pages] == ["https://n.org/a"]
    assert [(e["kind"], e["url"]) for e in errors] == [("http_404", "https://n.org/gone")]


def test_a_content_encoding_that_does_not_decode_costs_only_its_record(tmp_path):
    broken = record_bytes(
        "https://n.org/a", b"\x1f\x8b\x08\x00not really gzip", http_extra=[("Content-Encoding", "gzip")]
    )
    path = tmp_path / "encoding.warc.gz"
    path.write_bytes(gzip_each(broken, record_bytes("https://n.org/b", PAGE_B)))
    pages, errors = read_all(path)
    assert [p.url for p in pages] == ["https://n.org/b"]
    assert [(e["kind"], e["url"]) for e in errors] == [("not_html", "https://n.org/a")]
    assert "binary" in errors[0]["message"]


def arc_bytes(*pages):
    """An ARC (version 1) file, as the Internet Archive wrote them before WARC."""
    spec = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    out = [b"filedesc://test.arc 0.0.0.0 20051212120000 text/plain %d\n" % len(spec) + spec + b"\n"]
    for url, stamp, body in pages:
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
        out.append(
            b"%s 93.184.216.34 %s text/html %d\n" % (url.encode(), stamp.encode(), len(http)) + http + b"\n"
        )
    return out


def test_arc_records_keep_their_url_and_capture_date(tmp_path):
    records = arc_bytes(
        ("https://n.org/a", "20051212120102", PAGE_A), ("https://n.org/b", "20051212130000", PAGE_B)
    )
    for name, data in (("old.arc", b"".join(records)), ("old.arc.gz", gzip_each(*records))):
        (tmp_path / name).write_bytes(data)
        pages, errors = read_all(tmp_path / name)
        assert errors == []
        assert [(p.url, p.captured_at) for p in pages] == [
            ("https://n.org/a", dt.datetime(2005, 12, 12, 12, 1, 2, tzinfo=dt.timezone.utc)),
            ("https://n.org/b", dt.datetime(2005, 12, 12, 13, 0, 0, tzinfo=dt.timezone.utc)),
        ], name
        assert [page_of(p) for p in pages] == [PAGE_A.decode(), PAGE_B.decode()], name


def test_read_inputs_streams_an_archive_without_its_extension_and_fetch_reads_its_pages(tmp_path):
    (tmp_path / "CC-NEWS-20261120-00001").write_bytes(
        gzip_each(record_bytes("https://n.org/a", PAGE_A), record_bytes("https://n.org/b", PAGE_B))
    )
    (tmp_path / "old").write_bytes(b"".join(arc_bytes(("https://n.org/c", "20051212120102", PAGE_A))))
    with TestPipeline() as p:
        records, errors, _ = p | ReadInputs([str(tmp_path / "*")], FetchPolicy())
        assert_that(
            records | beam.Map(lambda r: (r.url, r.html is None and r.archive is not None)),
            equal_to([("https://n.org/a", True), ("https://n.org/b", True), ("https://n.org/c", True)]),
            label="records",
        )
        pages, _ = records | FetchPages(FetchPolicy())
        assert_that(
            pages | beam.Map(lambda r: (r.url, r.archive, r.captured_at.year, "<html" in r.html.lower())),
            equal_to([("https://n.org/a", None, 2026, True), ("https://n.org/b", None, 2026, True),
                      ("https://n.org/c", None, 2005, True)]),
            label="pages",
        )  # fmt: skip
