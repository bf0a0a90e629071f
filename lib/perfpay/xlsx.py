"""openpyxl workbooks that are quick to fill with thousands of styled cells.

    wb = workbook()            # an openpyxl Workbook, as Workbook() gives it
    display_width("合计 12")   # columns a text takes on screen (CJK counts double)

Setting `cell.font = BOLD` makes openpyxl look the font up among the workbook's fonts, by a hash
of all its fields, twice: a third of the time of a 1,200-sheet scorecards.xlsx went there. The
workbooks here remember each style object they were given, by identity, and hash it only the
first time. perfpay's style objects are constants that nothing changes once made.
"""

from __future__ import annotations

import unicodedata

from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergedCellRange

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
        cells = self.ws._cells
        self.start_cell = cells.get((self.min_row, self.min_col)) or self.ws.cell(self.min_row, self.min_col)
        end = cells.get((self.max_row, self.max_col))
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
