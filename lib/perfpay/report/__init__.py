"""Reports for managers: the data of a report, its figures, HTML tables and charts.

    from perfpay.report import load, summary, tables, charts
    ctx = load("2026Q3", "客户服务部")                       # params, inputs, scores, pay
    tables.table(summary.ranking(ctx), name="ranking")      # escaped HTML, Chinese headers
    charts.show(charts.grade_distribution(ctx.ranking))     # PNG with Chinese text

Modules: context (load, project_root, params overlays), summary (the figures shown), kpi_section
(the KPIs of the raw records),
tables (HTML), charts (seaborn with a CJK font). The notebooks in notebooks/ are a few
calls into these.
"""

from .context import ReportContext, ReportError, load, load_params_with_overlay, project_root

__all__ = ["ReportContext", "ReportError", "load", "load_params_with_overlay", "project_root"]
