"""perfpay.xlsx: workbooks that find their style objects by identity, and a quicker merge that
gives the same file as openpyxl's own."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Protection, Side

from perfpay.xlsx import KnownStyles, cell_xml, display_width, merge, save, workbook

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


def _parts(save_to) -> dict[str, bytes]:
    buffer = io.BytesIO()
    save_to(buffer)
    with zipfile.ZipFile(buffer) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts.pop("docProps/core.xml")          # holds the time of saving
    return parts


def _every_kind_of_cell() -> Workbook:
    from datetime import date, datetime
    from decimal import Decimal

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.comments import Comment

    wb = workbook()
    ws = wb.active
    values = ["plain", "合计 12", "a & b < c > d", "  leading", "trailing ", "   ", "two\nlines", "'quoted'",
              '"double"', 0, -7, 10**15, Decimal("1.10"), Decimal("-0.5"), 0.1, 1e-9, float("nan"),
              float("inf"), True, False, date(2026, 7, 31), datetime(2026, 7, 31, 8, 30), "=SUM(A1:A3)",
              "=SUMIF(B1:B9,\"任务\",C1:C9)", "='E000925 刘静'!E38", "=IF(A1<2,\"<\",\">\")", "#N/A", None, ""]
    for r, value in enumerate(values, start=1):
        ws.cell(r, 1, value=value)
        styled = ws.cell(r, 2, value=value)
        styled.font = Font(bold=True)
        styled.number_format = "#,##0.00"
    ws.cell(1, 3).font = Font(italic=True)                    # styled, no value
    text = ws.cell(2, 3, value="=1+1")
    text.data_type, text.quotePrefix = "s", True               # text that looks like a formula
    ws.cell(3, 3, value="link").hyperlink = "#'Sheet'!A1"
    ws.cell(4, 3, value="noted").comment = Comment("a note", "perfpay")
    ws.cell(5, 3).value = CellRichText(["bold ", TextBlock(InlineFont(b=True), "part")])
    ws.cell(6, 3, value="=")
    ws.row_dimensions[2].height = 30
    ws.row_dimensions[40].height = 12                          # a row with no cells
    ws.cell(8, 4, value="boxed").border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    merge(ws, 8, 4, 9, 6)
    other = wb.create_sheet("二")
    other.cell(1, 1, value="second sheet")
    return wb


def test_save_writes_what_openpyxl_writes():
    wb = _every_kind_of_cell()
    ours = _parts(lambda out: save(wb, out))
    theirs = _parts(wb.save)
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name] == theirs[name], name
    assert b'<t xml:space="preserve">  leading</t>' in ours["xl/worksheets/sheet1.xml"]


@pytest.mark.parametrize("value, xml", [
    ("a & b", '<c r="A1" t="inlineStr"><is><t>a &amp; b</t></is></c>'),
    (" x", '<c r="A1" t="inlineStr"><is><t xml:space="preserve"> x</t></is></c>'),
    (12, '<c r="A1" t="n"><v>12</v></c>'),
    ("=A2<1", '<c r="A1"><f>A2&lt;1</f><v /></c>'),
    (True, None),                                   # a flag: openpyxl writes it
])
def test_cell_xml(value, xml):
    ws = workbook().active
    assert cell_xml(ws.cell(1, 1, value=value), styled=False) == xml
