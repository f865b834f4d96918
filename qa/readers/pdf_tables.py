"""Tables on a PDF page, found in what pypdf's layout extraction gives: rows whose cells stand apart by
three or more spaces, one under another, at least three of them. Each row then reads as Word's do
(qa.readers.layout.table_rows): "Quarter: July to September 2024; Cocaine (kg): 401"."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Layout extraction puts three or more spaces between cells of a table row, one or two between words.
_CELL = re.compile(r"\S+(?: {1,2}\S+)*")
_PROSE_COLUMN = 25  # a cell this long on both sides of a gap is prose in two columns, not a table row

Cells = list[tuple[int, str]]  # a line's cells: (column where it starts, its text)


def layout_cells(lines: list[str]) -> list[Cells]:
    return [[(m.start(), m.group()) for m in _CELL.finditer(line)] for line in lines]


def two_columns_of_prose(cells: list[Cells]) -> bool:
    """Whether a page is prose set in two columns side by side (most lines two long cells): layout
    extraction would interleave them; a table's cells are short."""
    filled = [c for c in cells if c]
    two = [c for c in filled if len(c) == 2 and min(len(c[0][1]), len(c[1][1])) >= _PROSE_COLUMN]
    return bool(filled) and len(two) > 0.3 * len(filled)


@dataclass(frozen=True)
class Table:
    """A table found on a page: its first row (the column names) and the others, cell by cell."""

    header: list[str]
    rows: list[list[str]]


def with_tables(cells: list[Cells]) -> list[str | Table]:
    """Lines as text, except where three or more rows of two or more cells stand one under another: a
    table. Rows are either the groups of lines between blank lines (a cell that wraps spans several lines
    of its group) or, in a table with no blank lines, each line of two or more cells with the one-cell
    lines under it. Each cell goes to the column whose start is nearest its own."""
    blocks: list[list[int]] = []  # groups of consecutive non-blank line numbers
    for i, line in enumerate(cells):
        if line and blocks and blocks[-1][-1] == i - 1:
            blocks[-1].append(i)
        elif line:
            blocks.append([i])
    tables: dict[int, tuple[list[str], Table]] = {}  # first line number -> caption lines, table
    taken: set[int] = set()
    b = 0
    while b < len(blocks):
        e = b
        while e < len(blocks) and any(len(cells[i]) >= 2 for i in blocks[e]):
            e += 1
        rows = _region_rows(blocks[b:e], cells)
        if len(rows) >= 3:
            lines = [i for block in blocks[b:e] for i in block]
            first = next(i for i in lines if len(cells[i]) >= 2)
            widest = max(lines, key=lambda i: len(cells[i]))
            table = [_by_column(row, [start for start, _ in cells[widest]]) for row in rows]
            caption = [" ".join(text for _, text in cells[i]) for i in lines if i < first]
            tables[lines[0]] = (caption, Table(table[0], table[1:]))
            taken.update(lines)
        b = max(e, b + 1)
    out: list[str | Table] = []
    for i, line in enumerate(cells):
        if i in tables:
            caption, table = tables[i]
            out += [*caption, "", table, ""]
        elif i not in taken:
            out.append(" ".join(text for _, text in line))
    return out


def _region_rows(region: list[list[int]], cells: list[Cells]) -> list[list[Cells]]:
    """The rows of a run of line groups, each row the cells of its lines."""
    if len(region) >= 3:  # rows apart: each group is a row
        rows = [[cells[i] for i in block] for block in region]
        first = next(n for n, line in enumerate(rows[0]) if len(line) >= 2)
        rows[0] = rows[0][first:]
        return rows
    rows: list[list[Cells]] = []
    for block in region:
        for i in block:
            if len(cells[i]) >= 2:
                rows.append([cells[i]])
            elif rows:  # a wrapped cell's next line
                rows[-1].append(cells[i])
    return rows


def _by_column(row: list[Cells], starts: list[int]) -> list[str]:
    """A row's cells, each put in the column whose start is nearest its own, joined down the column."""
    parts: list[list[str]] = [[] for _ in starts]
    for line in row:
        for start, text in line:
            nearest = min(range(len(starts)), key=lambda c: abs(starts[c] - start))
            parts[nearest].append(text)
    return [" ".join(p) for p in parts]
