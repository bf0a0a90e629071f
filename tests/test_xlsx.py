"""perfpay.xlsx: workbooks that find their style objects by identity, and a quicker merge that
gives the same file as openpyxl's own."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Protection, Side

from perfpay.xlsx import KnownStyles, display_width, merge, workbook

THIN = Side(style="thin")


class CountedFont(Font):
    """A Font that counts how often it is hashed."""

    hashed = 0

    def __hash__(self):
        CountedFont.hashed += 1
        return super().__hash__()


def test_a_style_given_again_is_not_hashed_again():
    styles = KnownStyles([Font()])
    bold = CountedFont(bold=True)
    first = styles.add(bold)
    hashed = CountedFont.hashed
    assert [styles.add(bold) for _ in range(5)] == [first] * 5
    assert CountedFont.hashed == hashed
    assert first == 1 and len(styles) == 2


def test_an_equal_style_still_shares_the_index_of_the_first():
    styles = KnownStyles([Font()])
    assert styles.add(Font(bold=True)) == styles.add(Font(bold=True)) == 1
    assert styles.add(Font()) == 0
    assert len(styles) == 2


def test_workbook_has_known_styles_and_the_default_ones():
    wb = workbook()
    for name in ("_fonts", "_fills", "_borders", "_alignments", "_protections", "_number_formats"):
        assert isinstance(getattr(wb, name), KnownStyles)
        assert list(getattr(wb, name)) == list(getattr(Workbook(), name))
    cell = wb.active.cell(1, 1, value="x")
    cell.font = Font(bold=True)
    cell.alignment = Alignment(wrap_text=True)
    assert cell.font.bold and cell.alignment.wrap_text


def test_display_width():
    assert display_width("") == 0
    assert display_width("abc 12") == 6
    assert display_width("合计") == 4
    assert display_width("合计 12") == 7
    assert display_width("（１）") == 6          # full-width forms are wide
    assert display_width("合计 12") == 7         # measured again from the cache


def _sheet_xml(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        return z.read("xl/worksheets/sheet1.xml")


def _laid_out(merging, start_border: bool, end_border: bool, protected: bool, end_written: bool) -> bytes:
    wb = workbook()
    ws = wb.active
    ws.cell(2, 2, value="start")
    if start_border:
        ws.cell(2, 2).border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    if protected:
        ws.cell(2, 2).protection = Protection(locked=False)
    if end_written:
        ws.cell(3, 4, value="gone")
        if end_border:
            ws.cell(3, 4).border = Border(right=THIN, bottom=Side(style="double"))
    ws.cell(2, 3, value="also gone")
    merging(ws)
    ws.cell(5, 1, value="after")
    return _sheet_xml(wb)


@pytest.mark.parametrize("start_border", [False, True])
@pytest.mark.parametrize("end_border", [False, True])
@pytest.mark.parametrize("protected", [False, True])
@pytest.mark.parametrize("end_written", [False, True])
def test_merge_writes_what_openpyxl_writes(start_border, end_border, protected, end_written):
    ours = _laid_out(lambda ws: merge(ws, 2, 2, 3, 4), start_border, end_border, protected, end_written)
    theirs = _laid_out(lambda ws: ws.merge_cells(start_row=2, start_column=2, end_row=3, end_column=4),
                       start_border, end_border, protected, end_written)
    assert ours == theirs
    assert b'<mergeCell ref="B2:D3"' in ours


def test_merge_of_one_column_and_of_a_new_cell():
    wb = workbook()
    ws = wb.active
    merge(ws, 1, 1, 1, 6)
    ws.cell(1, 1, value="title")
    assert [r.coord for r in ws.merged_cells.ranges] == ["A1:F1"]
    assert type(ws.cell(1, 2)).__name__ == "MergedCell"
    ours = _sheet_xml(wb)
    wb = workbook()
    wb.active.merge_cells("A1:F1")
    wb.active.cell(1, 1, value="title")
    assert ours == _sheet_xml(wb)
