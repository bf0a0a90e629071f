"""Every KPI of a period from the raw records: service (SPEC 8), key accounts (5), visits (6).

    result = compute(params, records, roster, "2026Q3")
    result.kpis        # long frame: period × level × unit × KPI, numerator and denominator
    result.accounts    # key-account classes at the period's end, with the reason
    result.churn       # key accounts active at the start: lost or kept, and why
    result.visits      # visits that block reimbursement or were followed up late

A KPI is computed for each month of the period, each quarter, and the period itself
(2026Q3: 2026-07, 2026-08, 2026-09 and 2026Q3), each from its own records.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal

import pandas as pd

from ..errors import ParamsError
from ..periods import Period
from .accounts import AccountSettings, churn, classify, retention_kpis
from .service import service_kpis
from .settings import ServiceSettings
from .visits import VisitSettings, blocked_visits, visit_kpis

ID = "employee_id"
KEY_ACCOUNT_DEPARTMENT = "大客户部"      # orders and visits of no known salesperson count here


@dataclass
class KpiResult:
    period: Period
    kpis: pd.DataFrame
    accounts: pd.DataFrame
    churn: pd.DataFrame
    visits: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def department(self, name: str) -> "KpiResult":
        """The rows of one department (accounts, churn and visits by the salesperson's department)."""
        k = self.kpis[self.kpis["department"] == name]
        return KpiResult(self.period, k.reset_index(drop=True), *(
            _of(t, name) for t in (self.accounts, self.churn, self.visits)), notes=list(self.notes))


def _of(table: pd.DataFrame, department: str) -> pd.DataFrame:
    if "department" not in table:
        return table
    return table[table["department"] == department].reset_index(drop=True)


def units(period) -> list[Period]:
    """The periods a KPI is given for: the months, the quarters, then the period itself."""
    p = Period.parse(period)
    out = p.months()
    if p.unit != "month":
        out += p.quarters()
    if p.unit not in ("month", "quarter"):
        out.append(p)
    return out


def settings(params, period):
    """(ServiceSettings, AccountSettings, VisitSettings) of params/kpis.yaml in force for `period`."""
    doc = params.document("kpis", period)
    service = ServiceSettings.from_mapping(doc.get("service"))
    return service, _settings(AccountSettings, doc.get("accounts"), "accounts"), \
        _settings(VisitSettings, doc.get("visits"), "visits")


def _settings(cls, values, section: str):
    values = dict(values or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ParamsError([f"kpis.yaml {section}: unknown setting(s) {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(known))}"])
    problems, typed = [], {}
    for name, value in values.items():
        default = getattr(cls, name)
        try:
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError
                typed[name] = value
            elif isinstance(default, int):
                if Decimal(str(value)) != int(Decimal(str(value))) or Decimal(str(value)) < 0:
                    raise ValueError
                typed[name] = int(Decimal(str(value)))
            else:
                typed[name] = Decimal(str(value))
                if not typed[name].is_finite() or typed[name] < 0:
                    raise ValueError
        except (ValueError, ArithmeticError):
            kind = "true or false" if isinstance(default, bool) else \
                "a whole number of 0 or more" if isinstance(default, int) else "a number of 0 or more"
            problems.append(f"kpis.yaml {section}.{name}: {value!r} is not {kind}")
    if problems:
        raise ParamsError(problems)
    return cls(**typed)


def compute(params, records, roster: pd.DataFrame, period) -> KpiResult:
    period = Period.parse(period)
    service_s, account_s, visit_s = settings(params, period)
    spans = units(period)
    parts = [service_kpis(records, roster, spans, service_s)]
    departments = roster.set_index(ID)["department"]
    orders = _with_department(_plain(records["orders"]), departments)
    visits = _with_department(_plain(records["visits"]).rename(columns={"expense_fen": "expense"}), departments)
    for dept, rows in orders.groupby("department", sort=True):
        parts += [retention_kpis(rows, p, account_s, department=dept) for p in spans]
    for dept, rows in visits.groupby("department", sort=True):
        parts += [visit_kpis(rows, p, visit_s, department=dept) for p in spans]
    kpis = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else parts[0]
    accounts = _with_department(classify(orders, pd.Timestamp(period.end), account_s), departments)
    lost = _with_department(churn(orders, period, account_s), departments)
    listed = _with_department(blocked_visits(visits, period, visit_s), departments)
    return KpiResult(period, _ordered(kpis), accounts, lost, listed)


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns (ids, files) as plain objects: the account and visit tables are small."""
    cats = [c for c in table.columns if isinstance(table[c].dtype, pd.CategoricalDtype)]
    return table.astype({c: object for c in cats}) if cats else table


def _with_department(table: pd.DataFrame, departments: pd.Series) -> pd.DataFrame:
    """`department` of each row's salesperson; rows of no known salesperson go to 大客户部."""
    dept = table[ID].map(departments) if len(table) else pd.Series(dtype=object)
    return table.assign(department=dept.fillna(KEY_ACCOUNT_DEPARTMENT).to_numpy() if len(table) else [])


LEVEL_ORDER = {"person": 0, "team": 1, "branch": 2, "department": 3}


def _ordered(kpis: pd.DataFrame) -> pd.DataFrame:
    if kpis.empty:
        return kpis
    order = {p.label: i for i, p in enumerate(sorted({Period.parse(x) for x in kpis["period"].unique()},
                                                      key=lambda p: (p.size, p.start)))}
    key = pd.DataFrame({"p": kpis["period"].map(order), "l": kpis["level"].map(LEVEL_ORDER)})
    return kpis.iloc[key.sort_values(["p", "l"], kind="stable").index].reset_index(drop=True)
