"""Real PDF, Word and HTML files made for the tests, with known text on known pages and in known sections."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

HEADER = "Porthen Council Annual Report 2026"
# Each page's own fact, so a test can check that the passage holding it cites that page.
PAGE_FACTS = {
    1: "The harbour wall was rebuilt in 1991 by the engineers of Porthen after the great storm.",
    2: "The ferry to Greyhaven carried 48,000 passengers in the year to March.",
    3: "Two reservoirs above the town were drained for inspection in the summer.",
    4: "The coastal fund paid 40,000 pounds for the new lighting on the east quay.",
}
CHAPTERS = {1: "Harbour works", 2: "Ferry services", 3: "Water supply", 4: "Coastal fund"}
FILLER = (
    "The committee reviewed the programme at each of its meetings and recorded its decisions in the "
    "minutes, which are published on the council's website for residents to read. "
)


# A sentence that the break between pages 2 and 3 cuts in two.
CUT_SENTENCE = (
    "The lifeboat station on the north pier, which volunteers have",
    "staffed since 1890, was given a new winch.",
)


def make_pdf(path: Path, title: str = "Annual Report of Porthen Council") -> Path:
    """A PDF of four pages, each with the running header and footer, a chapter heading and its fact;
    page 1 has a word hyphenated at a line end, and a sentence runs from page 2 on to page 3."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, HEADER, new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()} of {len(PAGE_FACTS)}", align="C")

    pdf = Report()
    pdf.set_title(title)
    pdf.set_creation_date(datetime(2024, 3, 1, 9, 30, tzinfo=UTC))
    pdf.set_auto_page_break(False)
    for number, fact in PAGE_FACTS.items():
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if number == 3:
            pdf.multi_cell(0, 6, CUT_SENTENCE[1])
            pdf.ln(4)
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, CHAPTERS[number], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, f"{fact} {FILLER}")
        pdf.ln(4)
        if number == 1:
            pdf.multi_cell(
                0,
                6,
                "The works on the sea defences were the largest of the decade, and the re-\nconstruction of the slipway followed them.",
            )
            pdf.ln(4)
        if number == 2:
            pdf.multi_cell(0, 6, FILLER * 3)
            pdf.ln(4)
            pdf.multi_cell(0, 6, CUT_SENTENCE[0])
    pdf.output(str(path))
    return path


SEIZURES = [
    ("Quarter", "Cocaine (kg)", "Cannabis (kg)", "Firearms"),
    ("April to June 2024", "1,120", "3,400", "12"),
    ("July to September 2024", "401", "1,310", "97"),
    ("October to December 2024", "655", "2,020", "31"),
]


def make_table_pdf(path: Path) -> Path:
    """A page of prose around a table whose first column is narrow enough that a label wraps."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Seizures by quarter are shown below. The unit seized drugs in every quarter of the year.")
    pdf.ln(4)
    with pdf.table(col_widths=(30, 30, 30, 30)) as table:
        for cells in SEIZURES:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(4)
    pdf.multi_cell(0, 6, "The figures were checked by the regional analyst before publication in January 2025.")
    pdf.output(str(path))
    return path


def damage_page(source: Path, target: Path, page: int) -> Path:
    """A copy of `source` whose page `page` (1-based) has a content stream that does not decompress."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter(clone_from=PdfReader(source))
    broken = StreamObject()
    broken._data = b"not a deflate stream " * 8
    broken[NameObject("/Filter")] = NameObject("/FlateDecode")
    writer.pages[page - 1][NameObject("/Contents")] = writer._add_object(broken)
    with target.open("wb") as f:
        writer.write(f)
    return target


def make_scanned_pdf(path: Path) -> Path:
    """A PDF whose only page is a picture of text: no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).text((20, 80), "A scanned page of the report", fill="black")
    data = io.BytesIO()
    image.save(data, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(data, x=10, y=10, w=180)
    pdf.output(str(path))
    return path


def make_encrypted_pdf(path: Path, user_password: str) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "The locked report says the pier will reopen in June after its repairs.")
    pdf.output(str(path))
    return path


def make_docx(path: Path, title_property: str | None = "Coastal Path Guide") -> Path:
    """A Word file with a Title paragraph, headings at two levels, a table with a header row and a list."""
    import docx

    document = docx.Document()
    document.core_properties.title = title_property or ""
    document.core_properties.created = datetime(2019, 1, 2, 9, 0)  # as a template's would be
    document.core_properties.modified = datetime(2023, 5, 4, 12, 0)
    document.add_paragraph("Guide to the Coastal Path", style="Title")
    document.add_heading("Walking the path", 1)
    document.add_paragraph("The coastal path runs for forty kilometres between Porthen and Tollbridge.")
    document.add_heading("Stages", 2)
    document.add_paragraph("Walkers usually split the path into two stages of unequal length.")
    table = document.add_table(rows=3, cols=2)
    for r, cells in enumerate(
        [("Stage", "Distance"), ("Porthen to Greyhaven", "11.5 km"), ("Greyhaven to Tollbridge", "7 km")]
    ):
        for c, value in enumerate(cells):
            table.cell(r, c).text = value
    document.add_heading("Safety", 1)
    document.add_paragraph("Carry water, since there is no tap between the two harbours.", style="List Bullet")
    document.save(str(path))
    return path


HTML_PAGE = """<!doctype html><html><head><title>Harbour Walks | Porthen Council</title>
<meta name="date" content="2025-06-30">
<style>body { color: red } .STYLE_TEXT {}</style><script>var secret = "SCRIPT_TEXT";</script></head>
<body><nav><a href="/">Home</a> <a href="/about">NAV_TEXT About the council</a></nav>
<div id="cookie-banner" class="cookie-consent">COOKIE_TEXT We use cookies to improve your experience. Accept all cookies.</div>
<main><article><h1>Harbour walks of Porthen</h1>
<p>The harbour path runs along the east quay for two miles and was opened in 1998 by the mayor of Porthen.</p>
<h2>Plans for 2026</h2>
<p>The council plans to resurface the path in spring 2026 at a cost of 40,000 pounds from the coastal fund.</p>
<h3>Reservoirs</h3>
<p>Two reservoirs above the town will be drained for inspection in the summer of 2026, and the path closed.</p>
</article></main>
<footer>FOOTER_TEXT Copyright Porthen Council 2026. All rights reserved. Privacy policy.</footer></body></html>"""
BOILERPLATE = ("SCRIPT_TEXT", "STYLE_TEXT", "NAV_TEXT", "COOKIE_TEXT", "FOOTER_TEXT")
