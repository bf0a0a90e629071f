"""Charts of a report (seaborn / matplotlib) that show Chinese on a fresh machine.

    charts.show(charts.grade_distribution(ctx.ranking))   # an embedded PNG in the notebook

`setup_fonts()` picks an installed CJK font (Noto Sans CJK, Source Han, WenQuanYi, Noto Serif
CJK, AR PL), rescanning the system fonts when matplotlib's font cache predates them, and
raises FontError saying to install fonts-noto-cjk when there is none. Figures are made
without pyplot (no global state, nothing shown twice); `show` turns them into PNG images,
which the notebook and its HTML embed (no external files).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib
from matplotlib import font_manager as fm
from matplotlib.figure import Figure

from ..errors import PerfpayError

FONT_PACKAGE = "fonts-noto-cjk"
SAMPLE = "优秀良好合格不合格部门分部"
PREFERRED = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Sans CJK TC", "Noto Sans CJK HK", "Noto Sans CJK JP", "Noto Sans CJK KR", "Source Han Sans",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei Sharp",
    "Noto Serif CJK SC", "Noto Serif SC", "Source Han Serif SC", "Source Han Serif CN",
    "Noto Serif CJK TC", "Noto Serif CJK JP", "Noto Serif CJK KR", "Source Han Serif",
    "AR PL UMing CN", "AR PL UKai CN", "AR PL UMing TW", "AR PL UKai TW", "AR PL UMing HK",
)
NAME_HINTS = ("CJK", "Source Han", "WenQuanYi", "AR PL", "Noto Sans SC", "Noto Serif SC")
FILE_HINTS = ("cjk", "sourcehan", "source-han", "wqy", "wenquanyi", "uming", "ukai", "arphic",
              "notosanssc", "notoserifsc")
GRADE_COLOURS = {"优秀": "#2d6a4f", "良好": "#1d4ed8", "合格": "#d97706", "不合格": "#b91c1c"}
GRADES = tuple(GRADE_COLOURS)


class FontError(PerfpayError):
    """No installed font can draw Chinese."""


_chosen: str | None = None


def _draws(name: str, sample: str = SAMPLE) -> bool:
    """The font matplotlib uses for family `name` has a glyph for every character of `sample`."""
    try:
        path = fm.findfont(fm.FontProperties(family=name), fallback_to_default=False)
        font = fm.get_font(path)
    except Exception:
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in sample)


def _candidates() -> list[str]:
    names = {f.name for f in fm.fontManager.ttflist}
    ordered = [n for n in PREFERRED if n in names]
    ordered += sorted(n for n in names if n not in ordered and any(h in n for h in NAME_HINTS))
    return ordered


def _find() -> str | None:
    for name in _candidates():
        if _draws(name):
            return name
    return None


def _rescan() -> int:
    """Add CJK font files installed since matplotlib built its font cache; rewrite the cache."""
    known = {os.path.realpath(f.fname) for f in fm.fontManager.ttflist}
    added = 0
    paths = set(fm.findSystemFonts()) | set(fm.findSystemFonts(fontext="otf"))
    for path in sorted(paths):
        if os.path.realpath(path) in known or not any(h in Path(path).name.lower() for h in FILE_HINTS):
            continue
        try:
            fm.fontManager.addfont(path)
            added += 1
        except Exception:              # an unreadable font file is not ours to fix
            continue
    if added:
        try:                           # the file _load_fontmanager reads: next kernels start with it
            cache = Path(matplotlib.get_cachedir(), f"fontlist-v{fm.FontManager.__version__}.json")
            fm.json_dump(fm.fontManager, cache)
        except Exception:
            pass
    return added


def setup_fonts(force: bool = False) -> str:
    """Use an installed CJK font for every chart; returns its family name.

    Sets font.sans-serif (the CJK font first), font.family sans-serif, axes.unicode_minus
    False (an ASCII minus, which CJK fonts draw) and text.parse_math False (a name with $
    stays text). Raises FontError when no installed font draws Chinese.
    """
    global _chosen
    if _chosen is None or force:
        name = _find()
        if name is None and _rescan():
            name = _find()
        if name is None:
            raise FontError(
                "no installed font can draw Chinese (looked for Noto Sans CJK, Source Han, WenQuanYi, "
                f"Noto Serif CJK, AR PL); install one: `sudo apt-get install -y {FONT_PACKAGE}` on Debian/Ubuntu "
                "(google-noto-sans-cjk-fonts on Fedora, font-noto-cjk on Alpine), then restart the kernel")
        _chosen = name
    rc = matplotlib.rcParams
    rc["font.family"] = "sans-serif"
    rc["font.sans-serif"] = [_chosen] + [f for f in rc["font.sans-serif"] if f != _chosen]
    rc["axes.unicode_minus"] = False
    rc["text.parse_math"] = False
    return _chosen


def font_path(name: str | None = None) -> str:
    """The file matplotlib draws family `name` (default: the chosen CJK font) from."""
    name = name or setup_fonts()
    return str(fm.findfont(fm.FontProperties(family=name), fallback_to_default=False))


_themed = False


def setup() -> str:
    """seaborn's theme, then the CJK font (set_theme resets the font settings)."""
    global _themed
    if not _themed:
        import seaborn as sns
        sns.set_theme(style="whitegrid", context="notebook")
        _themed = True
    return setup_fonts()


# output ------------------------------------------------------------------------------------------
def png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def image(fig: Figure, dpi: int = 110):
    """The figure as an IPython PNG image (embedded in the notebook and in its HTML)."""
    from IPython.display import Image
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return Image(data=png(fig, dpi), format="png", alt=titles[0] if titles else "chart")


def show(figures, dpi: int = 110):
    """One figure: its PNG image (the cell shows it). Several: each displayed, nothing returned."""
    if figures is None:
        return None
    if isinstance(figures, Figure):
        return image(figures, dpi)
    from IPython.display import display
    for fig in figures:
        display(image(fig, dpi))
    return None


def _figure(width: float, height: float):
    setup()
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _empty(title: str, message: str = "无数据") -> Figure:
    fig, ax = _figure(6, 1.6)
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#6b7280")
    ax.set_title(title)
    return fig


# charts ------------------------------------------------------------------------------------------
def grade_distribution(ranking, grades=GRADES, by: str | None = None, title: str = "等级分布") -> Figure:
    """People per grade (bars in grade order and colour); with `by`, grouped by that column."""
    import pandas as pd
    import seaborn as sns

    if ranking is None or len(ranking) == 0:
        return _empty(title)
    grades = list(grades)
    palette = {g: GRADE_COLOURS.get(g, "#6b7280") for g in grades}
    if by is None:
        counts = ranking["grade"].value_counts().reindex(grades, fill_value=0)
        data = pd.DataFrame({"grade": grades, "people": counts.to_numpy()})
        fig, ax = _figure(6.4, 3.4)
        sns.barplot(data=data, x="grade", y="people", hue="grade", palette=palette, order=grades,
                    legend=False, ax=ax)
        ax.set_xlabel("等级")
    else:
        counts = pd.crosstab(ranking[by], ranking["grade"]).reindex(columns=grades, fill_value=0)
        data = counts.reset_index().melt(id_vars=by, var_name="grade", value_name="people")
        fig, ax = _figure(max(6.4, 1.6 * len(counts) + 2), 3.8)
        sns.barplot(data=data, x=by, y="people", hue="grade", hue_order=grades, palette=palette, ax=ax)
        ax.set_xlabel("")
        ax.legend(title="等级", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    for container in ax.containers:
        ax.bar_label(container, fmt="%d", padding=2, fontsize=9)
    ax.set_ylabel("人数")
    ax.set_title(title)
    ax.margins(y=0.15)
    return fig


def indicator_heatmap(matrix, title: str = "指标得分率（% of 满分）") -> Figure:
    """People × indicators heatmap, each cell the points earned as % of the indicator's points."""
    import seaborn as sns

    if matrix is None or matrix.empty:
        return _empty(title)
    rows, cols = matrix.shape
    fig, ax = _figure(max(6.5, 0.95 * cols + 3.2), max(2.4, 0.34 * rows + 1.6))
    sns.heatmap(matrix.astype(float), ax=ax, cmap="RdYlGn", vmin=0, vmax=100, annot=True, fmt=".0f",
                annot_kws={"fontsize": 8}, linewidths=0.4, linecolor="white",
                cbar_kws={"label": "% 满分", "shrink": 0.8})
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=35, labelsize=9)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.tick_params(axis="y", labelsize=9)
    return fig


def heatmaps(shares: dict) -> list[Figure]:
    """One heatmap per role of `summary.indicator_shares`."""
    return [indicator_heatmap(m, f"{role}：指标得分率（% 满分）") for role, m in shares.items()]


def trend(frame, title: str = "年内平均分趋势", by: str = "role", legend: str = "岗位") -> Figure:
    """Mean total per role (or `by`) over the periods of the year (`summary.trend`)."""
    import pandas as pd

    if frame is None or len(frame) == 0:
        return _empty(title)
    fig, ax = _figure(7.5, 3.6)
    f = frame.assign(x=pd.to_datetime(frame["end"]))
    for role, part in f.groupby(by, sort=True):
        part = part.sort_values("x")
        ax.plot(part["x"], part["mean_value"], marker="o", label=role)
    ticks = f.groupby("x")["period"].agg(lambda p: "\n".join(sorted(set(p)))).sort_index()
    ax.set_xticks(list(ticks.index))
    ax.set_xticklabels(list(ticks.values), fontsize=8)
    ax.set_ylabel("平均分")
    ax.set_xlabel("")
    ax.set_title(title)
    ax.legend(title=legend, frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def comparison(frame, x: str = "branch", y: str = "mean_value", hue: str | None = "department",
               title: str = "分部对比：平均分", xlabel: str = "") -> Figure:
    """Bars of mean totals by `x`, one colour per `hue` (departments, or roles)."""
    import seaborn as sns

    if frame is None or len(frame) == 0:
        return _empty(title)
    n = frame[x].nunique() * (frame[hue].nunique() if hue else 1)
    fig, ax = _figure(max(6.4, 0.55 * n + 2.5), 3.8)
    sns.barplot(data=frame, x=x, y=y, hue=hue, ax=ax, errorbar=None)
    for container in ax.containers:
        ax.bar_label(container, fmt="%.1f", padding=2, fontsize=8)
    ax.set_ylabel("平均分")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.margins(y=0.15)
    if hue:
        ax.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig
