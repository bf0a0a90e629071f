"""Executed notebooks as HTML for managers: no code, no prompts, a table of contents, printable, offline.

nbconvert's lab template loads require.js, MathJax and mermaid from CDNs and the widget manager
from unpkg; the template below (kept here as text, so no package data is needed) drops those
blocks. Whatever an output still pulls from the internet (a plotly figure, an <img> with an
http URL) is blanked by `make_offline` and reported, so a report never loads anything remotely.
"""

from __future__ import annotations

import copy
import functools
import html
import re
from html.parser import HTMLParser

import nbformat

TEMPLATE_NAME = "perfpay_report.html.j2"
TOC_MARK = "<!-- perfpay:toc -->"

FONTS = ('"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
         '"WenQuanYi Micro Hei", system-ui, sans-serif')

CSS = """
:root { --perfpay-accent: #1f4e79; }
body.jp-Notebook, body.perfpay-page { font-family: %(fonts)s; }
main { max-width: 1100px; margin: 0 auto; padding: 0 1.5em 3em; }
.perfpay-header { border-bottom: 2px solid var(--perfpay-accent); margin: 1em 0 1em; padding-bottom: .4em; }
.perfpay-header .perfpay-title { font-size: 1.8em; font-weight: 600; color: var(--perfpay-accent); margin: 0; }
.perfpay-header .perfpay-meta { color: #555; margin: .3em 0 0; font-size: .95em; }
.perfpay-failed { border: 2px solid #b00020; background: #fdecea; color: #7a0014; padding: .8em 1em;
                  margin: 1em 0; border-radius: 4px; white-space: pre-wrap; }
nav.perfpay-toc { background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 4px; padding: .6em 1.2em;
                  margin: 1em 0 1.5em; }
nav.perfpay-toc .perfpay-toc-title { font-weight: 600; margin: .2em 0 .4em; }
nav.perfpay-toc ol { margin: 0; padding-left: 1.4em; }
nav.perfpay-toc li.level-2 { margin-left: 1.2em; }
nav.perfpay-toc li.level-3 { margin-left: 2.4em; font-size: .95em; }
nav.perfpay-toc a { color: var(--perfpay-accent); text-decoration: none; }
table { border-collapse: collapse; }
@media print {
  @page { size: A4; margin: 15mm 12mm; }
  body.jp-Notebook, body.perfpay-page { font-size: 10.5pt; background: #fff; }
  main { max-width: none; padding: 0; }
  nav.perfpay-toc { page-break-after: always; break-after: page; background: none; border: none; }
  a { color: inherit; text-decoration: none; }
  a.anchor-link { display: none; }
  h1, h2, h3 { page-break-after: avoid; break-after: avoid; }
  tr, img, svg, .jp-OutputArea-output { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  img { max-width: 100% !important; }
  .jp-Cell { padding: 0 !important; }
}
""".replace("%(fonts)s", FONTS)

TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{#- perfpay: offline, printable report page over nbconvert's lab template -#}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style type="text/css">{{ resources.perfpay.css }}</style>
{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
<header class="perfpay-header">
<p class="perfpay-title">{{ resources.perfpay.title | e }}</p>
{%- if resources.perfpay.meta %}
<p class="perfpay-meta">{{ resources.perfpay.meta | e }}</p>
{%- endif %}
</header>
{%- if resources.perfpay.error %}
<div class="perfpay-failed" role="alert"><strong>本报告未能完整生成。</strong>
{%- if resources.perfpay.error_marked %} 出错之处已在下文<a href="#papermill-error-cell">标出</a>。{% endif %}
错误：{{ resources.perfpay.error | e }}</div>
{%- endif %}
""" + TOC_MARK + r"""
{%- endblock body_header -%}
"""


NO_ALT = "No description has been provided for this image"
_IMG_NO_ALT = re.compile(r"<img\b(?![^>]*\salt=)", re.I)
_FOCUSABLE = re.compile(r'<div\b([^>]*\sclass="(?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?:\s[^"]*)?"'
                        r'(?![^>]*\stabindex=)[^>]*)>')


def _exporter_class():
    """nbconvert's HTMLExporter without its BeautifulSoup pass over the finished page.

    That pass gives images without alt text one and makes input and output areas focusable
    (tabindex="0"); on a report of many tables it costs more than the rest of the export. The
    same is done here with two regular expressions on the template's own markup.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class Exporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            lang = nb.metadata.get("language_info", {})
            lexer = lang.get("pygments_lexer", lang.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            page = _IMG_NO_ALT.sub(f'<img alt="{NO_ALT}"', page)
            return _FOCUSABLE.sub(r'<div\1 tabindex="0">', page), resources

    return Exporter


def exporter():
    """An HTMLExporter over the lab template: no inputs, no prompts, embedded images, no CDN."""
    import jinja2
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    c.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input"}
    exp = _exporter_class()(config=c, template_name="lab",
                       extra_loaders=[jinja2.DictLoader({TEMPLATE_NAME: TEMPLATE})])
    exp.template_file = TEMPLATE_NAME
    exp.exclude_input = True
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    exp.embed_images = True
    exp.language_code = "zh-CN"
    exp.mathjax_url = ""
    exp.require_js_url = ""
    exp.mermaid_js_url = ""
    exp.widget_renderer_url = ""
    exp.jupyter_widgets_base_url = ""
    return exp


@functools.lru_cache(maxsize=1)
def _exporter():
    """One exporter per process: its templates are compiled once, not for every notebook."""
    return exporter()


def _for_managers(nb):
    """A copy without stderr streams (warnings, logs) and without widget state; errors stay.

    Cell ids become their position: papermill gives the cells it adds random ids, which would
    otherwise make two renderings of the same results differ.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        if cell.get("cell_type") == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb


def render_html(nb, *, title: str, meta: str = "", error: str | None = None, error_marked: bool = False,
                base_dir=None) -> tuple[str, list]:
    """The manager's HTML of an executed notebook, and the warnings (external references blanked).

    `base_dir` is where markdown images (``![](chart.png)``) are looked up to be embedded.
    """
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(nb, as_version=4)
    resources = {"metadata": {"name": title, "path": str(base_dir) if base_dir else ""},
                 "perfpay": {"title": title, "meta": meta, "error": error, "error_marked": error_marked,
                             "css": CSS}}
    nb = _for_managers(nb)
    nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    body = body.replace(TOC_MARK, toc(body), 1)
    return make_offline(body)


def error_page(*, title: str, meta: str, error: str) -> str:
    """A stand-alone page when a notebook could not be rendered at all."""
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\" />\n"
            f"<title>{html.escape(title)}</title>\n<style type=\"text/css\">{CSS}</style>\n</head>\n"
            "<body class=\"perfpay-page\"><main>\n<header class=\"perfpay-header\">"
            f"<p class=\"perfpay-title\">{html.escape(title)}</p><p class=\"perfpay-meta\">{html.escape(meta)}</p>"
            "</header>\n<div class=\"perfpay-failed\" role=\"alert\"><strong>本报告未能生成。</strong>\n"
            f"错误：{html.escape(error)}</div>\n</main></body>\n</html>\n")


# --- table of contents --------------------------------------------------------------------


class _Headings(HTMLParser):
    """h1-h3 elements that carry an id (nbconvert gives markdown headings one), with their text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._open, self._text, self._skip = [], None, [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("h1", "h2", "h3") and self._open is None and a.get("id"):
            self._open, self._text = (int(tag[1]), a["id"]), []
        elif self._open is not None and tag == "a" and "anchor-link" in (a.get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag):
        if self._open is not None and tag == "a" and self._skip:
            self._skip -= 1
        elif self._open is not None and tag == f"h{self._open[0]}":
            text = " ".join("".join(self._text).split())
            if text:
                self.found.append((self._open[0], self._open[1], text))
            self._open = None

    def handle_data(self, data):
        if self._open is not None and not self._skip:
            self._text.append(data)


_HEADING = re.compile(r"<h([1-3])\b.*?</h\1\s*>", re.S | re.I)


def headings(body: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of every h1-h3 with an id, in document order.

    Only the headings of the page's body are parsed, not its tables and images.
    """
    parser = _Headings()
    start = body.find("<body")
    for m in _HEADING.finditer(body, max(start, 0)):
        parser.feed(m.group(0))
    return parser.found


def toc(body: str) -> str:
    """A <nav> listing the headings of `body` with links to them (empty when there are none)."""
    found = headings(body)
    if not found:
        return ""
    top = min(level for level, _, _ in found)
    items = "\n".join(f'<li class="level-{level - top + 1}"><a href="#{html.escape(ident, quote=True)}">'
                      f"{html.escape(text)}</a></li>" for level, ident, text in found)
    return (f'<nav class="perfpay-toc" aria-label="目录">\n<p class="perfpay-toc-title">目录</p>\n'
            f'<ol>\n{items}\n</ol>\n</nav>')


# --- offline --------------------------------------------------------------------------------

_REMOTE = r"(?:https?:)?//[^\s\"'<>()]+"
_LOADING_ATTRS = {"src", "href", "srcset", "data", "poster", "background", "xlink:href", "action", "formaction"}
_CSS_URL = re.compile(r"""url\(\s*["']?\s*(""" + _REMOTE + r""")""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?\s*(""" + _REMOTE + r""")""", re.I)
_JS_IMPORT = re.compile(r"""\bimport\s*\(?\s*["'`](""" + _REMOTE + r""")""", re.I)
_IS_REMOTE = re.compile(r"^\s*" + _REMOTE, re.I)


class _Loads(HTMLParser):
    """Every URL the page would load: element attributes (not <a href>, a link the reader may
    follow), CSS url() / @import in <style> and style="", and module imports in <script>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in = None

    def _css(self, text: str):
        self.urls += _CSS_URL.findall(text) + _CSS_IMPORT.findall(text)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self._css(value)
            elif name in _LOADING_ATTRS and not (tag == "a" and name == "href"):
                parts = value.split(",") if name == "srcset" else [value]
                self.urls += [p.strip().split()[0] for p in parts if _IS_REMOTE.match(p)]
        self._in = tag if tag in ("style", "script") else None

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self._css(data)
        elif self._in == "script":
            self.urls += _JS_IMPORT.findall(data)
            self._css(data)


# What every URL _Loads collects follows, as the page reads with its character references
# replaced (the parser reads attribute values so): a quote, = or a comma (srcset) before an
# attribute value, ( or a quote in url() and import(), or @import. A page with none of these
# before a // has nothing to load, and need not be parsed (1.3 MB of report took 0.5 s).
_MAY_LOAD = re.compile(r"""(?:["'(=,`]|@import\s)\s*(?:https?:)?//""", re.I)


def may_load(page: str) -> bool:
    """False when `page` surely loads nothing from the internet (external_references is [])."""
    return _MAY_LOAD.search(html.unescape(page)) is not None


def external_references(page: str) -> list[str]:
    """URLs on the internet that `page` would load (src, href of <link> etc., @import, url(), import())."""
    if not may_load(page):
        return []
    parser = _Loads()
    parser.feed(page)
    return list(dict.fromkeys(parser.urls))


def make_offline(page: str) -> tuple[str, list[str]]:
    """Blank every external reference (so nothing is fetched) and say which were blanked."""
    urls = external_references(page)
    for url in sorted(urls, key=len, reverse=True):
        page = page.replace(url, "about:blank")
    warnings = [f"removed a reference to the internet: {url}" for url in urls]
    return page, warnings
