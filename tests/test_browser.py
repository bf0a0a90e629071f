"""The headless browser the report tests use (tests/browser.py), on a small page made here.

The page has a Chinese heading, an escaped `<script>` in its text (as a report shows a name
such as `<script>alert(1)</script>`) and one real script that marks the body. The dumped DOM
must show the escaped text literally, with the real script run and the escaped one not
(it would have changed the title); the screenshot must show something; the PDF must print
with a CJK font.
"""

from __future__ import annotations

import html
import io

import pytest

import browser

PAYLOAD = "<script>alert(1);document.title='pwned';document.body.dataset.ran='yes'</script>"
HEADING = "绩效报告 大客户部 2026Q3"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    browser.require_chromium()
    path = tmp_path_factory.mktemp("page") / "page.html"
    path.write_text(f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>safe</title>
<style>body {{ font-family: "Noto Sans CJK SC", sans-serif; margin: 40px }}
h1 {{ font-size: 48px }} .bar {{ background: #1f77b4; height: 300px; width: 600px }}</style></head>
<body><h1>{html.escape(HEADING)}</h1>
<p id="name">{html.escape(PAYLOAD)}</p>
<div class="bar"></div>
<script>document.body.dataset.live = "yes";</script>
</body></html>
""", encoding="utf-8")
    return path


def test_dom_shows_escaped_script_as_text(page):
    dom = browser.dump_dom(page)
    assert 'data-live="yes"' in dom                       # scripts did run ...
    assert "<title>safe</title>" in dom                   # ... but not the escaped one
    assert 'data-ran' not in dom
    assert html.escape(PAYLOAD, quote=False) in dom       # the text, shown literally
    assert PAYLOAD not in dom
    assert f"<h1>{HEADING}</h1>" in dom


def test_screenshot_is_a_picture(page, tmp_path):
    from PIL import Image

    png = browser.screenshot(page, tmp_path / "page.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == browser.WINDOW
    dark = sum(image.convert("L").histogram()[:128])
    assert dark > 1000                                        # not blank: the heading and the bar
    # the blue bar is where the page puts it
    colours = image.crop((40, 150, 640, 600)).getcolors(1 << 20)
    assert any(abs(r - 0x1F) < 8 and abs(g - 0x77) < 8 and abs(b - 0xB4) < 8 and n > 1000
               for n, (r, g, b) in colours)


def test_prints_to_pdf_with_a_cjk_font(page, tmp_path):
    pdf = browser.print_to_pdf(page, tmp_path / "page.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 2000
    assert b"CJK" in data or b"Noto" in data, "no CJK font embedded: install fonts-noto-cjk"


def test_a_hanging_page_times_out(tmp_path):
    browser.require_chromium()
    hang = tmp_path / "hang.html"
    hang.write_text("<!doctype html><html><body><script>while (true) {}</script></body></html>")
    with pytest.raises(TimeoutError, match="longer than"):
        browser.dump_dom(hang, timeout=5)


def test_missing_chromium_skips_or_fails_under_ci(monkeypatch):
    monkeypatch.setenv("PERFPAY_CHROMIUM", "/nonexistent/chromium")
    assert browser.find_chromium() is None
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="system-deps.sh"):
        browser.require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        browser.require_chromium()
