"""Questions about the seeds: the right document first, an answer sentence with the expected words."""

from __future__ import annotations

import pytest

from qa.answering.answers import answer, check_question
from qa.errors import QAError
from qa.settings import Settings

# (question, expected document, words the answer sentence must contain)
SEED_QUESTIONS = [
    ("What rating did the North West ROCU receive?", "001_3f8c2f727cca616f.txt", ["outstanding"]),
    ("How many years in prison have TITAN investigations produced?", "000_29b695066cafc06c.txt", ["2,000 years"]),
    (
        "Which operation saw 30 criminals from Glasgow and Liverpool sentenced?",
        "000_29b695066cafc06c.txt",
        ["Blenheim"],
    ),
    ("Who is the Police and Crime Commissioner for Cheshire?", "002_59c356561a19db13.txt", ["DAVID KEANE"]),
    ("How many disruptions did the NWROCU carry out in the past 12 months?", "001_3f8c2f727cca616f.txt", ["5900"]),
    ("How many vulnerable children and adults were safeguarded?", "001_3f8c2f727cca616f.txt", ["300"]),
    (
        "What does the Wiltshire PCC say is a barrier to the progress of the ROCU network?",
        "003_666e703430145ad0.txt",
        ["funding"],
    ),
    ("When should sustainable funding be delivered?", "003_666e703430145ad0.txt", ["2022/23"]),
    ("How many ROCUs did HMIC inspect in spring 2015?", "004_85a5cf008e6fc99c.txt", ["ten"]),
    ("When will the plan be presented to the NWROCU Management Board?", "002_59c356561a19db13.txt", ["20th May 2021"]),
    # Worded as people ask: an abbreviation the documents spell out, a possessive.
    ("Who is the PCC for Cheshire?", "002_59c356561a19db13.txt", ["KEANE"]),
    ("Who is Merseyside's chief constable?", "001_3f8c2f727cca616f.txt", ["Serena Kennedy"]),
]


@pytest.mark.parametrize(("question", "doc", "words"), SEED_QUESTIONS)
def test_seed_question_finds_its_document_and_answer_sentence(seeds_index, question, doc, words):
    result = answer(question, seeds_index, k=5)
    assert result.hits[0].passage.doc_id == doc
    assert not result.abstained and 0 < result.confidence <= 1
    for word in words:
        assert word.lower() in result.text.lower(), (question, result.text)
    best = result.best
    assert best.passage.start <= best.answer_start < best.answer_end <= best.passage.end
    assert seeds_index.documents[best.passage.doc_id].text[best.answer_start : best.answer_end] == result.text


def test_the_pcc_for_cheshire_is_not_answered_by_a_short_merseyside_signature(seeds_index):
    # Once answered with "Jane Kennedy, Police and Crime Commissioner for Merseyside PCC Lead ...": a
    # 91-character line that won on being short and on "PCC", without the word "Cheshire".
    result = answer("Who is the PCC for Cheshire?", seeds_index, k=5)
    assert "Jane Kennedy" not in result.text and "Cheshire".lower() in result.hits[0].passage.text.lower()


@pytest.mark.parametrize(
    "question",
    [
        "What is the boiling point of mercury in kelvin?",
        "What is the capital of Australia?",
        "How do I bake sourdough bread at home?",
    ],
)
def test_off_topic_questions_are_declined_but_still_show_passages(seeds_index, question):
    result = answer(question, seeds_index, k=3)
    assert result.abstained and len(result.hits) == 3
    assert result.confidence_words == "not found" and result.to_dict()["confidence"] < 0.5


NEAR_TOPIC = pytest.mark.xfail(
    strict=True,
    reason="known weakness: every word of it is in one passage, and the reader (qa.answering.reader) still reads a "
    "sentence there as answering it",
)


@pytest.mark.parametrize(
    "question",
    [
        # Declined since the reader met near-topic questions in training (a known weakness before); the
        # two "who" questions sit either side of the threshold (0.29 and 0.44 against 0.38): one of them
        # is still answered, and which one has moved with refits.
        "Who is the Chief Constable of Cheshire?",
        pytest.param("Who is the PCC for Dorset?", marks=NEAR_TOPIC),
        # A year no passage holds: the number the question turns on is missing.
        "How many arrests did the NWROCU make in 2019?",
    ],
)
def test_near_topic_questions_the_documents_do_not_answer_are_declined(seeds_index, question):
    # The documents name Dorset as a lead force and Cheshire's PCC; never Dorset's PCC nor Cheshire's
    # chief constable, and no NWROCU figures for 2019.
    assert answer(question, seeds_index, k=5).abstained


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_every_mode_keeps_the_same_contract(seeds_index, mode):
    """What every retrieval mode must return: ranked hits, scores in order, answers inside passages, [0, 1] confidence."""
    result = answer("How many disruptions did the NWROCU carry out?", seeds_index, k=4, mode=mode)
    assert [h.rank for h in result.hits] == [1, 2, 3, 4]
    assert len({(h.passage.doc_id, h.passage.start) for h in result.hits}) == 4
    for hit in result.hits:
        p = hit.passage
        assert p.start <= hit.answer_start < hit.answer_end <= p.end
        assert hit.answer_start <= hit.span_start < hit.span_end <= hit.answer_end
        assert 0 <= hit.answer_score <= 1 and -1 <= hit.similarity <= 1
        assert seeds_index.documents[p.doc_id].text[p.start : p.end] == p.text
    assert 0 <= result.confidence <= 1
    assert result.best is result.hits[0] and "5900" in result.text
    restricted = answer("chief officers", seeds_index, k=3, mode=mode, doc_ids=["002_59c356561a19db13.txt"])
    assert {h.passage.doc_id for h in restricted.hits} == {"002_59c356561a19db13.txt"}


def test_answer_json_has_question_answer_confidence_and_hits(seeds_index):
    d = answer("Who is the Police and Crime Commissioner for Cheshire?", seeds_index, k=2).to_dict()
    assert d["question"].startswith("Who is") and len(d["hits"]) == 2
    assert d["answer"]["doc_id"] == "002_59c356561a19db13.txt"
    assert 0 <= d["confidence"] <= 1 and d["confidence_words"] in ("high", "medium")
    assert {"rank", "score", "doc_id", "title", "paragraph", "start", "end", "text", "answer"} <= set(d["hits"][0])


def test_bad_questions_and_k_are_refused(seeds_index):
    with pytest.raises(QAError, match="empty"):
        check_question(" \n\t ")
    with pytest.raises(QAError, match="1001 characters long, over the limit of 1000"):
        check_question("x" * 1001)
    with pytest.raises(QAError, match="k=0 is out of range"):
        answer("a question", seeds_index, k=0)
    assert check_question("  why?  ", Settings()) == "why?"


@pytest.mark.parametrize(
    ("question", "sentence", "span"),
    [
        (
            "How many disruptions did the NWROCU carry out in the past 12 months?",
            "During the past 12 months (November 22-23), the NWROCU carried out more than 5900 disruptions.",
            "more than 5900",  # the number followed by what is counted, not the 12 of the question
        ),
        (
            "How many years in prison have TITAN investigations produced?",
            "In the past 6 years criminals have received a total of 2,000 years in prison sentences.",
            "2,000",  # both are years; "in prison" stands beside this one
        ),
        (
            "When did David Keane sign his response?",
            "David Keane Police & Crime Commissioner 27th April 2021",
            "27th April 2021",
        ),
        ("What year was the inspection?", "HMIC inspected all ten ROCUs in spring 2015.", "2015"),
        # Dates as texts write them: ranges, centuries, eras and times before now, whole (the span
        # measured 0.667 precise on squad-dev when these were cut to "000" or "11th centuries"; 0.863 now).
        ("When did the fort stand?", "The fort stood in the 10th and 11th centuries.", "10th and 11th centuries"),
        ("When was the canal used?", "From 1421 to 1904 the canal carried barges.", "1421 to 1904"),
        ("When did the ice retreat?", "The ice began to retreat some 22,000 years ago.", "22,000 years ago"),
        ("When was the valley forested?", "The valley was forested by 9000 BP.", "9000 BP"),
        ("When were the dykes built?", "Dykes were built in the 11–13th century AD.", "11–13th century AD"),
        # A table row names what a number counts by its column.
        (
            "How many firearms were seized between July and September 2024?",
            "Quarter: July to September 2024; Cocaine (kg): 401; Cannabis (kg): 1,310; Firearms: 97",
            "97",
        ),
        # Times of day, as a table row reads ("header: value").
        ("When does the library close on Fridays?", "Day: Friday; Closing time: 19:30", "19:30"),
        ("What time does the ferry leave?", "The ferry leaves at 7.30 pm from the north quay.", "7.30 pm"),
        ("When does the ferry leave?", "The ferry costs 7.30 pounds.", None),  # a price, not a time
        (
            "Who is the Chief Constable?",
            "Serena Kennedy, Chief Constable of Merseyside Police said:",
            None,
        ),  # names: not measured well
        ("How many ROCUs are there?", "There are many ROCUs.", None),  # no number in the sentence
        # A number in bold is a number of what is asked: the firearms were not counted, the people were.
        (
            "How many firearms did the NWROCU seize?",
            "We safeguarded almost 300 vulnerable children and adults and jailed criminals for firearms offences.",
            None,
        ),
        (
            "How many vulnerable children did they safeguard?",
            "We safeguarded almost 300 vulnerable children and adults and jailed criminals for firearms offences.",
            "almost 300",
        ),
    ],
)
def test_answer_span(question, sentence, span):
    from qa.answering.spans import answer_span
    from qa.text.reading import content_words

    found = answer_span(question, sentence, content_words(question))
    assert (sentence[found[0] : found[1]] if found else None) == span
