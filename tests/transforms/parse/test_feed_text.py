"""A feed item's own text (RSS ``content:encoded``, Atom ``content``) read as a page's is: every
piece of text kept, blocks and ``<br>`` separating lines, through the real feed reader."""

import feedparser
import pytest

from newsbeam.transforms.parse.body import fragment_text
from newsbeam.transforms.read.feeds import records_from_feed


@pytest.mark.parametrize(
    "html, text",
    [
        # The lead before a list used to be dropped: only the <li>s were read.
        (
            "Lead sentence here.<ul><li>one</li><li>two</li></ul>",
            "Lead sentence here.\n\none\n\ntwo",
        ),
        # A <br> ends a line: "v.2.11" no longer runs into the next word.
        ("Released v.2.11<br>Now with X", "Released v.2.11\nNow with X"),
        (
            "Released v.2.11<br/>Now with X<br /><br />Fixes follow.",
            "Released v.2.11\nNow with X\n\nFixes follow.",
        ),
        # Text directly in a container, in a div, and after a block (its tail) is all kept.
        (
            "<div>Intro in a div.<p>A paragraph.</p>Text after it.</div>After the div.",
            "Intro in a div.\n\nA paragraph.\n\nText after it.\n\nAfter the div.",
        ),
        (
            "<section><h2>Costs</h2>Fourteen million pounds.<hr>Spent over two years.</section>",
            "Costs\n\nFourteen million pounds.\n\nSpent over two years.",
        ),
        # Nested blocks give their text once.
        (
            "<blockquote><p>Quoted words.</p></blockquote><div><div><p>Deep <em>down</em>.</p></div></div>",
            "Quoted words.\n\nDeep down.",
        ),
        (
            "<ul><li>Outer item<ul><li>inner item</li></ul></li></ul>",
            "Outer item\n\ninner item",
        ),
        # Inline elements never split a word; whitespace in a line is one space.
        (
            '<p>Now with <b>bold</b>ness and <a href="/x">link</a>s,\n   <span>spread</span>\tout.</p>',
            "Now with boldness and links, spread out.",
        ),
        # Figures, captions, definition lists and table rows are paragraphs; cells stay apart.
        (
            '<figure><img src="a.jpg" alt="x"><figcaption>The bridge in 2022.</figcaption></figure>'
            "<dl><dt>Cost</dt><dd>14m</dd></dl><table><tr><th>Year</th><th>Trips</th></tr>"
            "<tr><td>2023</td><td>1.2m</td></tr></table>",
            "The bridge in 2022.\n\nCost\n\n14m\n\nYear Trips\n\n2023 1.2m",
        ),
        # A <pre> keeps its line breaks.
        ("<pre>pip install newsbeam\nnewsbeam run</pre>", "pip install newsbeam\nnewsbeam run"),
        # Code, styles and fallbacks are not text; the text after a comment is.
        (
            "<p>Before.</p><script>var x = 1;</script><style>p { color: red }</style>"
            "<noscript>Enable JavaScript.</noscript><template><p>Hidden.</p></template>"
            "<p>After<!-- a comment --> it.</p>",
            "Before.\n\nAfter it.",
        ),
        ("plain words, no tags", "plain words, no tags"),
        ("Fish &amp; chips&nbsp;at&#160;noon", "Fish & chips at noon"),
    ],
)
def test_fragment_text_keeps_every_piece_of_text_and_separates_blocks_and_lines(html, text):
    assert fragment_text(html) == text


@pytest.mark.parametrize("html", [None, "", "   \n\t", "<p></p><br><div> </div>", "<!-- only a comment -->"])
def test_an_empty_fragment_has_no_text(html):
    assert fragment_text(html) == ""


def test_the_wordpress_footer_is_dropped_but_a_sentence_like_it_in_a_paragraph_is_kept():
    html = (
        "<p>The lock gates reopen in spring.</p>"
        '<p>The post <a href="https://h.example/locks">Lock gates reopen</a> appeared first on '
        '<a href="https://h.example">Harbour News</a>.</p>'
    )
    assert fragment_text(html) == "The lock gates reopen in spring."
    kept = "<p>Harbour News said so. The post Lock gates reopen appeared first on Harbour News.</p>"
    assert (
        fragment_text(kept)
        == "Harbour News said so. The post Lock gates reopen appeared first on Harbour News."
    )


ATOM_XHTML = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Tool releases</title><id>urn:uuid:60a76c80</id><updated>2024-05-02T09:00:00Z</updated>
  <entry>
    <title>Tool 2.11 released</title>
    <link href="https://tools.example/releases/2.11"/>
    <id>urn:uuid:1225c695</id><updated>2024-05-02T09:00:00Z</updated>
    <content type="xhtml">
      <div xmlns="http://www.w3.org/1999/xhtml">
        The 2.11 release is out today.
        <ul><li>Faster builds</li><li>A <code>--quiet</code> flag</li></ul>
        Released v.2.11<br/>Now with Python 3.13 wheels.
        <p>Thanks to <a href="https://tools.example/people">everyone</a> who tested it.</p>
      </div>
    </content>
  </entry>
</feed>"""


def test_an_atom_items_xhtml_content_reads_as_text():
    (record,) = records_from_feed(ATOM_XHTML, "https://tools.example/releases.atom")
    assert fragment_text(record.feed_html) == (
        "The 2.11 release is out today.\n\nFaster builds\n\nA --quiet flag\n\n"
        "Released v.2.11\nNow with Python 3.13 wheels.\n\nThanks to everyone who tested it."
    )


RSS_WORDPRESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Harbour News</title><link>https://harbour.example</link><language>en-GB</language>
  <item>
    <title>Bridge reopens</title>
    <link>https://harbour.example/2024/05/bridge-reopens/</link>
    <dc:creator><![CDATA[Ann Lee]]></dc:creator>
    <pubDate>Tue, 14 May 2024 08:30:00 +0000</pubDate>
    <description><![CDATA[The old swing bridge will reopen to traffic next month. [&#8230;]]]></description>
    <content:encoded><![CDATA[
<p>The harbour authority said on Tuesday that the old swing bridge will reopen next month.</p>
<figure class="wp-block-image"><img src="https://harbour.example/bridge.jpg" alt=""/>
<figcaption class="wp-element-caption">The bridge in 2022</figcaption></figure>
The work cost &pound;14m:
<ul class="wp-block-list"><li>a new deck</li><li>new machinery</li></ul>
<script async src="https://platform.example/widgets.js"></script>
<p>The post <a href="https://harbour.example/2024/05/bridge-reopens/">Bridge reopens</a> appeared first on <a href="https://harbour.example">Harbour News</a>.</p>
]]></content:encoded>
  </item>
  <item>
    <title>Ferry timetable</title>
    <link>https://harbour.example/2024/05/ferry/</link>
    <content:encoded>&lt;p&gt;Ferries run every &lt;b&gt;20&lt;/b&gt; minutes.&lt;br&gt;Night sailings v.2&lt;br&gt;start in June.&lt;/p&gt;</content:encoded>
  </item>
  <item>
    <title>Teaser only</title>
    <link>https://harbour.example/2024/05/teaser/</link>
    <description>&lt;p&gt;Lead of the story.&lt;/p&gt;More in &lt;em&gt;the&lt;/em&gt;paper.&lt;br/&gt;Today.</description>
  </item>
</channel>
</rss>"""


def test_an_rss_items_content_encoded_in_cdata_reads_as_text_without_script_or_footer():
    story, _, _ = records_from_feed(RSS_WORDPRESS, "https://harbour.example/feed/")
    assert fragment_text(story.feed_html) == (
        "The harbour authority said on Tuesday that the old swing bridge will reopen next month.\n\n"
        "The bridge in 2022\n\nThe work cost £14m:\n\na new deck\n\nnew machinery"
    )


def test_an_rss_items_escaped_html_reads_as_text():
    _, ferry, teaser = records_from_feed(RSS_WORDPRESS, "https://harbour.example/feed/")
    assert (
        fragment_text(ferry.feed_html) == "Ferries run every 20 minutes.\nNight sailings v.2\nstart in June."
    )
    # A <description> is a teaser, not the story: the reader leaves feed_html empty, but its
    # escaped HTML, as feedparser unescapes it, reads the same way.
    assert teaser.feed_html is None
    summary = feedparser.parse(RSS_WORDPRESS).entries[2].summary
    assert fragment_text(summary) == "Lead of the story.\n\nMore in thepaper.\nToday."
