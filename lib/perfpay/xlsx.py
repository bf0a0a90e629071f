"""openpyxl workbooks that are quick to fill with thousands of styled cells, and to save.

    wb = workbook()            # an openpyxl Workbook, as Workbook() gives it
    merge(ws, 1, 1, 1, 6)      # ws.merge_cells("A1:F1"), sooner
    save(wb, path)             # wb.save(path), sooner
    display_width("合计 12")   # columns a text takes on screen (CJK counts double)

Each gives the very file openpyxl's own would (the same XML, part for part).

Setting `cell.font = BOLD` makes openpyxl look the font up among the workbook's fonts, by a hash
of all its fields, twice: a third of the time of a 1,200-sheet scorecards.xlsx went there. The
workbooks here remember each style object they were given, by identity, and hash it only the
first time. perfpay's style objects are constants that nothing changes once made.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone
from decimal import Decimal
from io import BytesIO
from xml.etree.ElementTree import _escape_cdata
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import LXML, Workbook
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import MergedCell
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.writer.excel import ExcelWriter

STYLE_LISTS = ("_fonts", "_fills", "_borders", "_alignments", "_protections", "_number_formats")


class KnownStyles(IndexedList):
    """An IndexedList that finds again, without hashing, an object it was given before."""

    def __init__(self, iterable=None):
        super().__init__(iterable)
        self.seen: dict[int, tuple[object, int]] = {}      # id -> (the object, kept alive; its index)

    def add(self, value) -> int:
        got = self.seen.get(id(value))
        if got is not None and got[0] is value:
            return got[1]
        index = super().add(value)
        self.seen[id(value)] = (value, index)
        return index


def workbook() -> Workbook:
    """A new Workbook whose style lists are KnownStyles."""
    wb = Workbook()
    for name in STYLE_LISTS:
        setattr(wb, name, KnownStyles(getattr(wb, name)))
    return wb


_widths: dict[str, int] = {}


def display_width(text: str) -> int:
    """Columns `text` takes on screen: 2 for a wide (CJK) character, 1 for any other. Texts repeat
    across sheets (a standard on every person's sheet), so each is measured once."""
    width = _widths.get(text)
    if width is None:
        width = len(text) if text.isascii() else \
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
        if len(_widths) < 100_000:
            _widths[text] = width
    return width


class _Merged(MergedCellRange):
    """A MergedCellRange that skips openpyxl's border and protection work where it changes nothing:
    no border on its first cell nor its last, no protection on its first cell (openpyxl hashes a
    new Border and a copy of the Protection for every merge: 0.3 ms each)."""

    def _get_borders(self) -> None:
        self.start_cell = self.ws.cell(self.min_row, self.min_col)       # made if need be, as openpyxl does
        end = self.ws._cells.get((self.max_row, self.max_col))
        self.plain = _plain(self.start_cell) and (end is None or _plain(end))
        if not self.plain:
            super()._get_borders()

    def format(self) -> None:
        if not self.plain:
            super().format()
            return
        for coord in self.cells:                    # what openpyxl leaves: a style of zeros on each
            cell = self.ws._cells.get(coord)
            if cell is None:
                cell = self.ws._cells[coord] = MergedCell(self.ws, *coord)
            if cell._style is None:
                cell._style = StyleArray()


def _plain(cell) -> bool:
    """No border and no protection: index 0 of both among the workbook's (the defaults)."""
    style = cell._style
    return style is None or (style.borderId == 0 and style.protectionId == 0)


def merge(ws, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
    """ws.merge_cells(start_row=..., ...), with the same result, sooner."""
    merged = _Merged(ws, CellRange(min_row=start_row, min_col=start_column, max_row=end_row,
                                   max_col=end_column).coord)
    ws.merged_cells.add(merged)
    ws._clean_merge_range(merged)


def save(wb: Workbook, path) -> None:
    """wb.save(path), with each sheet's cells written sooner: openpyxl makes an XML element of every
    cell and serialises it in pure Python (two thirds of the time of saving a scorecards.xlsx); the
    plain cells (text, numbers, formulas, empty) are written here as the very same text, and each
    sheet is kept in memory rather than in a temporary file. Where lxml serves openpyxl, its own
    writer is used throughout."""
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = datetime.now(tz=timezone.utc).replace(tzinfo=None)   # as openpyxl's save
    _Writer(wb, archive).save()


class _Writer(ExcelWriter):
    def write_worksheet(self, ws) -> None:
        if LXML or self.workbook.write_only:
            super().write_worksheet(ws)
            return
        ws._drawing = SpreadsheetDrawing()              # as ExcelWriter.write_worksheet
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _SheetWriter(ws, BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read())
        self.manifest.append(ws)


class _SheetWriter(WorksheetWriter):
    def write_row(self, xf, row, row_idx) -> None:
        write = getattr(xf, "_file", None)      # et_xmlfile's writer of raw text
        if not callable(write) or any(cell._comment is not None for cell in row):
            super().write_row(xf, row, row_idx)
            return
        attrs = {"r": f"{row_idx}"}
        attrs.update(self.ws.row_dimensions.get(row_idx, {}))
        with xf.element("row", attrs):
            for cell in row:
                styled = cell.has_style
                if cell._value is None and not styled:
                    continue
                text = cell_xml(cell, styled)
                if text is None:
                    write_cell(xf, self.ws, cell, styled)
                else:
                    write(text)


def cell_xml(cell, styled: bool) -> str | None:
    """The XML openpyxl writes for a cell of text, a number, a formula or nothing (through
    et_xmlfile); None for any other cell (a date, a flag, rich text, a link), which openpyxl writes."""
    value, kind = cell._value, cell.data_type
    if cell.hyperlink is not None or kind not in ("s", "n", "f"):
        return None
    head = f'<c r="{cell.coordinate}"' + (f' s="{cell.style_id}"' if styled else "")
    if value is None or value == "":
        return head + (' t="inlineStr"' if kind == "s" else "" if kind == "f" else ' t="n"') + " />"
    if kind == "s" and type(value) is str:
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f'{head} t="inlineStr"><is><t{space}>{_escape_cdata(value)}</t></is></c>'
    if kind == "n" and type(value) in (int, float, Decimal):
        number = safe_string(value)
        return f'{head} t="n"><v>{number}</v></c>' if number else f'{head} t="n"><v /></c>'
    if kind == "f" and type(value) is str and len(value) > 1:
        return f'{head}><f>{_escape_cdata(value[1:])}</f><v /></c>'
    return None
