"""Reading and cleaning documents: what the seeds contain, and files that cannot be read."""

from __future__ import annotations

import logging

import pytest

from qa.errors import QAError
from qa.readers.plain import clean
from qa.text.documents import find_files, read_folder, title_of
from tests.conftest import SEEDS


def test_clean_strips_markdown_html_entities_and_table_tabs():
    raw = "\n\n**BOLD HEADING  \nSECOND LINE**\n\n<p>Cell one &amp; more</p>\t<p><i>Cell two</i></p>\n*   bullet"
    assert clean(raw) == "BOLD HEADING SECOND LINE\n\nCell one & more\n\nCell two\n\n• bullet"


def test_clean_drops_paragraphs_without_letters_and_keeps_quotes_and_pounds():
    assert clean("Title\n\n-\n\nIt cost £100 ‘outstanding’.") == "Title\n\nIt cost £100 ‘outstanding’."


def test_seed_documents_read_clean():
    docs = list(read_folder(SEEDS))
    assert [d.id for d in docs] == sorted(p.name for p in SEEDS.iterdir())
    for d in docs:
        assert "**" not in d.text and "<p>" not in d.text and "<i>" not in d.text and "\t" not in d.text
        assert not d.text.startswith(("\n", " ")), d.id
    by_id = {d.id: d for d in docs}
    # Not the inspectorate's banner that opens it: the heading of capitals that says what it is.
    assert (
        by_id["002_59c356561a19db13.txt"].title == "RESPONSE OF DAVID KEANE, POLICE & CRIME COMMISSIONER FOR CHESHIRE"
    )
    # A first line of capitals with no second one stays the title.
    assert by_id["003_666e703430145ad0.txt"].title.startswith("RESPONSE OF THE POLICE AND CRIME COMMISSIONER")
    assert "£100 and £200 million" in by_id["000_29b695066cafc06c.txt"].text


def test_a_letterhead_banner_gives_way_to_the_heading_that_names_the_document():
    letter = "ACME WATER BOARD\n\nAnnual review of the reservoirs\n\nRESPONSE OF THE CHAIR\n\nWe thank the reviewers."
    assert title_of(letter, "x") == "RESPONSE OF THE CHAIR"
    # Once the body has begun, later capitals are not a title.
    body = "ACME WATER BOARD\n\nThe board met on Tuesday and agreed the budget.\n\nAPPENDIX A"
    assert title_of(body, "x") == "ACME WATER BOARD"
    assert title_of("Plain first line\n\nTEXT IN CAPITALS", "x") == "Plain first line"


def test_title_falls_back_to_file_name_and_is_shortened():
    assert title_of("", "report") == "report"
    long = "word " * 100
    assert title_of(long, "x").endswith("…") and len(title_of(long, "x")) <= 161


def test_binary_and_empty_files_are_skipped_with_a_warning_naming_them(tmp_path, caplog):
    (tmp_path / "good.txt").write_text("A real document. It has sentences.", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "empty.md").write_text("  \n\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        docs = list(read_folder(tmp_path))
    assert [d.id for d in docs] == ["good.txt"]
    assert "binary.txt" in caplog.text and "binary" in caplog.text
    assert "empty.md" in caplog.text and "empty" in caplog.text


def test_missing_or_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(QAError, match="documents folder not found"):
        find_files(tmp_path / "nope")
    with pytest.raises(QAError, match="no documents in"):
        find_files(tmp_path)
    (tmp_path / "notes.xyz").write_text("x")
    with pytest.raises(QAError, match=r"supported: \.docx, \.htm, \.html, \.markdown, \.md, \.pdf, \.txt"):
        find_files(tmp_path)


def test_hidden_files_are_not_documents(tmp_path):
    (tmp_path / ".hidden.txt").write_text("secret")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "note.md").write_text("# Note\n\nText here.")
    assert [p.relative_to(tmp_path).as_posix() for p in find_files(tmp_path)] == ["sub/note.md"]
