"""A generated corpus of broken and hostile inputs: what a nightly run must survive.

``write_corpus(folder, size)`` writes at least ``size`` input files of every kind newsbeam reads
(saved pages, gzipped pages, plain-text stories, JSONL dumps, feeds, OPML, sitemaps, URL lists,
WARC archives), each made to break one thing: truncated and invalid HTML, tags nested 100,000
deep, pages of 50 MB, binary files named ``.html``, text in one encoding labelled as another,
invalid UTF-8, NUL bytes, bidi overrides and zero-width characters, empty bodies, gzip bombs,
XML bombs and external entities, WARC records whose Content-Length lies, JSONL of the wrong
types, publication dates in year 0 and 9999, URLs with credentials, IDN hosts and 10 KB URLs.

Nothing in it needs the network: every URL that would be fetched is refused before a connection
(a private or metadata address, a scheme we do not fetch, a local file that is missing), and the
IDN hosts only appear where the page came with the record. The same ``seed`` gives the same bytes.

Used by ``tests/pipeline/test_hostile.py`` (at 1,000 inputs) and ``benchmarks/stress.py`` (10x).
"""

from __future__ import annotations

import gzip
import json
import random
import zlib
from pathlib import Path
from typing import Callable

#: Error kinds an input may end with: the vocabulary docs/tables.md documents. Anything else (an
#: ``unexpected_*`` kind above all) is a failure of the hostile-input property.
EXPECTED_KINDS = frozenset(
    {
        "bad_digest",
        "bad_gzip",
        "bad_opml",
        "bad_sitemap",
        "bad_xml",
        "blocked_address",
        "empty",
        "invalid_feed",
        "invalid_json",
        "invalid_record",
        "invalid_url",
        "no_body",
        "no_link",
        "no_text",
        "no_url_column",
        "not_found",
        "not_html",
        "not_text",
        "time_budget",
        "too_complex",
        "too_deep",
        "too_large",
        "truncated_record",
        "truncated_warc",
        "undecodable",
        "unsafe_link",
        "unsupported_language",
    }
)

WORDS = (
    "council minister police river budget election court hospital school harbour storm vote "
    "border factory strike museum railway village senator bank drought festival treaty airport "
    "mayor union farmers judge bridge protest ministry report company prices winter island"
).split()

#: Short stories in scripts other than Latin, for the encodings that can hold them.
SCRIPTS = {
    "cyrillic": "Городской совет утвердил новый бюджет на следующий год после долгих споров.",
    "greek": "Το δημοτικό συμβούλιο ενέκρινε τον νέο προϋπολογισμό μετά από μακρά συζήτηση.",
    "hebrew": "מועצת העיר אישרה את התקציב החדש לשנה הבאה לאחר דיון ארוך.",
    "arabic": "وافق مجلس المدينة على الميزانية الجديدة للعام المقبل بعد نقاش طويل.",
    "japanese": "市議会は長い議論の末、来年度の新しい予算案を承認した。",
    "chinese": "市议会经过长时间讨论后批准了明年的新预算。",
    "korean": "시의회는 오랜 논의 끝에 내년도 새 예산안을 승인했다.",
    "thai": "สภาเมืองอนุมัติงบประมาณใหม่สำหรับปีหน้าหลังจากการอภิปรายที่ยาวนาน",
    "latin": "Le conseil municipal a approuvé le nouveau budget après un long débat à Zürich.",
}

#: Python codecs and the script each can hold; every one is labelled as another in the page.
ENCODINGS = {
    "cp1250": "latin",
    "cp1251": "cyrillic",
    "cp1252": "latin",
    "cp1253": "greek",
    "cp1255": "hebrew",
    "cp1256": "arabic",
    "iso-8859-1": "latin",
    "iso-8859-5": "cyrillic",
    "iso-8859-7": "greek",
    "iso-8859-8": "hebrew",
    "koi8-r": "cyrillic",
    "mac_roman": "latin",
    "shift_jis": "japanese",
    "euc_jp": "japanese",
    "iso2022_jp": "japanese",
    "gb2312": "chinese",
    "gb18030": "chinese",
    "big5": "chinese",
    "euc_kr": "korean",
    "tis-620": "thai",
    "utf-16-le": "latin",
    "utf-16-be": "japanese",
    "utf-32": "cyrillic",
    "utf-8": "arabic",
}

BIDI_AND_INVISIBLE = [
    "\u202e",
    "\u202d",
    "\u2066",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
]

HOSTILE_DATES = [
    "0000-01-01T00:00:00Z",
    "0001-01-01",
    "9999-12-31T23:59:59Z",
    "99999-01-01",
    "-0001-05-05",
    "2024-02-30",
    "2024-13-45T25:61:61+99:00",
    "0000-00-00 00:00:00",
    "1e20",
    "",
    "yesterday-ish",
    "2024-06-01T10:00:00+14:59",
]

HOSTILE_URLS = [
    "https://user:hunter2@news.example.com/story?token=abc123&x=1",
    "https://xn--bcher-kva.example/artikel/1",
    "https://bücher.example/artikel/ä?q=ü",
    "https://пример.испытание/новости/1",
    "https://news.example.com/" + "a" * 10_000,
    "https://news.example.com/?" + "&".join(f"p{i}=v" for i in range(1500)),
    "https://news.example.com/\u202eevil\u200b",
    "https://news.example.com/%00%ff%fe",
    "https://[::1]:8080/x",
    "https://news.example.com:99999/x",
    "https://news.example.com/../../../etc/passwd",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/html,<h1>x</h1>",
    "//news.example.com/no-scheme",
    "not a url at all",
]

#: URLs a URL list may hold: each is refused before any connection is made.
UNFETCHABLE_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://user:secret@10.0.0.1/story?api_key=k",
    "http://127.0.0.1:9/x",
    "http://0x7f.1/x",
    "http://[::1]/x",
    "http://192.168.1.1/" + "b" * 10_000,
    "http://100.64.0.1/carrier-grade",
    "http://224.0.0.1/multicast",
    "http://0.0.0.0/x",
    "ftp://files.example.com/story",
    "gopher://x.example/1",
    "javascript:alert(1)",
    "file:///etc/shadow",
    "mailto:editor@example.com",
    "http://",
    "https://user@/",
    "\x00http://10.1.2.3/x",
    "https://\u202eevil.example/",
]

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
PARAMETER_XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://169.254.169.254/x"> %p;]>'
QUADRATIC = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + "x" * 50_000 + '">]>'


def sentence(rng: random.Random, n: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def story(rng: random.Random, paragraphs: int = 5) -> list[str]:
    return [" ".join(sentence(rng) for _ in range(3)) for _ in range(paragraphs)]


def page(
    rng: random.Random,
    title: str | None = None,
    paragraphs: list[str] | None = None,
    head: str = "",
    date: str | None = None,
    author: str | None = None,
    canonical: str | None = None,
    charset: str | None = "utf-8",
) -> str:
    """A plausible article page, with the parts a test wants to poison."""
    title = title if title is not None else sentence(rng, 6)
    paragraphs = paragraphs if paragraphs is not None else story(rng)
    meta = f'<meta charset="{charset}">' if charset else ""
    if date is not None:
        meta += f'<meta property="article:published_time" content="{date}">'
    if author is not None:
        meta += f'<meta name="author" content="{author}">'
    if canonical is not None:
        meta += f'<link rel="canonical" href="{canonical}">'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head>{meta}<title>{title}</title>{head}</head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def json_ld(value) -> str:
    return f'<script type="application/ld+json">{json.dumps(value)}</script>'


# Each maker returns (file name suffix, bytes). The kinds of input are told by extension.


def html_truncated(rng):
    data = page(rng).encode()
    return ".html", data[: rng.randrange(0, len(data))]


def html_invalid(rng):
    soup = [
        "<p",
        "</div>",
        "<b><i>",
        "</i></b></b>",
        "<<<",
        ">>>",
        "<a href=",
        '"',
        "'",
        "<!--",
        "-->",
        "<![CDATA[",
    ]
    soup += [
        "<script>",
        "</script>",
        "<table><tr><td>",
        "&amp",
        "&#xFFFFFFFF;",
        "&#0;",
        "&bogus;",
        "<?php ?>",
    ]
    parts = [rng.choice(soup) + " " + sentence(rng) for _ in range(rng.randrange(5, 80))]
    return ".html", ("<html><body>" + "".join(parts)).encode()


def html_nested(rng):
    depth = rng.choice([500, 5_000, 50_000, 100_000, 120_000])
    tag = rng.choice(["div", "span", "b", "table", "ul", "blockquote"])
    inner = "".join(f"<p>{p}</p>" for p in story(rng, 3))
    closing = f"</{tag}>" * depth if rng.random() < 0.5 else ""  # half never close
    return (
        ".html",
        f"<html><body>{'<' + tag + '>' * 1}{('<' + tag + '>') * depth}{inner}{closing}</body></html>".encode(),
    )


def html_huge(rng):
    # 50 MB: over the 10 MB page cap, so refused before it is parsed.
    filler = (f"<p>{sentence(rng)}</p>" * 1000).encode()
    return ".html", b"<html><body>" + filler * (50_000_000 // len(filler) + 1)


def html_heavy(rng, choice: int):
    """Under the size cap, but built to make parsers slow or greedy (five kinds)."""
    if choice == 0:
        return ".html", ("<html><body><p>" + "word<br>" * 600_000 + "</p></body></html>").encode()
    if choice == 1:
        return ".html", ("<html><body>" + "<a href='/x'>link text</a> " * 200_000 + "</body></html>").encode()
    if choice == 2:
        return ".html", ("<html><body><p>" + "a" * 3_000_000 + "</p></body></html>").encode()
    if choice == 3:
        deep = "[" * 100_000 + "]" * 100_000
        return ".html", page(rng, head=f'<script type="application/ld+json">{deep}</script>').encode()
    return ".html", page(rng, head=json_ld({"@type": "NewsArticle", "headline": "x" * 2_000_000})).encode()


def html_binary(rng):
    heads = [
        b"\x89PNG\r\n\x1a\n",
        b"PK\x03\x04",
        b"%PDF-1.7\n",
        b"\x7fELF\x02\x01",
        b"\xff\xd8\xff\xe0",
        b"GIF89a",
        b"",
    ]
    return ".html", rng.choice(heads) + rng.randbytes(rng.randrange(0, 20_000))


def html_mislabelled(rng):
    encoding = rng.choice(sorted(ENCODINGS))
    text = SCRIPTS[ENCODINGS[encoding]]
    label = rng.choice([e for e in sorted(ENCODINGS) if e != encoding] + [None, "x-bogus-charset"])
    html = page(rng, title=text[:30], paragraphs=[text * 3] * 4, charset=label)
    return ".html", html.encode(encoding, errors="replace")


def html_invalid_utf8(rng):
    data = bytearray(page(rng).encode())
    junk = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\x80\x80"]
    for _ in range(rng.randrange(1, 50)):
        at = rng.randrange(len(data))
        data[at:at] = rng.choice(junk)
    return ".html", bytes(data)


def html_nul(rng):
    nul = "\x00"
    paragraphs = [p.replace(" ", rng.choice([" ", nul + " ", " " + nul])) for p in story(rng)]
    html = page(rng, title=f"Title{nul}with{nul}nul", paragraphs=paragraphs, author=f"Jane{nul}Doe")
    if rng.random() < 0.3:
        html = nul * 1000 + html
    return ".html", html.encode()


def html_bidi(rng):
    def poison(text: str) -> str:
        return "".join(c + (rng.choice(BIDI_AND_INVISIBLE) if rng.random() < 0.2 else "") for c in text)

    title = poison(sentence(rng, 6))
    paragraphs = [poison(p) for p in story(rng)]
    head = json_ld({"@type": "NewsArticle", "headline": title, "author": {"name": poison("Jane Doe")}})
    canonical = poison("https://news.example.com/story-1")
    return ".html", page(rng, title=title, paragraphs=paragraphs, head=head, canonical=canonical).encode()


def html_empty(rng):
    bodies = [
        b"",
        b"   \n\t ",
        b"<html></html>",
        b"<html><head><title>Only a title</title></head><body></body></html>",
        b"<html><body><script>var x = 1;</script><style>p{}</style></body></html>",
        b"<html><body><article><p>Too short.</p></article></body></html>",
        b"<!-- nothing but a comment -->",
        b"\xef\xbb\xbf",
    ]
    return ".html", rng.choice(bodies)


def html_dates(rng):
    date = rng.choice(HOSTILE_DATES)
    head = json_ld({"@type": "NewsArticle", "datePublished": date, "dateModified": rng.choice(HOSTILE_DATES)})
    return ".html", page(rng, date=date, head=head).encode()


def html_wrong_types(rng):
    values = [5, None, [1, [2, [3]]], {"a": {"b": 1}}, True, 1e308, "x" * 5000, [], {}]
    head = json_ld(
        {
            "@type": rng.choice(["NewsArticle", ["NewsArticle", 5], None, 7]),
            "headline": rng.choice(values),
            "author": rng.choice(values),
            "datePublished": rng.choice(values),
            "publisher": rng.choice(values),
            "@graph": rng.choice(values),
        }
    )
    return ".html", page(rng, head=head).encode()


def html_hostile_urls(rng):
    url = rng.choice(HOSTILE_URLS)
    head = f'<meta property="og:url" content="{url}"><meta property="og:image" content="{rng.choice(HOSTILE_URLS)}">'
    return ".html", page(rng, canonical=url, head=head, author=url).encode()


def html_gzip_bomb(rng):
    return ".html.gz", gzip_bomb(rng.choice([100, 200]) * 1_000_000)


def gzip_bomb(size: int) -> bytes:
    """``size`` bytes of spaces, gzipped to about a thousandth of that."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b" " * 1_000_000
    out = [deflate.compress(b"<html><body>")]
    out += [deflate.compress(block) for _ in range(size // len(block))]
    return b"".join(out) + deflate.flush()


def html_gzip_broken(rng):
    data = gzip.compress(page(rng).encode())
    return ".html.gz", rng.choice([data[: len(data) // 2], b"\x1f\x8b" + rng.randbytes(500), data[:10]])


def text_story(rng):
    choice = rng.randrange(5)
    if choice == 0:
        return ".txt", rng.randbytes(5000)
    if choice == 1:
        return ".txt", b""
    if choice == 2:
        return ".txt", (
            "A headline\n\n" + " ".join(sentence(rng) for _ in range(50)).replace(" ", "\x00 ")
        ).encode()
    if choice == 3:
        return ".txt", ("\u202eHeadline\u200b\n\n" + "\n\n".join(story(rng))).encode("utf-16")
    return ".txt", ("Headline\n\n" + "x" * 2_000_000).encode()


def jsonl_dump(rng):
    values = [None, 5, -1, 1e308, True, [], {}, ["a", 3], {"nested": {"x": 1}}, "", "x" * 20_000]
    lines = []
    for _ in range(rng.randrange(1, 12)):
        kind = rng.randrange(9)
        if kind == 0:
            lines.append("{not json")
        elif kind == 1:
            lines.append(json.dumps([1, 2, 3]))
        elif kind == 2:
            lines.append(json.dumps({"url": rng.choice(values), "html": rng.choice(values)}))
        elif kind == 3:
            lines.append(json.dumps({"url": rng.choice(HOSTILE_URLS), "html": page(rng)}))
        elif kind == 4:
            record = {
                "url": rng.choice(HOSTILE_URLS),
                "title": rng.choice(values),
                "text": "\n\n".join(story(rng)),
            }
            record.update(published=rng.choice(HOSTILE_DATES + values), authors=rng.choice(values))
            record.update(language=rng.choice(values + ["xx-bogus", "en"]))
            lines.append(json.dumps(record))
        elif kind == 5:
            lines.append(json.dumps({"url": "https://news.example.com/nul\x00", "text": "\x00" * 50}))
        elif kind == 6:
            lines.append(json.dumps({"url": "https://news.example.com/big", "text": sentence(rng) * 20_000}))
        elif kind == 7:
            lines.append("\x00\x01\x02 binary garbage \xff")
        else:
            lines.append(json.dumps({"url": "https://news.example.com/x", "html": 12, "text": ["no"]}))
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.1:
        data = b"\xff\xfe" + data  # a BOM of the wrong kind
    return ".jsonl", data


def feed(rng, folder: Path):
    items = []
    for _ in range(rng.randrange(1, 6)):
        link = rng.choice(
            [
                str(folder / f"missing-{rng.randrange(10**9)}.html"),
                "javascript:alert(1)",
                "",
                "http://169.254.169.254/latest/meta-data/",
                rng.choice(UNFETCHABLE_URLS),
            ]
        )
        content = (
            f"<content:encoded><![CDATA[{''.join(f'<p>{p}</p>' for p in story(rng))}]]></content:encoded>"
            if rng.random() < 0.5
            else ""
        )
        items.append(
            f"<item><title>{sentence(rng, 5)}</title><link>{escape(link)}</link>"
            f"<pubDate>{escape(rng.choice(HOSTILE_DATES))}</pubDate>{content}</item>"
        )
    body = (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>F</title>'
        + "".join(items)
        + "</channel></rss>"
    )
    choice = rng.randrange(6)
    if choice == 0:
        body = BILLION_LAUGHS + body.replace("<title>F</title>", "<title>&lol9;</title>")
    elif choice == 1:
        body = XXE + body.replace("<title>F</title>", "<title>&xxe;</title>")
    elif choice == 2:
        body = PARAMETER_XXE + body
    elif choice == 3:
        body = body[: rng.randrange(len(body))]
    elif choice == 4:
        body = QUADRATIC + body.replace("<title>F</title>", "<title>" + "&a;" * 1000 + "</title>")
    return ".rss", body.encode()


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sitemap(rng, folder: Path):
    choice = rng.randrange(5)
    locs = "".join(
        f"<url><loc>{escape(rng.choice(UNFETCHABLE_URLS))}</loc></url>" for _ in range(rng.randrange(1, 5))
    )
    urlset = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    if choice == 0:
        return ".xml", (BILLION_LAUGHS + urlset).encode()
    if choice == 1:
        return ".xml", (XXE + urlset.replace("<loc>", "<loc>&xxe;", 1)).encode()
    if choice == 2:
        return ".xml", ('<?xml version="1.0"?>' + urlset[: rng.randrange(60, len(urlset))]).encode()
    if choice == 3:  # a sitemap index naming itself: followed at most three levels deep
        return ".xml", b""  # filled in by write_corpus, which knows the file's own name
    return ".xml", ('<?xml version="1.0"?>' + urlset).encode()


def opml(rng, folder: Path):
    outlines = "".join(
        f'<outline type="rss" xmlUrl="{escape(rng.choice(UNFETCHABLE_URLS))}"/>'
        for _ in range(rng.randrange(1, 4))
    )
    body = f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}</body></opml>'
    if rng.random() < 0.4:
        body = BILLION_LAUGHS + body[len('<?xml version="1.0"?>') :]
    return ".opml", body.encode()


def url_list(rng, folder: Path):
    lines = [rng.choice(UNFETCHABLE_URLS) for _ in range(rng.randrange(1, 8))]
    return ".txt-urls", "\n".join(lines).encode("utf-8", errors="replace")


def warc(rng):
    """Hand-written WARC bytes, so that the lengths can lie."""
    records = []
    for _ in range(rng.randrange(1, 5)):
        html = page(rng).encode()
        if rng.random() < 0.2:
            html = rng.randbytes(300)
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html
        length = len(http)
        lie = rng.randrange(6)
        declared = {0: str(length), 1: str(length + 500), 2: str(max(0, length - 50)), 3: "abc", 4: "-5"}.get(
            lie, str(10**12)
        )
        url = rng.choice(HOSTILE_URLS[:10])
        head = (
            f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n"
            f"WARC-Date: {rng.choice(['2026-11-20T10:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T00:00:00Z', 'bogus'])}\r\n"
            f"WARC-Record-ID: <urn:uuid:{rng.randrange(10**12):032x}>\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {declared}\r\n\r\n"
        )
        records.append(head.encode("utf-8") + http + b"\r\n\r\n")
    data = b"".join(records)
    if rng.random() < 0.3:
        data += rng.randbytes(rng.randrange(1, 2000))
    return ".warc", data


#: name → (maker, share of the corpus). Makers that need the folder take it as a second argument.
MAKERS: dict[str, tuple[Callable, float]] = {
    "html_truncated": (html_truncated, 0.08),
    "html_invalid": (html_invalid, 0.07),
    "html_nested": (html_nested, 0.03),
    "html_binary": (html_binary, 0.05),
    "html_mislabelled": (html_mislabelled, 0.10),
    "html_invalid_utf8": (html_invalid_utf8, 0.05),
    "html_nul": (html_nul, 0.04),
    "html_bidi": (html_bidi, 0.04),
    "html_empty": (html_empty, 0.04),
    "html_dates": (html_dates, 0.06),
    "html_wrong_types": (html_wrong_types, 0.05),
    "html_hostile_urls": (html_hostile_urls, 0.05),
    "html_gzip_broken": (html_gzip_broken, 0.02),
    "text": (text_story, 0.04),
    "jsonl": (jsonl_dump, 0.06),
    "feed": (feed, 0.06),
    "sitemap": (sitemap, 0.03),
    "opml": (opml, 0.02),
    "url_list": (url_list, 0.03),
    "warc": (warc, 0.06),
}
#: Expensive makers, a fixed number per 1,000 inputs rather than a share.
RARE = {"html_huge": (html_huge, 1), "html_gzip_bomb": (html_gzip_bomb, 2), "html_heavy": (html_heavy, 5)}


def write_corpus(folder: Path, size: int = 1000, seed: int = 7) -> dict[str, int]:
    """Write at least ``size`` hostile input files under ``folder``; returns files per maker."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[str, Callable]] = []
    for name, (maker, share) in MAKERS.items():
        plan += [(name, maker)] * max(1, round(share * size))
    for name, (maker, per_thousand) in RARE.items():
        plan += [(name, maker)] * max(1, per_thousand * size // 1000)
    while len(plan) < size:
        plan.append(("html_mislabelled", html_mislabelled))
    made: dict[str, int] = {}
    for index, (name, maker) in enumerate(plan):
        args = (rng, folder) if maker in (feed, sitemap, opml, url_list) else (rng,)
        if maker is html_heavy:
            args = (rng, made.get(name, 0) % 5)
        suffix, data = maker(*args)
        stem = f"{index:05d}-{name}"
        if suffix == ".txt-urls":  # a URL list: sniffed, so it needs a neutral extension
            path = folder / f"{stem}.urls"
        else:
            path = folder / f"{stem}{suffix}"
        if name == "sitemap" and not data:
            data = (
                f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{path}</loc></sitemap></sitemapindex>"
            ).encode()
        path.write_bytes(data)
        made[name] = made.get(name, 0) + 1
    return made


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    counts = write_corpus(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
    print(f"{sum(counts.values())} files under {target}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
