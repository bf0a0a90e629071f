"""Charts of a report (seaborn's whitegrid theme over matplotlib) that show Chinese on a fresh machine.

    charts.show(charts.grade_distribution(ctx.ranking))   # an embedded PNG in the notebook

`setup_fonts()` picks an installed CJK font (Noto Sans CJK, Source Han, WenQuanYi, Noto Serif
CJK, AR PL), rescanning the system fonts when matplotlib's font cache predates them, and
raises FontError saying to install fonts-noto-cjk when there is none. Figures are made
without pyplot (no global state, nothing shown twice) and drawn once, by the Agg canvas, at
their own size (no tight-bbox pass, which would draw them twice). The report's bar and line
charts are fitted by `MarginLayout`, margins solved from one measuring pass over their tick
labels, axis labels, title, bar labels and legend (constrained layout, `_figure`'s default for
other content, takes the tight box of every artist twice: about 45 % of a chart's time); a
heatmap gets fixed margins measured from its label texts. PNGs are written at zlib level 1
(fast, about 2 % bigger); `show` turns them into PNG images, which the notebook and its HTML embed (no external files).
seaborn gives the theme and the palette; the plots themselves (bars, boxes, dots, a coloured grid)
are drawn by matplotlib, as seaborn's categorical plots are slow on many points.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib
import seaborn as sns
from matplotlib import font_manager as fm
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine, LayoutEngine

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
PALETTE = tuple(sns.color_palette("deep").as_hex())      # the colour cycle of the theme


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
    """seaborn's whitegrid theme, then the CJK font (set_theme resets the font settings).

    Titles sit at the top of their axes (axes.titley 1): no chart has labels above its axes,
    so matplotlib need not measure every tick label to find a place for the title.
    """
    global _themed
    if not _themed:
        sns.set_theme(style="whitegrid", context="notebook")
        _themed = True
    matplotlib.rcParams["axes.titley"] = 1.0
    return setup_fonts()


# output ------------------------------------------------------------------------------------------
def png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes: laid out once, then drawn once by the Agg canvas.

    (savefig with a layout engine draws the figure twice: once to lay it out, once to paint.)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine(None)          # laid out: savefig need not draw it first
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})   # fast; ~2 % bigger
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


def _figure(width: float, height: float, layout="constrained"):
    """A themed figure of `width` × `height` inches and its one axes. `layout` "constrained" (the
    default: fits any content) or "margins" (`MarginLayout`: one axes with ticks, axis labels,
    title, texts and a legend inside or beside it, fitted from one measuring pass)."""
    setup()
    fig = Figure(figsize=(width, height), layout=MarginLayout() if layout == "margins" else layout)
    return fig, fig.add_subplot()


class MarginLayout(LayoutEngine):
    """Places a figure's one axes at margins measured from its decorations, in one pass.

    What it measures: the tick labels, the axis labels, the titles, the axes' texts (bar labels,
    annotations) and a legend inside the axes or anchored at a point beside it (bbox_to_anchor
    (1.01, 1)). Each one's extent is taken once, relative to a point of the axes it follows
    (a tick label follows its tick, the legend its anchor, the title the top), and the axes
    position is solved so that every extent lies inside the figure, `w_pad`/`h_pad` from its edges
    (constrained layout's padding). The y tick labels are measured once the height is known (their
    number depends on it). Constrained layout takes the tight bounding box of every artist, twice.
    A figure it does not know (several axes, figure texts or legends, a colorbar, labels on the top
    or right, an offset text, a legend anchored to a box or to the figure) is laid out by
    constrained layout instead; `used` says which ran ("margins" or "constrained").
    """

    _adjust_compatible = False
    _colorbar_gridspec = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.used = None

    def execute(self, fig):
        try:
            ax = self._single_axes(fig)
            if ax is not None:
                self._place(fig, ax)
                self.used = "margins"
                return
        except (_Unsupported, AttributeError, TypeError):   # or a matplotlib whose internals moved
            pass
        ConstrainedLayoutEngine().execute(fig)
        self.used = "constrained"

    @staticmethod
    def _single_axes(fig):
        if (len(fig.axes) != 1 or fig.texts or fig.legends or fig.images or fig.patches or fig.lines
                or fig.subfigs or getattr(fig, "_suptitle", None) or getattr(fig, "_supxlabel", None)
                or getattr(fig, "_supylabel", None)):
            return None
        ax = fig.axes[0]
        if ax.child_axes or getattr(ax, "_colorbar", None) is not None or ax.name != "rectilinear":
            return None
        return ax

    def _place(self, fig, ax):
        from matplotlib.transforms import Bbox

        renderer = fig._get_renderer()
        dpi = fig.dpi
        W, H = fig.get_size_inches()
        w_pad = matplotlib.rcParams["figure.constrained_layout.w_pad"]
        h_pad = matplotlib.rcParams["figure.constrained_layout.h_pad"]
        box = ax.get_position(original=True)
        L0, R0 = box.x0 * W, box.x1 * W

        def element(fx, fy, bb):
            """(fx, fy, dx0, dx1, dy0, dy1): extent in inches relative to the axes point (fx, fy)."""
            ax_ = ax.transAxes.transform((fx, fy))
            return (fx, fy, (bb.x0 - ax_[0]) / dpi, (bb.x1 - ax_[0]) / dpi,
                    (bb.y0 - ax_[1]) / dpi, (bb.y1 - ax_[1]) / dpi)

        def shown(text):
            return text.get_visible() and text.get_in_layout() and text.get_text() != ""

        def ticks(axis):
            if not axis.get_visible():
                return []
            drawn = axis._update_ticks()                         # also sets the formatter's offset
            if axis.major.formatter.get_offset():
                raise _Unsupported                               # an offset text beside the ticks
            out = []
            to_data = ax.transData + ax.transAxes.inverted()
            for tick in drawn:
                if tick.label2.get_visible() and tick.label2.get_text():
                    raise _Unsupported                           # labels on the top or right
                if shown(tick.label1):
                    loc = tick.get_loc()
                    if axis.axis_name == "x":
                        fx, fy = to_data.transform((loc, 0))[0], 0.0
                    else:
                        fx, fy = 0.0, to_data.transform((0, loc))[1]
                    out.append(element(fx, fy, tick.label1.get_window_extent(renderer)))
            return out

        def label(axis, tick_elements):
            """The axis label below (x) or left of (y) its tick labels and spine, labelpad away."""
            text = axis.label
            if not shown(text) or not axis.get_visible():
                return []
            if not axis._autolabelpos or axis.label_position not in ("bottom", "left"):
                raise _Unsupported
            x = axis.axis_name == "x"
            spine = ax.spines.get("bottom" if x else "left")
            spine_out = 0.0
            if spine is not None and spine.get_visible():
                sb = spine.get_window_extent(renderer)
                spine_out = ((sb.y0 - ax.bbox.y0) if x else (sb.x0 - ax.bbox.x0)) / dpi
            near = min([spine_out, 0.0] + [e[4] if x else e[2] for e in tick_elements])
            base = near - axis.labelpad / 72                       # inches from the axes edge
            bb = text.get_window_extent(renderer)
            px, py = text.get_transform().transform(text.get_unitless_position())
            fx, fy = (text.get_position()[0], 0.0) if x else (0.0, text.get_position()[1])
            anchor = ax.transAxes.transform((fx, fy))
            if x:
                shifted = Bbox.from_extents(bb.x0 - px + anchor[0], bb.y0 - py + anchor[1] + base * dpi,
                                            bb.x1 - px + anchor[0], bb.y1 - py + anchor[1] + base * dpi)
            else:
                shifted = Bbox.from_extents(bb.x0 - px + anchor[0] + base * dpi, bb.y0 - py + anchor[1],
                                            bb.x1 - px + anchor[0] + base * dpi, bb.y1 - py + anchor[1])
            return [element(fx, fy, shifted)]

        def in_axes(point):
            return ax.transAxes.inverted().transform(point)

        first = []                                    # everything but the y axis: sets the height
        for title in (ax.title, ax._left_title, ax._right_title):
            if shown(title):
                if ax._autotitlepos:
                    raise _Unsupported
                first.append(element(*title.get_position(), title.get_window_extent(renderer)))
        xticks = ticks(ax.xaxis) if ax.axison else []
        first += xticks + (label(ax.xaxis, xticks) if ax.axison else [])
        for text in ax.texts:
            if not shown(text):
                continue
            if hasattr(text, "xycoords"):                  # an annotation (a bar label): follows its point
                if not text._check_xy(renderer):           # its point is outside the axes: not drawn
                    continue
                if text.xycoords not in ("data", "axes fraction") or not (
                        text.anncoords in ("offset points", "offset pixels", "offset fontsize")
                        or text.anncoords == text.xycoords):
                    raise _Unsupported
                bb = text.get_window_extent(renderer)
                point = text._get_xy_display()
            elif text.get_transform() in (ax.transData, ax.transAxes):
                bb = text.get_window_extent(renderer)
                point = text.get_transform().transform(text.get_unitless_position())
            else:
                raise _Unsupported
            first.append(element(*in_axes(point), bb))
        for legend in [ax.legend_] if ax.legend_ is not None else []:
            if not legend.get_visible() or not legend.get_in_layout():
                continue
            if legend._bbox_to_anchor is None:             # inside the axes
                continue
            anchor = legend.get_bbox_to_anchor()
            t = getattr(legend._bbox_to_anchor, "_transform", None)
            if (anchor.width > 0.5 or anchor.height > 0.5 or
                    not (t is ax.transAxes or getattr(t, "_boxout", None) is ax.bbox)):
                raise _Unsupported
            first.append(element(*in_axes((anchor.x0, anchor.y0)), legend.get_window_extent(renderer)))

        B, T = _solve([(e[1], e[4], e[5]) for e in first], H, h_pad)
        ax._set_position(Bbox.from_extents(L0 / W, B / H, R0 / W, T / H), which="both")
        second = ticks(ax.yaxis) if ax.axison else []
        second += label(ax.yaxis, second) if ax.axison else []
        B, T = _solve([(e[1], e[4], e[5]) for e in first + second], H, h_pad)
        L, R = _solve([(e[0], e[2], e[3]) for e in first + second], W, w_pad)
        ax._set_position(Bbox.from_extents(L / W, B / H, R / W, T / H), which="both")


class _Unsupported(Exception):
    """MarginLayout does not know this figure: constrained layout lays it out."""


def _solve(elements, size: float, pad: float) -> tuple[float, float]:
    """The widest span (lo, hi) of the axes (inches) along one direction of the figure that keeps
    every element, an extent [lo + f (hi - lo) + d0, lo + f (hi - lo) + d1], within
    [pad, size - pad]. Each element only pushes lo up (what starts before the axes start) or
    hi down (what ends after it), so a few rounds settle it."""
    lo, hi, limit = pad, size - pad, size - pad
    for _ in range(50):
        moved = False
        for f, d0, d1 in elements:
            start = lo + f * (hi - lo) + d0
            if start < pad - 1e-6 and f < 1:
                lo += (pad - start) / (1 - f)
                moved = True
            end = lo + f * (hi - lo) + d1
            if end > limit + 1e-6 and f > 0:
                hi -= (end - limit) / f
                moved = True
        if not moved or hi - lo < 0.2 * size:
            break
    if hi - lo < 0.2 * size:                          # the decorations leave no room: keep some axes
        mid = (lo + hi) / 2
        lo, hi = mid - 0.1 * size, mid + 0.1 * size
    return lo, hi


def _empty(title: str, message: str = "无数据") -> Figure:
    fig, ax = _figure(6, 1.6)
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#6b7280")
    ax.set_title(title)
    return fig


# charts ------------------------------------------------------------------------------------------
def bars(ax, labels, groups: dict, colours: dict | None = None, width: float = 0.8, fmt: str | None = None,
         fontsize: float = 9):
    """Grouped bars: one group per label, one bar per key of `groups` ({key: heights, NaN for none}),
    side by side within `width`; each bar labelled with `fmt`. Returns the bar containers."""
    import numpy as np

    x = np.arange(len(labels))
    n = max(len(groups), 1)
    w = width / n
    out = []
    for i, (key, heights) in enumerate(groups.items()):
        heights = np.asarray(heights, dtype=float)
        keep = ~np.isnan(heights)
        colour = (colours or {}).get(key, PALETTE[i % len(PALETTE)])
        c = ax.bar(x[keep] + (i - (n - 1) / 2) * w, heights[keep], w, color=colour, label=str(key))
        if fmt:
            ax.bar_label(c, fmt=fmt, padding=2, fontsize=fontsize)
        out.append(c)
    ax.set_xticks(x, [str(v) for v in labels])
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.grid(False, axis="x")
    return out


def _order(values) -> list:
    """Categories in order of appearance."""
    import pandas as pd
    return list(pd.unique(pd.Series(values)))


def grade_distribution(ranking, grades=GRADES, by: str | None = None, title: str = "等级分布") -> Figure:
    """People per grade (bars in grade order and colour); with `by`, grouped by that column."""
    import pandas as pd

    if ranking is None or len(ranking) == 0:
        return _empty(title)
    grades = list(grades)
    palette = {g: GRADE_COLOURS.get(g, "#6b7280") for g in grades}
    if by is None:
        counts = ranking["grade"].value_counts().reindex(grades, fill_value=0)
        fig, ax = _figure(6.4, 3.4, layout="margins")
        c = ax.bar(range(len(grades)), counts.to_numpy(), 0.8, color=[palette[g] for g in grades])
        ax.bar_label(c, fmt="%d", padding=2, fontsize=9)
        ax.set_xticks(range(len(grades)), grades)
        ax.set_xlim(-0.5, len(grades) - 0.5)
        ax.grid(False, axis="x")
        ax.set_xlabel("等级")
    else:
        counts = pd.crosstab(ranking[by], ranking["grade"]).reindex(columns=grades, fill_value=0)
        fig, ax = _figure(max(6.4, 1.6 * len(counts) + 2), 3.8, layout="margins")
        bars(ax, list(counts.index), {g: counts[g].to_numpy() for g in grades}, palette, fmt="%d")
        ax.set_xlabel("")
        ax.legend(title="等级", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_ylabel("人数")
    ax.set_title(title)
    ax.margins(y=0.15)
    return fig


def cell_numbers(ax, xy, texts: list[str], colours: list, fontsize: float = 8) -> None:
    """Each text centred on its (x, y) in data units: one collection of glyph outlines, each
    distinct text shaped once (a Text per cell is slow to make, lay out and draw on big grids)."""
    from matplotlib.collections import PathCollection
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    prop, shapes = FontProperties(size=fontsize), {}
    for text in set(texts):
        path = TextPath((0, 0), text, prop=prop)              # in points
        (x0, y0), (x1, y1) = path.vertices.min(axis=0), path.vertices.max(axis=0)
        shapes[text] = path.transformed(Affine2D().translate(-(x0 + x1) / 2, -(y0 + y1) / 2))
    ax.add_collection(PathCollection(
        [shapes[t] for t in texts], offsets=xy, offset_transform=ax.transData, facecolors=colours,
        edgecolors="none", linewidths=0, transform=Affine2D().scale(1 / 72) + ax.figure.dpi_scale_trans,
        in_layout=False), autolim=False)


def _text_inches(renderer, texts, size: float) -> tuple[float, float]:
    """Widest width and tallest height (inches) of `texts` in the chart font at `size` points."""
    from matplotlib.font_manager import FontProperties

    prop, w, h = FontProperties(size=size), 0.0, 0.0
    for text in set(texts):
        tw, th, _ = renderer.get_text_width_height_descent(text, prop, ismath=False)
        w, h = max(w, tw), max(h, th)
    return w / renderer.dpi, h / renderer.dpi


def _heatmap_axes(fig, labels_x, labels_y, title: str, label: str, angle: float = 35):
    """The heatmap's axes and its colorbar's, at fixed margins measured from the label texts
    (what constrained layout found, without its passes over every artist): tick labels on the
    left and below (rotated by `angle`), the title above, a colorbar 0.8 of the height on the right."""
    import math
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rc = matplotlib.rcParams
    r = FigureCanvasAgg(fig).get_renderer()
    edge = rc["figure.constrained_layout.w_pad"] + 2 / 72                 # blank at each side
    tick_pad = (rc["ytick.major.pad"] + rc["ytick.major.size"]) / 72
    yw, _ = _text_inches(r, labels_y, 9)
    sin, cos = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    x_extents = [_text_inches(r, [t], 9) for t in labels_x]
    below = max((w * sin + h * cos for w, h in x_extents), default=0)
    _, title_h = _text_inches(r, [title], rc["axes.titlesize"])
    cw, _ = _text_inches(r, ["100"], rc["ytick.labelsize"])                 # widest of 0 … 100
    _, label_h = _text_inches(r, [label], rc["axes.labelsize"])
    width, height = fig.get_size_inches()
    left = edge + yw + tick_pad
    bottom = edge + below + tick_pad
    top = edge + title_h + rc["axes.titlepad"] / 72
    side = tick_pad + cw + rc["axes.labelpad"] / 72 + label_h + edge        # right of the colorbar
    # axes width a: a + 0.05 a (pad) + 0.8 h / 20 (colorbar) + side = width - left
    h = height - bottom - top
    a = (width - left - side - 0.04 * h) / 1.05
    cols = max(len(labels_x), 1)
    for i, (w, th) in enumerate(x_extents):                          # rotated labels reach left
        need = w * cos + th * sin + tick_pad * sin + edge - (i + 0.5) * a / cols
        if need > left:
            a -= (need - left) / 1.05
            left = need
    ax = fig.add_axes((left / width, bottom / height, a / width, h / height))
    cax = fig.add_axes(((left + 1.05 * a) / width, (bottom + 0.1 * h) / height, 0.04 * h / width,
                        0.8 * h / height))
    return ax, cax


def indicator_heatmap(matrix, title: str = "指标得分率（% of 满分）") -> Figure:
    """People × indicators heatmap, each cell the points earned as % of the indicator's points."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    from .tables import HEAT_COLOURS, heat_colours

    if matrix is None or matrix.empty:
        return _empty(title)
    rows, cols = matrix.shape
    values = np.ma.masked_invalid(matrix.astype(float).to_numpy())
    setup()
    fig = Figure(figsize=(max(6.5, 0.95 * cols + 3.2), max(2.4, 0.34 * rows + 1.6)))
    xlabels, ylabels = [str(c) for c in matrix.columns], [str(r) for r in matrix.index]
    cmap, norm = colormaps[HEAT_COLOURS], Normalize(0, 100)
    ax, cax = _heatmap_axes(fig, xlabels, ylabels, title, "% 满分")
    mesh = ax.pcolormesh(values, cmap=cmap, norm=norm, edgecolors="white", linewidth=0.4)
    filled = values.filled(np.nan)
    at = np.argwhere(~np.isnan(filled))
    shown = filled[at[:, 0], at[:, 1]]
    cell_numbers(ax, at[:, ::-1] + 0.5, [f"{v:.0f}" for v in shown], heat_colours(shown)[1])
    bar = fig.colorbar(mesh, cax=cax, label="% 满分")
    bar.outline.set_visible(False)
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(cols) + 0.5, xlabels, rotation=35, ha="right", fontsize=9)
    ax.set_yticks(np.arange(rows) + 0.5, ylabels, fontsize=9)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    return fig


def heatmaps(shares: dict) -> list[Figure]:
    """One heatmap per role of `summary.indicator_shares`."""
    return [indicator_heatmap(m, f"{role}：指标得分率（% 满分）") for role, m in shares.items()]


def trend(frame, title: str = "年内平均分趋势", by: str = "role", legend: str = "岗位") -> Figure:
    """Mean total per role (or `by`) over the periods of the year (`summary.trend`)."""
    import pandas as pd

    if frame is None or len(frame) == 0:
        return _empty(title)
    fig, ax = _figure(7.5, 3.6, layout="margins")
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
    if frame is None or len(frame) == 0:
        return _empty(title)
    n = frame[x].nunique() * (frame[hue].nunique() if hue else 1)
    fig, ax = _figure(max(6.4, 0.55 * n + 2.5), 3.8, layout="margins")
    labels = _order(frame[x])
    if hue:
        means = frame.groupby([hue, x], sort=False)[y].mean()
        groups = {h: [means.get((h, v), float("nan")) for v in labels] for h in _order(frame[hue])}
    else:
        means = frame.groupby(x, sort=False)[y].mean()
        groups = {y: [means[v] for v in labels]}
    bars(ax, labels, groups, fmt="%.1f", fontsize=8)
    ax.set_ylabel("平均分")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.margins(y=0.15)
    if hue:
        ax.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig
