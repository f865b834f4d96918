"""Sentence boundaries: abbreviations and numbers of the kind the seeds contain."""

from __future__ import annotations

import pytest

from qa.text.sentences import paragraphs, sentences


def split(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HMIC's report was clear. It rated TITAN well.", ["HMIC's report was clear.", "It rated TITAN well."]),
        ("Drugs worth £100 to £200 million. Then more.", ["Drugs worth £100 to £200 million.", "Then more."]),
        (
            "During the past 12 months (November 22-23), it did 5900 disruptions. We safeguarded 300.",
            ["During the past 12 months (November 22-23), it did 5900 disruptions.", "We safeguarded 300."],
        ),
        ("It starts Nov. 22 at Mt. Snowdon. Bring boots.", ["It starts Nov. 22 at Mt. Snowdon.", "Bring boots."]),
        ("We meet at 5 p.m. on Friday. Be there.", ["We meet at 5 p.m. on Friday.", "Be there."]),
        ("We meet at 5 p.m. The hall is booked.", ["We meet at 5 p.m.", "The hall is booked."]),
        ("Signed by D. Keane and Mr. Smith. Done.", ["Signed by D. Keane and Mr. Smith.", "Done."]),
        (
            "It grew 2.5 per cent, i.e. a lot. “We are proud.” Yes!",
            ["It grew 2.5 per cent, i.e. a lot.", "“We are proud.”", "Yes!"],
        ),
        ("The U.K. Government agreed. The end", ["The U.K. Government agreed.", "The end"]),
    ],
)
def test_sentence_boundaries(text, expected):
    assert split(text) == expected


def test_sentences_never_cross_paragraphs_and_offsets_are_exact():
    text = "First para. Still first\n\nSecond para.\n\n\nThird"
    spans = sentences(text)
    assert [text[a:b] for a, b in spans] == ["First para.", "Still first", "Second para.", "Third"]
    assert [text[a:b] for a, b in paragraphs(text)] == ["First para. Still first", "Second para.", "Third"]
