"""Which report notebooks are due for a period, and with which parameters.

    department_report       each department, for the period itself
    commission_statements   each quarter of the period (a quarter, or the quarters of a half or a
                            year) and each department with commission rows in that quarter
    pay_pool                a year, for each department with an annual pool
    company_overview        once per period, when the run covers every department

The facts a rule needs (which departments have commission rows in which quarter, which have a
pool) are read from the data files of the same run (`facts_from_files`), so a notebook is due
exactly when the table it presents was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..periods import Period


@dataclass(frozen=True)
class Notebook:
    """A report notebook of notebooks/ and how its HTML is titled."""

    name: str        # file stem in notebooks/
    scope: str       # "department": one run per department; "company": one per period
    title: str       # str.format(department=..., period=...)
    label: str       # what the index calls it


NOTEBOOKS = {
    "department_report": Notebook("department_report", "department", "{department} 绩效报告 {period}", "绩效报告"),
    "commission_statements": Notebook("commission_statements", "department", "{department} 季度提成 {period}",
                                      "季度提成"),
    "pay_pool": Notebook("pay_pool", "department", "{department} 年度绩效工资分配 {period}", "年度绩效工资分配"),
    "company_overview": Notebook("company_overview", "company", "公司绩效总览 {period}", "公司绩效总览"),
}


@dataclass(frozen=True)
class NotebookJob:
    """One execution of one notebook: its own period (a quarter of a year run, say) and department."""

    notebook: str
    period: str                  # the notebook's period label
    department: str | None       # None for a company notebook
    run_period: str              # the period of the run (the output folder)

    @property
    def spec(self) -> Notebook:
        return NOTEBOOKS[self.notebook]

    @property
    def title(self) -> str:
        return self.spec.title.format(department=self.department or "", period=self.period).strip()

    @property
    def stem(self) -> str:
        """File name without suffix: the notebook's name, plus its own period when it differs from the run's."""
        return self.notebook if self.period == self.run_period else f"{self.notebook}_{self.period}"

    @property
    def folder(self) -> str:
        """Folder relative to outputs/<period>/: the department's, or the period's own for a company notebook."""
        return self.department or ""

    @property
    def key(self) -> str:
        """Unique name within a run, e.g. 大客户部/commission_statements_2026Q3."""
        return f"{self.folder}/{self.stem}" if self.folder else self.stem

    def relpath(self, suffix: str) -> str:
        return f"{self.key}{suffix}"

    def parameters(self, inputs_dir, params_dir) -> dict:
        """What papermill injects: period, department (department notebooks), absolute input folders."""
        p = {"period": self.period}
        if self.department is not None:
            p["department"] = self.department
        p["inputs_dir"] = str(Path(inputs_dir).resolve())
        p["params_dir"] = str(Path(params_dir).resolve())
        return p


@dataclass(frozen=True)
class DueFacts:
    """What the due rules need to know about the data: {department: quarters} and pool departments."""

    commission: dict            # department -> set of quarter labels with commission rows
    pools: frozenset            # departments with an annual pool table


def facts_from_files(files: dict, out) -> DueFacts:
    """Read the due facts from the data files of a run ({path: DataFrame or writer})."""
    out = Path(out)
    commission, pools = {}, set()
    for path, value in files.items():
        rel = Path(path).relative_to(out)
        if len(rel.parts) != 2 or callable(value) or value is None or value.empty:
            continue
        dept, name = rel.parts
        if name == "commission.csv" and "quarter" in value.columns:
            commission.setdefault(dept, set()).update(str(q) for q in value["quarter"].dropna().unique())
        elif name == "pool.csv":
            pools.add(dept)
    return DueFacts(commission, frozenset(pools))


def due_notebooks(period, departments, facts: DueFacts, company: bool = True) -> list[NotebookJob]:
    """Every notebook due for `period` and `departments` (in this order: reports, commission, pools, company).

    `company`: whether the company overview is due (a run narrowed to some departments leaves it out).
    """
    period = Period.parse(period)
    run = period.label
    departments = list(departments)
    jobs = [NotebookJob("department_report", run, d, run) for d in departments]
    quarters = [] if period.unit == "month" else [q.label for q in period.quarters()]
    order = departments + sorted(d for d in facts.commission if d not in departments)
    for q in quarters:
        jobs += [NotebookJob("commission_statements", q, d, run) for d in order
                 if q in facts.commission.get(d, ())]
    if period.unit == "year":
        pool_order = departments + sorted(d for d in facts.pools if d not in departments)
        jobs += [NotebookJob("pay_pool", run, d, run) for d in pool_order if d in facts.pools]
    if company:
        jobs.append(NotebookJob("company_overview", run, None, run))
    return jobs
