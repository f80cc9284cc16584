"""WARC (CC-NEWS) input: response records as pages, record by record, capture date kept."""

import datetime as dt
import io

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbeam.transforms.common.fetching import FetchPolicy
from newsbeam.transforms.common.records import InputRecord
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
