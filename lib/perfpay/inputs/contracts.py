"""The table contracts of docs/inputs.md: names, columns and their spellings.

Everything here is data; readers and checks take it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ahead


def norm(text) -> str:
    """Spelling-insensitive form of a name: no spaces, `_` or `-`, lower case."""
    return "".join(ch for ch in str(text) if not ch.isspace() and ch not in "_-").lower()


@dataclass(frozen=True)
class Column:
    name: str                        # canonical English name
    spellings: tuple[str, ...]       # other headers accepted (Chinese first)
    required: bool = True            # the column must be in the file
    needs_value: bool = True         # a blank cell is an error

    @property
    def label(self) -> str:
        """How messages name the column when no header is at hand: `employee_id (工号)`."""
        return f"{self.name} ({self.spellings[0]})" if self.spellings else self.name


@dataclass(frozen=True)
class Table:
    name: str                        # roster | targets | ...
    names: tuple[str, ...]           # file / sheet names that hold it
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def header_map(self) -> dict[str, str]:
        """Normalised header spelling -> canonical column name."""
        out = {}
        for c in self.columns:
            for s in (c.name, *c.spellings):
                out[norm(s)] = c.name
        return out


_ID = ("工号", "员工工号", "员工编号", "员工号")
_PERIOD = ("期间", "考核期间", "考核周期", "月份")
_INDICATOR = ("指标", "考核指标", "指标名称")

TABLES: dict[str, Table] = {t.name: t for t in (
    Table("roster", ahead.ROSTER_NAMES, (
        Column("employee_id", _ID),
        Column("name", ("姓名",)),
        Column("department", ("部门",)),
        Column("branch", ("分部",), needs_value=False),
        Column("role", ("岗位", "职位")),
        Column("hire_date", ("入职日期",)),
        Column("leave_date", ("离职日期",), required=False, needs_value=False),
        Column("manager_id", ("上级工号", "上级"), needs_value=False),
        Column("monthly_bonus_base", ("月度绩效奖金", "绩效奖金基数"), required=False, needs_value=False),
    )),
    Table("targets", ("targets", "目标"), (
        Column("period", _PERIOD),
        Column("employee_id", _ID),
        Column("indicator", _INDICATOR),
        Column("target", ("目标值", "目标")),
    )),
    Table("actuals", ("actuals", "实绩"), (
        Column("period", _PERIOD),
        Column("employee_id", _ID),
        Column("indicator", _INDICATOR),
        Column("actual", ("实际值", "实绩", "实际", "完成值")),
    )),
    Table("events", ("events", "事件"), (
        Column("date", ("日期", "发生日期")),
        Column("employee_id", _ID),
        Column("event", ("事件", "事项")),
        Column("count", ("次数", "数量"), required=False, needs_value=False),
        Column("note", ("备注", "说明"), required=False, needs_value=False),
    )),
    Table("ratings", ("ratings", "评分"), (
        Column("period", _PERIOD),
        Column("employee_id", _ID),
        Column("indicator", _INDICATOR),
        Column("rater_id", ("评分人", "评分人工号", "考核人")),
        Column("rater_role", ("评分角色", "评分人角色")),
        # one of level / score is required: checked by the readers
        Column("level", ("等级",), required=False, needs_value=False),
        Column("score", ("分数", "得分", "评分"), required=False, needs_value=False),
    )),
    Table("adjustments", ("adjustments", "加扣分"), (
        Column("period", _PERIOD),
        Column("employee_id", _ID),
        Column("indicator", _INDICATOR),
        Column("points", ("分值", "加扣分", "分数")),
        Column("reason", ("原因", "理由", "事由")),
        Column("approved_by", ("审批人", "批准人")),
    )),
    # sales tables (SPEC 7): the commission ledger's inputs ----------------------------
    Table("deals", ("deals", "回款", "回款明细", "collections"), (
        Column("date", ("回款日期", "到账日期", "日期")),
        Column("deal_id", ("项目编号", "项目号", "合同编号", "项目")),
        Column("crm_id", ("CRM编号", "CRM号", "CRM"), needs_value=False),   # blank: not in the CRM
        Column("employee_id", _ID),
        Column("share", ("贡献比例", "分成比例", "贡献度", "比例"), required=False, needs_value=False),
        Column("revenue_type", ("收入类型", "收入类别", "类型")),
        Column("amount", ("税后净额", "回款税后净额", "回款金额", "金额")),
        Column("cost", ("成本", "二次开发成本"), required=False, needs_value=False),
        Column("standard_quote", ("标准报价", "实施标准报价"), required=False, needs_value=False),
        Column("refund", ("退款", "是否退款"), required=False, needs_value=False),
    )),
    Table("quotas", ("quotas", "季度任务", "销售任务"), (
        Column("quarter", ("季度", "考核季度", "期间")),
        Column("employee_id", _ID),
        Column("target", ("目标", "任务", "目标值", "任务额", "季度目标")),
        Column("department_target", ("部门目标", "部门任务"), required=False, needs_value=False),
    )),
    Table("wages", ("wages", "薪资", "工资"), (
        Column("employee_id", _ID),
        Column("quarter", ("季度", "期间"), required=False, needs_value=False),   # blank: every quarter
        Column("floating_wage", ("浮动工资", "季度浮动工资")),
        Column("fixed_wage", ("固定工资", "月固定工资")),
    )),
    Table("pools", ("pools", "绩效工资预算", "budgets"), (
        Column("year", ("年度", "年份", "年")),
        Column("department", ("部门",)),
        Column("budget", ("预算", "绩效工资预算", "预算金额")),
    )),
)}

# columns of which at least one must be present
ONE_OF = {"ratings": ("level", "score")}

SOURCE_COLUMNS = ["_file", "_sheet", "_row"]

# folders of raw records (perfpay.kpis), not of input tables
RECORD_FOLDERS = ahead.RECORD_FOLDERS

RATER_ROLE_SPELLINGS = {
    "self": ("self", "本人", "自评", "自己"),
    "superior": ("superior", "上级", "上级评分", "主管"),
    "peer": ("peer", "小组", "同事", "同级", "互评"),
}
RATER_ROLE_HELP = "self, superior, peer, 本人, 上级, 小组"

# revenue types of a deal (SPEC 7): key -> spellings (Chinese first)
REVENUE_TYPES = {
    "software": ("软件", "软件收入", "产品", "software"),
    "implementation": ("实施", "实施费", "实施收入", "implementation"),
    "secondary_dev": ("二次开发", "二开", "二次开发收入", "secondary_dev", "secondary development",
                      "secondarydevelopment"),
    "maintenance": ("维护", "维护费", "运维", "maintenance"),
    "training": ("培训", "培训费", "training"),
}
REVENUE_TYPE_HELP = "software 软件, implementation 实施, secondary_dev 二次开发, maintenance 维护, training 培训"
YES = ("yes", "y", "true", "1", "是", "退款", "√")
NO = ("no", "n", "false", "0", "否")


def table_for_name(name: str) -> str | None:
    """Table named by a file stem or sheet name: `实绩`, `Actuals`, `2026-07_实绩`."""
    return next((table.name for table in TABLES.values() if ahead.named(name, table.names)), None)


def accepted_names() -> str:
    return ", ".join(f"{'/'.join(t.names)}" for t in TABLES.values())
