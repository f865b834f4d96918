"""The document view: a PDF's cited page found and drawn, the sentence's place on it found by its
letters, other formats marked by page or paragraph as the citations name them."""

from __future__ import annotations

from qa.app.document_view import document_html
from qa.app.page_images import find_span, find_spans, page_image
from qa.records import Document, Hit, Passage
from tests.files import CUT_SENTENCE, PAGE_FACTS, make_pdf, make_table_pdf


def test_a_sentence_is_found_on_its_page_whatever_the_spaces_hyphens_and_case():
    page = "Harbour works\nThe har-\nbour wall was REBUILT  in 1991 by the engineers."
    start, end = find_span(page, "The harbour wall was rebuilt in 1991 by the engineers.")
    assert page[start:end] == "The har-\nbour wall was REBUILT  in 1991 by the engineers"
    assert find_span(page, "The ferry to Greyhaven carried 48,000 passengers.") is None
    assert find_span("", "anything") is None and find_span(page, "") is None


def test_a_table_row_is_found_by_its_values_and_its_boxes_mark_that_row_only(tmp_path):
    page = "Quarter Tonnes Arrests\nApril to June 1,120 12\nJuly to\nSeptember 401 97"
    row = "Quarter: July to September; Tonnes: 401; Arrests: 97"
    assert [page[a:b] for a, b in find_spans(page, row)] == ["July to\nSeptember", "401", "97"]
    assert find_spans(page, "Quarter: May; Tonnes: 7; Arrests: 5") == []  # not on this page
    image = page_image(str(make_table_pdf(tmp_path / "seizures.pdf")), 1, "Quarter: July to September 2024; "
                       "Cocaine (kg): 401; Cannabis (kg): 1,310; Firearms: 97")  # fmt: skip
    tops = {round(top, 3) for _, top, _, _ in image.boxes}
    assert len(image.boxes) == 4 and max(tops) - min(tops) < 0.005  # four values on one line: the row


def test_a_sentence_cut_by_a_page_break_is_found_by_its_part_on_each_page():
    whole = " ".join(CUT_SENTENCE)
    start, end = find_span(f"Ferry services. {CUT_SENTENCE[0]}\nPage 2 of 4", whole)  # its head on page 2
    assert f"Ferry services. {CUT_SENTENCE[0]}"[start:end] == CUT_SENTENCE[0]
    start, end = find_span(f"{CUT_SENTENCE[1]}\nWater supply", whole)  # its tail on page 3
    assert f"{CUT_SENTENCE[1]}\nWater supply"[start:end] == CUT_SENTENCE[1].rstrip(".")


def test_a_pdf_page_is_rendered_with_the_boxes_of_its_sentence(tmp_path):
    pdf = make_pdf(tmp_path / "report.pdf")
    image = page_image(str(pdf), 2, PAGE_FACTS[2])
    assert image.number == 2 and image.data_url.startswith("data:image/png;base64,")
    assert image.boxes and all(0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 and 0 < h < 0.1 for x, y, w, h in image.boxes)
    # On page 1 the sentence is not there: the page, and no box.
    assert page_image(str(pdf), 1, PAGE_FACTS[2]).boxes == ()
    # No file, another format, a page it does not have: None, and the text view is shown instead.
    assert page_image(str(tmp_path / "gone.pdf"), 1) is None
    assert page_image(str(pdf), 9) is None
    notes = tmp_path / "notes.txt"
    notes.write_text("text")
    assert page_image(str(notes), 1) is None


def test_a_text_document_marks_each_paragraph_as_its_citation_names_it():
    text = "First paragraph.\n\nSecond one, cited.\n\nThird."
    doc = Document(id="notes.txt", title="NOTES ON THE HARBOUR", text=text, sha256="x")
    start = text.index("Second")
    p = Passage(doc.id, start, start + 18, text[start : start + 18], 2, ((start, start + 18),))
    hit = Hit(p, 1.0, doc.title, rank=1, answer_start=start, answer_end=start + 18)
    html = document_html(doc, hit)
    assert hit.location == "paragraph 2"
    assert '<span class="para-mark">¶ 2</span><mark class="answer">' in html  # the mark the card's place names
    assert html.count('class="para-mark"') == 3 and "page-image" not in html


def test_a_cited_pdf_page_can_be_paged_and_zoomed_and_only_the_cited_page_is_marked(tmp_path):
    from qa.text.documents import read_document

    doc = read_document(make_pdf(tmp_path / "report.pdf"), tmp_path)
    start = doc.text.index(PAGE_FACTS[2])
    end = start + len(PAGE_FACTS[2])
    p = Passage(doc.id, start, end, doc.text[start:end], 1, ((start, end),), page=2, last_page=2)
    hit = Hit(p, 1.0, doc.title, rank=1, answer_start=start, answer_end=end)
    cited = document_html(doc, hit, cited="3-1")
    assert "Page 2 of 4 · cited page" in cited and 'class="highlight"' in cited
    assert 'href="#page-3-1-1">‹ Previous' in cited and 'href="#page-3-1-3">Next ›' in cited
    assert 'class="zoom-toggle"' in cited
    other = document_html(doc, hit, cited="3-1", page=4)
    assert "Page 4 of 4" in other and 'data-page="4"' in other and 'class="highlight"' not in other
    assert 'href="#page-3-1-2">back to the cited page 2' in other
    assert '<span class="page-link off">Next ›</span>' in other  # no page 5
