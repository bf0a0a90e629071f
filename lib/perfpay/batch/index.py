"""outputs/<period>/index.html: every report and data file of a run, per department, failures first.

Built from the run record alone (the dict written as run.json), so it says exactly what the run did.
Offline (inline CSS, no script), Chinese labels, every name escaped and every link percent-encoded.
"""

from __future__ import annotations

import html
from pathlib import PurePosixPath
from urllib.parse import quote

from .due import NOTEBOOKS
from .html import CSS

FILE_LABELS = {
    "scores.csv": "得分汇总",
    "explain.csv": "得分明细（每项指标的依据）",
    "commission.csv": "季度提成台账",
    "excluded_deals.csv": "未计提的回款（未进入 CRM 等）",
    "bonus.csv": "月度绩效奖金",
    "awards.csv": "排名奖励与整改名单",
    "pool.csv": "年度绩效工资分配",
    "problems.csv": "输入数据问题（已跳过的行）",
    "scorecards.xlsx": "考核表（Excel）",
    "payroll.xlsx": "绩效工资表（Excel）",
    "statements": "个人提成确认单",
}
STATUS = {"ok": "成功", "failed": "失败"}

INDEX_CSS = """
.perfpay-index h2 { border-bottom: 1px solid #d8dee4; padding-bottom: .2em; margin-top: 1.6em; }
.perfpay-index table { border-collapse: collapse; margin: .5em 0 1em; }
.perfpay-index th, .perfpay-index td { border: 1px solid #d8dee4; padding: .3em .7em; text-align: left;
                                       vertical-align: top; }
.perfpay-index th { background: #f6f8fa; }
.perfpay-index tr.failed td { background: #fdecea; }
.perfpay-index .status-failed { color: #b00020; font-weight: 600; }
.perfpay-index .status-ok { color: #1a7f37; }
.perfpay-index .error { color: #7a0014; font-family: monospace; white-space: pre-wrap; }
.perfpay-index .summary-failed { border: 2px solid #b00020; background: #fdecea; padding: .6em 1em; }
.perfpay-index .summary-ok { border: 1px solid #1a7f37; background: #eef8f0; padding: .6em 1em; }
.perfpay-index ul.files { margin: .3em 0 1em; }
.perfpay-index .muted { color: #666; font-size: .9em; }
"""


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _href(rel: str) -> str:
    """A relative link to a file under the period folder: each path part percent-encoded."""
    return _e("/".join(quote(part, safe="") for part in PurePosixPath(rel).parts))


def _link(rel: str, text: str | None = None) -> str:
    return f'<a href="{_href(rel)}">{_e(text or PurePosixPath(rel).name)}</a>'


def _department_of(rel: str) -> str:
    parts = PurePosixPath(rel).parts
    return parts[0] if len(parts) > 1 else ""


def _report_link(nb: dict) -> str:
    html_file = (nb.get("files") or {}).get("html")
    return _link(html_file, nb["title"]) if html_file else _e(nb["title"])


def _report_rows(entries: list[dict]) -> str:
    rows = []
    for nb in entries:
        failed = nb["status"] != "ok"
        files = nb.get("files") or {}
        report = _report_link(nb)
        notebook = _link(files["ipynb"], "笔记本 .ipynb") if files.get("ipynb") else ""
        status = (f'<span class="status-failed">失败</span><div class="error">{_e(nb.get("error"))}</div>'
                  if failed else '<span class="status-ok">成功</span>')
        extras = "".join(f"<br />{_link(x)}" for x in nb.get("extras") or [])
        warn = "".join(f'<div class="muted">{_e(w)}</div>' for w in nb.get("warnings") or [])
        label = NOTEBOOKS[nb["notebook"]].label if nb["notebook"] in NOTEBOOKS else nb["notebook"]
        rows.append(f'<tr class="{"failed" if failed else "ok"}"><td>{report}{warn}</td><td>{_e(label)}</td>'
                    f'<td>{_e(nb["period"])}</td><td>{status}</td><td>{nb.get("seconds", 0):.1f} 秒</td>'
                    f"<td>{notebook}{extras}</td></tr>")
    return ("<table>\n<thead><tr><th>报告</th><th>类别</th><th>期间</th><th>状态</th><th>用时</th>"
            "<th>文件</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>")


def _file_list(paths: list[str], folder: str) -> str:
    """Files directly in the folder one per line; the files of a sub-folder (statements/) as a sub-list."""
    top, groups = [], {}
    for rel in sorted(paths):
        inner = PurePosixPath(rel).relative_to(folder) if folder else PurePosixPath(rel)
        if len(inner.parts) > 1:
            groups.setdefault(inner.parts[0], []).append(rel)
        else:
            top.append(rel)
    items = []
    for rel in top:
        name = PurePosixPath(rel).name
        label = FILE_LABELS.get(name)
        items.append(f"<li>{_link(rel)}{' — ' + _e(label) if label else ''}</li>")
    for sub, rels in groups.items():
        label = FILE_LABELS.get(sub, sub)
        inside = PurePosixPath(folder, sub) if folder else PurePosixPath(sub)
        inner = "".join(f"<li>{_link(r, PurePosixPath(r).relative_to(inside).as_posix())}</li>" for r in rels)
        items.append(f"<li>{_e(label)}（{_e(sub)}/，{len(rels)} 个文件）<ul>{inner}</ul></li>")
    return '<ul class="files">\n' + "\n".join(items) + "\n</ul>" if items else '<p class="muted">无</p>'


def index_html(run: dict) -> str:
    """The index page of a run record (the content of run.json, see run.run_period)."""
    period = run["period"]
    notebooks = run.get("notebooks", [])
    data = [f["path"] for f in run.get("data_files", [])]
    depts = list(run.get("departments", []))
    for d in [nb.get("department") for nb in notebooks] + [_department_of(p) for p in data]:
        if d and d not in depts:
            depts.append(d)
    failed = [nb for nb in notebooks if nb["status"] != "ok"]

    parts = [f'<header class="perfpay-header"><p class="perfpay-title">{_e(period)} 绩效报告索引</p>'
             f'<p class="perfpay-meta">生成于 {_e(run.get("finished_at", ""))}，'
             f'共 {len(notebooks)} 份报告、{len(data)} 个数据文件；运行记录 {_link("run.json")}</p></header>']
    if failed:
        lis = "".join(f'<li>{_report_link(nb)}：<span class="error">{_e(nb.get("error"))}</span></li>'
                      for nb in failed)
        parts.append(f'<div class="summary-failed" role="alert"><strong>{len(failed)} 份报告生成失败</strong>'
                     f"（失败的报告仍已保存，出错的单元格已标出）：<ul>{lis}</ul></div>")
    elif notebooks:
        parts.append('<div class="summary-ok">全部报告生成成功。</div>')

    company = [nb for nb in notebooks if not nb.get("department")]
    period_files = [p for p in data if not _department_of(p)]
    if company or period_files:
        parts.append("<section><h2>全公司</h2>")
        if company:
            parts.append(_report_rows(company))
        if period_files:
            parts.append("<h3>数据文件</h3>" + _file_list(period_files, ""))
        parts.append("</section>")
    for d in depts:
        mine = [nb for nb in notebooks if nb.get("department") == d]
        files = [p for p in data if _department_of(p) == d]
        parts.append(f"<section><h2>{_e(d)}</h2>")
        parts.append("<h3>报告</h3>" + (_report_rows(mine) if mine else '<p class="muted">无</p>'))
        parts.append("<h3>数据文件</h3>" + _file_list(files, d))
        parts.append("</section>")

    body = "\n".join(parts)
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\" />\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n"
            f"<title>{_e(period)} 绩效报告索引</title>\n<style type=\"text/css\">{CSS}{INDEX_CSS}</style>\n</head>\n"
            f"<body class=\"perfpay-page perfpay-index\"><main>\n{body}\n</main></body>\n</html>\n")
