"""Every format read from real files made here: pages, sections, titles, encodings, and files that cannot be read."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.text.documents import read_document, read_folder
from qa.text.passages import split_passages
from tests.files import (
    BOILERPLATE,
    CUT_SENTENCE,
    HEADER,
    HTML_PAGE,
    PAGE_FACTS,
    damage_page,
    make_docx,
    make_encrypted_pdf,
    make_pdf,
    make_scanned_pdf,
)

MARKDOWN = """# Reservoir report

Written by the **water board** with [a map](http://example.org/map.png) and `code`.

## Plans for 2026

### Reservoirs

| Reservoir | Capacity |
|---|---|
| Upper Moor | 1.2 million m3 |

- Drain the upper reservoir in June.
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One folder with a file of each format, and the files each reader must refuse."""
    root = tmp_path_factory.mktemp("formats")
    make_pdf(root / "report.pdf")
    make_docx(root / "guide.docx")
    (root / "walks.html").write_text(HTML_PAGE, encoding="utf-8")
    (root / "reservoirs.md").write_text(MARKDOWN, encoding="utf-8")
    (root / "notes-utf16.txt").write_bytes("Naïve notes: the café opened in 2019.".encode("utf-16"))
    (root / "notes-1252.txt").write_bytes("The “Quay Café” charged €4 for tea.".encode("cp1252"))
    make_scanned_pdf(root / "scan.pdf")
    make_encrypted_pdf(root / "locked.pdf", user_password="secret")
    (root / "truncated.pdf").write_bytes((root / "report.pdf").read_bytes()[:1500])
    (root / "not-a-zip.docx").write_bytes(b"This was renamed from a .txt file.")
    (root / "setup_tool.pdf").write_bytes(b"MZ\x90\x00 a program renamed .pdf" + bytes(2000))
    return root


def _doc(folder: Path, name: str):
    return read_document(folder / name, folder)


def test_pdf_text_knows_its_pages_without_headers_footers_or_line_end_hyphens(folder):
    doc = _doc(folder, "report.pdf")
    assert doc.title == "Annual Report of Porthen Council"  # from the PDF's metadata
    assert [number for _, number in doc.pages] == [1, 2, 3, 4]
    starts = dict((number, offset) for offset, number in doc.pages)
    for number, fact in PAGE_FACTS.items():
        at = doc.text.index(fact)
        assert starts[number] <= at < starts.get(number + 1, len(doc.text)), number
    # The running header and the "Page n of 4" footer are on every page, and in no paragraph.
    assert HEADER not in doc.text and "of 4" not in doc.text
    assert "reconstruction of the slipway" in doc.text and "re-" not in doc.text
    # The sentence cut by the page break is one sentence again, and page 3 begins inside it.
    whole = " ".join(CUT_SENTENCE)
    assert whole in doc.text
    assert doc.text.index(whole) < starts[3] < doc.text.index(whole) + len(whole)
    # No heading is marked in a PDF's text: chapter titles are found by their shape.
    assert [h for _, _, h in doc.headings] == ["Harbour works", "Ferry services", "Water supply", "Coastal fund"]


def test_pdf_passages_cite_their_page_and_both_pages_across_a_break(folder, embedder):
    doc = _doc(folder, "report.pdf")
    passages = split_passages(doc, embedder.count_tokens, target_tokens=64)
    for number, fact in PAGE_FACTS.items():
        holder = next(p for p in passages if fact in p.text)
        assert holder.page <= number <= holder.last_page, (number, holder.pages_label)
    spanning = next(p for p in passages if " ".join(CUT_SENTENCE) in p.text)
    assert (spanning.page, spanning.last_page, spanning.pages_label) == (2, 3, "pp. 2–3")
    # A sentence is cited on its own pages: the cut one on both, one before the break on page 2 alone.
    cut_at = doc.text.index(CUT_SENTENCE[0])
    assert spanning.location_of(cut_at, cut_at + len(" ".join(CUT_SENTENCE))) == "pp. 2–3, Ferry services"
    assert spanning.location_of(spanning.start, spanning.start + 10) == "p. 2, Ferry services"
    ferry = next(p for p in passages if PAGE_FACTS[2] in p.text)
    assert ferry.section == "Ferry services" and ferry.location.startswith("p. 2, Ferry services")


def test_a_pdf_heading_that_wraps_onto_two_lines_stays_one_heading():
    from qa.readers.pdf import _paragraphs

    prose = "The harbour handled more cargo than in any year before, and ferry services ran on 361 days of the"
    lines = ["Greyhaven Harbour Annual", "Review 2025", prose, "year.", "Summary", prose, "year.", ""]
    assert _paragraphs(lines, 100, set()) == [
        "Greyhaven Harbour Annual Review 2025",  # not a heading "Review 2025" over the first paragraph
        f"{prose} year.",
        "Summary",  # a heading straight above its prose still stands alone
        f"{prose} year.",
    ]


def test_a_pdf_table_row_is_a_unit_of_its_own_with_its_column_names_even_where_a_cell_wraps(tmp_path):
    from tests.files import make_table_pdf

    pdf = make_table_pdf(tmp_path / "seizures.pdf")
    paragraphs = read_document(pdf, tmp_path).text.split("\n\n")
    assert paragraphs == [
        "Seizures by quarter are shown below. The unit seized drugs in every quarter of the year.",
        "Quarter: April to June 2024; Cocaine (kg): 1,120; Cannabis (kg): 3,400; Firearms: 12",
        "Quarter: July to September 2024; Cocaine (kg): 401; Cannabis (kg): 1,310; Firearms: 97",
        "Quarter: October to December 2024; Cocaine (kg): 655; Cannabis (kg): 2,020; Firearms: 31",  # wrapped label
        "The figures were checked by the regional analyst before publication in January 2025.",
    ]


def test_word_headings_are_section_paths_and_table_rows_keep_their_column_names(folder, embedder, tmp_path):
    doc = _doc(folder, "guide.docx")
    assert doc.title == "Coastal Path Guide"  # the document's Title property
    assert "Stage: Porthen to Greyhaven; Distance: 11.5 km" in doc.text
    assert "• Carry water, since there is no tap between the two harbours." in doc.text
    assert [(level, h) for _, level, h in doc.headings] == [(1, "Walking the path"), (2, "Stages"), (1, "Safety")]
    passages = split_passages(doc, embedder.count_tokens, target_tokens=16)
    table = next(p for p in passages if "Greyhaven to Tollbridge" in p.text)
    assert table.section == "Walking the path > Stages" and table.page is None
    assert next(p for p in passages if "Carry water" in p.text).section == "Safety"
    # Without a Title property, the paragraph in the Title style names the document.
    untitled = make_docx(tmp_path / "untitled.docx", title_property=None)
    assert read_document(untitled, tmp_path).title == "Guide to the Coastal Path"


def test_html_keeps_the_main_text_and_its_headings_and_drops_the_rest(folder, embedder):
    doc = _doc(folder, "walks.html")
    for marker in BOILERPLATE:
        assert marker not in doc.text, marker
    assert "Accept all cookies" not in doc.text and "All rights reserved" not in doc.text
    assert doc.title == "Harbour walks of Porthen"
    passages = split_passages(doc, embedder.count_tokens, target_tokens=16)
    reservoirs = next(p for p in passages if "drained for inspection" in p.text)
    # The page's <h1> is its title, in every passage's context; the path starts below it.
    assert reservoirs.section == "Plans for 2026 > Reservoirs"


def test_markdown_headings_become_sections_and_markup_goes(folder, embedder):
    doc = _doc(folder, "reservoirs.md")
    assert doc.title == "Reservoir report"
    assert "Written by the water board with a map and code." in doc.text
    assert "Reservoir: Upper Moor; Capacity: 1.2 million m3" in doc.text
    assert not any(mark in doc.text for mark in ("**", "](", "`", "|", "#"))
    passages = split_passages(doc, embedder.count_tokens, target_tokens=16)
    assert next(p for p in passages if "Upper Moor" in p.text).section == "Plans for 2026 > Reservoirs"


@pytest.mark.parametrize(
    "data, text, encoding",
    [
        ("Naïve notes: the café opened in 2019.".encode("utf-16"), "Naïve notes: the café opened in 2019.", "utf-16"),
        ("Naïve notes.".encode("utf-16-be"), "Naïve notes.", "utf-16-be"),  # no byte-order mark
        ("Naïve notes.".encode("utf-16-le"), "Naïve notes.", "utf-16-le"),
        ("The “Quay Café” charged €4 for tea.".encode("cp1252"), "The “Quay Café” charged €4 for tea.", "cp1252"),
        ("Grüße aus Porthen, schöne Straße.".encode("latin-1"), "Grüße aus Porthen, schöne Straße.", "latin_1"),
        ("Plain UTF-8: 5 km – “quoted”.".encode("utf-8-sig"), "Plain UTF-8: 5 km – “quoted”.", "utf-8"),
    ],
)
def test_text_in_any_common_encoding_is_read_and_its_encoding_noted(tmp_path, data, text, encoding):
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    doc = read_document(path, tmp_path)
    assert (doc.text, doc.encoding) == (text, encoding)


def test_files_that_cannot_be_read_are_named_in_one_line_and_the_rest_is_read(folder, caplog):
    with caplog.at_level(logging.WARNING):
        docs = list(read_folder(folder))
    assert sorted(d.id for d in docs) == [
        "guide.docx", "notes-1252.txt", "notes-utf16.txt", "report.pdf", "reservoirs.md", "walks.html",
    ]  # fmt: skip
    messages = [r.getMessage() for r in caplog.records]
    expected = {
        "scan.pdf": "no text layer (scanned?)",
        "locked.pdf": "encrypted",
        "truncated.pdf": "damaged",
        "not-a-zip.docx": "not a Word .docx file",
        "setup_tool.pdf": "not a PDF file",  # another kind of file named .pdf: not "damaged"
    }
    for name, reason in expected.items():
        [line] = [m for m in messages if name in m]
        assert reason in line and "\n" not in line and "Traceback" not in line


def test_a_damaged_page_is_reported_by_number_and_the_other_pages_are_read(folder, tmp_path, caplog):
    damaged = damage_page(folder / "report.pdf", tmp_path / "damaged.pdf", page=2)
    with caplog.at_level(logging.WARNING):
        doc = read_document(damaged, tmp_path)
    [line] = [r.getMessage() for r in caplog.records]
    assert "damaged.pdf: page 2 is damaged, its text may be missing" in line
    assert PAGE_FACTS[2] not in doc.text
    starts = {number: offset for offset, number in doc.pages}
    assert set(starts) == {1, 3, 4} and doc.text.index(PAGE_FACTS[4]) >= starts[4]


def test_an_encrypted_pdf_with_an_empty_password_is_opened(tmp_path):
    doc = read_document(make_encrypted_pdf(tmp_path / "open.pdf", user_password=""), tmp_path)
    assert "the pier will reopen in June" in doc.text and doc.pages == ((0, 1),)


def test_binary_data_with_a_text_suffix_is_refused(tmp_path):
    import random

    noise = random.Random(7).randbytes(20_000)
    (tmp_path / "noise.txt").write_bytes(noise)
    with pytest.raises(QAError, match="not text in any common encoding"):
        read_document(tmp_path / "noise.txt", tmp_path)


def test_the_date_a_file_declares_is_kept_and_none_is_guessed(folder):
    dates = {doc.id: doc.date for doc in read_folder(folder)}
    assert dates["report.pdf"] == "2024-03-01"  # its information dictionary's creation date
    assert dates["guide.docx"] == "2023-05-04"  # its core properties: last modified, not created (2019)
    assert dates["walks.html"] == "2025-06-30"  # its <meta name="date">, not "1998" or "2026" from its text
    assert dates["reservoirs.md"] == "" and dates["notes-1252.txt"] == ""


def test_passage_offsets_hold_for_every_format(folder, embedder):
    for doc in read_folder(folder):
        passages = split_passages(doc, embedder.count_tokens, target_tokens=32)
        assert passages, doc.id
        for p in passages:
            assert doc.text[p.start : p.end] == p.text, doc.id


def test_a_folder_of_every_format_is_indexed_and_answers_cite_page_and_section(folder, tmp_path, capsys):
    """`qa index` then `qa ask` in-process: the bad files are named and skipped, the answers cite pages."""
    from qa.cli import main

    assert main(["--index-root", str(tmp_path), "index", str(folder), "--name", "formats", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("added 6, updated 0, removed 0, unchanged 0, skipped 5: 6 documents")

    argv = ["--index-root", str(tmp_path), "ask", "--index", "formats", "-k", "3"]
    assert main([*argv, "How many passengers did the ferry to Greyhaven carry?"]) == 0
    out = capsys.readouterr().out
    assert "48,000 passengers" in out.split("\n", 1)[0]
    assert "(report.pdf, p. 2, Ferry services)" in out  # the answer's citation: file, page, section

    assert main([*argv, "--json", "How much will resurfacing the harbour path cost?"]) == 0
    best = json.loads(capsys.readouterr().out)["hits"][0]
    assert best["doc_id"] == "walks.html" and best["title"] == "Harbour walks of Porthen"
    # The answer is cited in its own section; the passage (the whole short page) starts under the <h1> title.
    assert best["answer"]["section"] == "Plans for 2026" and best["section"] is None
    assert best["page"] is None and best["answer"]["page"] is None


# A page as Sphinx writes one (Python's documentation): permalink marks after headings and API names,
# an API entry as a definition list, a code block, and dates only in example output.
SPHINX_PAGE = """<!doctype html><html><head><title>Logging Cookbook &#8212; Python 3.11 documentation</title>
<meta name="generator" content="Docutils 0.19"></head><body><div class="body" role="main">
<section id="logging-cookbook"><h1>Logging Cookbook<a class="headerlink" href="#logging-cookbook">¶</a></h1>
<p>This page contains recipes for logging, which you can adapt to your own applications and services.</p>
<section id="formatting"><h2>Formatting times<a class="headerlink" href="#formatting">¶</a></h2>
<p>A handler formats each record with the time it was made, as in the output below.</p>
<div class="highlight"><pre>2005-03-23 23:47:11,663 - spam_application - INFO - creating an instance
2005-03-23 23:47:11,665 - spam_application - INFO - done</pre></div>
<dl class="py method"><dt class="sig">assertTrue(expr, msg=None)<a class="headerlink" href="#assertTrue">¶</a></dt>
<dd><p>Test that expr is true, and report msg when it is not.</p><p>Example:</p>
<div class="highlight"><pre>import unittest
self.assertTrue(ready, msg="not ready")
</pre></div></dd></dl>
<p>Each record keeps the name of the logger that made it, so output from many modules stays apart.</p>
</section></section></div></body></html>"""


def test_technical_pages_keep_their_headings_and_lose_their_permalink_marks_and_example_dates(tmp_path):
    (tmp_path / "cookbook.html").write_text(SPHINX_PAGE, encoding="utf-8")
    doc = read_document(tmp_path / "cookbook.html", tmp_path)
    assert doc.title == "Logging Cookbook" and "¶" not in doc.text
    # Sections come from h1-h6 only: the API name is an item under its section, never a heading.
    assert [h[2] for h in doc.headings] == ["Logging Cookbook", "Formatting times"]
    assert "• assertTrue(expr, msg=None)" in doc.text and "• Test that expr is true" in doc.text
    # The code block is a paragraph of its own that keeps its lines, one unit: never split at a full
    # stop inside it, never merged with the sentence before it.
    block = "2005-03-23 23:47:11,663 - spam_application - INFO - creating an instance\n2005-03-23"
    assert f"as in the output below.\n\n{block}" in doc.text
    from qa.text.sentences import sentences

    units = [doc.text[a:b] for a, b in sentences(doc.text)]
    assert any(u.startswith(block) and u.endswith("INFO - done") for u in units)
    assert doc.date == ""  # the page declares no date: 2005-03-23 is sample output
    # A code block inside a definition's body keeps its lines too (trafilatura would fold them into one).
    assert '• Example:\n\nimport unittest\nself.assertTrue(ready, msg="not ready")\n\n' in doc.text


def test_a_long_code_block_is_cut_between_its_lines_never_inside_one(tmp_path, embedder):
    lines = [f"result_{i} = subprocess.run(['ls', '-l', 'folder_{i}'], capture_output=True)" for i in range(40)]
    source = "# Running programs\n\nRun a program and keep its output:\n\n```python\n" + "\n".join(lines) + "\n```\n"
    (tmp_path / "howto.md").write_text(source, encoding="utf-8")
    doc = read_document(tmp_path / "howto.md", tmp_path)
    passages = split_passages(doc, embedder.count_tokens, target_tokens=64)
    code = [p for p in passages if "subprocess.run" in p.text]
    assert len(code) > 1  # too long for one passage
    for p in code:
        for line in p.text.split("\n"):
            assert line in lines or not line.startswith("result_"), line  # every line whole


def test_a_code_answer_is_shown_as_code_with_no_part_of_it_in_bold(tmp_path, embedder):
    from qa.answering.answers import answer
    from qa.app.render import reply_markdown
    from qa.indexing.build import build_index
    from qa.settings import Settings
    from qa.store.local.index import Index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "loops.md").write_text(
        "# Counting with loops\n\nThe loop below greets the user again and again, once a line:\n\n"
        "```python\nfor count in range(3):\n    greet(user, 2, 'greetings')\n```\n\n"
        "Loops over a range stop one before the number given.\n",
        encoding="utf-8",
    )
    settings = Settings(index_root=str(tmp_path / "root"), abstain=False)
    build_index(docs, "loops", settings, embedder=embedder)
    result = answer("How many greetings does the user get?", Index.load(tmp_path / "root" / "loops"), settings=settings)
    code = next(h for h in result.hits if "for count in range(3):" in h.answer_text)
    assert not code.narrow_span  # "2 ... greetings" inside the code is not the answer: the loop runs 3 times
    if result.best is code:
        bar = reply_markdown(result).split("\n")[0]
        assert '<code class="block">for count in range&#40;3&#41;:<br>greet&#40;' in bar and "“" not in bar


def _seizures_docx(path: Path) -> None:
    import docx

    from tests.files import SEIZURES

    document = docx.Document()
    document.add_paragraph("Seizures by quarter are shown below. The unit seized drugs in every quarter of the year.")
    table = document.add_table(rows=len(SEIZURES), cols=len(SEIZURES[0]))
    for r, cells in enumerate(SEIZURES):
        for c, value in enumerate(cells):
            table.cell(r, c).text = value
    document.save(str(path))


def _seizures_markup(kind: str) -> str:
    from tests.files import SEIZURES

    intro = "Seizures by quarter are shown below. The unit seized drugs in every quarter of the year."
    if kind == "md":
        rows = ["| " + " | ".join(cells) + " |" for cells in SEIZURES]
        return f"# Seizures\n\n{intro}\n\n" + "\n".join([rows[0], "|---|---|---|---|", *rows[1:]]) + "\n"
    cells = lambda tag, row: "".join(f"<{tag}>{value}</{tag}>" for value in row)  # noqa: E731
    body = f"<tr>{cells('th', SEIZURES[0])}</tr>" + "".join(f"<tr>{cells('td', row)}</tr>" for row in SEIZURES[1:])
    return f"<html><head><title>Seizures</title></head><body><main><h1>Seizures</h1><p>{intro}</p><table>{body}</table></main></body></html>"


@pytest.mark.parametrize("suffix", ["pdf", "docx", "html", "md"])
def test_a_table_in_every_format_is_answered_from_its_own_row_with_the_value_in_bold(suffix, tmp_path, embedder):
    from qa.answering.answers import answer
    from qa.indexing.build import build_index
    from qa.settings import Settings
    from qa.store.local.index import Index
    from tests.files import make_table_pdf

    docs = tmp_path / "docs"
    docs.mkdir()
    path = docs / f"seizures.{suffix}"
    if suffix == "pdf":
        make_table_pdf(path)
    elif suffix == "docx":
        _seizures_docx(path)
    else:
        path.write_text(_seizures_markup(suffix), encoding="utf-8")
    settings = Settings(index_root=str(tmp_path / "root"))
    build_index(docs, "t", settings, embedder=embedder)
    index = Index.load(tmp_path / "root" / "t")
    result = answer("How many firearms were seized between July and September 2024?", index, settings=settings)
    best = result.best
    assert best.answer_text == "Quarter: July to September 2024; Cocaine (kg): 401; Cannabis (kg): 1,310; Firearms: 97"
    assert best.span_text == "97"
