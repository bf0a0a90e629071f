"""The raw record contracts of docs/records.md: tables, columns and their spellings.

Raw records are the exports behind the KPIs of SPEC 5, 6 and 8 (calls, tickets, ...).
They live under `inputs/records/` (or `inputs/原始记录/`) as CSV, xlsx or Parquet, one
table per file or sheet, named after the table (`通话.parquet`, `calls_2026-07.csv`).
`kind` says how a column is parsed: id, text, datetime, date, month, seconds, number,
money, count, flag, score.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..inputs.contracts import Column as _Column
from ..inputs.contracts import RECORD_FOLDERS, Table, norm  # noqa: F401  (re-exported for readers)


@dataclass(frozen=True)
class Column(_Column):
    kind: str = "text"


def col(name, spellings, kind="text", required=True, needs_value=True) -> Column:
    return Column(name, tuple(spellings), required, needs_value, kind)


_ID = ("工号", "员工工号", "坐席工号", "座席工号", "agent_id", "员工编号")
_CUSTOMER = ("客户编号", "客户号", "客户ID", "客户")

RECORDS: dict[str, Table] = {t.name: t for t in (
    Table("calls", ("calls", "通话", "通话记录", "话务"), (
        col("call_id", ("通话编号", "呼叫编号", "通话ID"), "id"),
        col("employee_id", _ID, "id", needs_value=False),          # blank: abandoned before an agent
        col("customer_id", _CUSTOMER, "id", needs_value=False),
        col("direction", ("方向", "呼叫方向"), "text"),            # in 呼入 / out 呼出
        col("offered_at", ("呼入时间", "来电时间", "开始时间"), "datetime"),
        col("answered_at", ("接听时间", "应答时间"), "datetime", needs_value=False),
        col("ended_at", ("结束时间", "挂机时间"), "datetime", needs_value=False),
        col("talk_s", ("通话时长", "通话秒数"), "seconds", needs_value=False),
        col("hold_s", ("保持时长", "保持秒数"), "seconds", required=False, needs_value=False),
        col("wrap_s", ("话后处理时长", "整理时长"), "seconds", required=False, needs_value=False),
        col("category", ("问题类别", "类别", "业务类型"), "text", required=False, needs_value=False),
        col("abandoned", ("放弃", "是否放弃", "呼损"), "flag", required=False, needs_value=False),
    )),
    Table("tickets", ("tickets", "工单", "投诉", "工单投诉"), (
        col("ticket_id", ("工单编号", "投诉编号", "工单号"), "id"),
        col("customer_id", _CUSTOMER, "id", needs_value=False),
        col("employee_id", _ID, "id"),
        col("category", ("问题类别", "类别"), "text", required=False, needs_value=False),
        col("opened_at", ("受理时间", "创建时间", "投诉时间"), "datetime"),
        col("resolved_at", ("解决时间", "办结时间", "关闭时间"), "datetime", needs_value=False),
        col("is_complaint", ("是否投诉", "投诉"), "flag", required=False, needs_value=False),
        col("valid", ("是否有效", "有效投诉"), "flag", required=False, needs_value=False),
        col("cause", ("原因", "投诉原因"), "text", required=False, needs_value=False),  # slow_response 响应慢
        col("satisfaction", ("满意度", "解决满意度", "回访满意度"), "score", required=False, needs_value=False),
    )),
    Table("feedback", ("feedback", "客户意见", "意见反馈"), (
        col("feedback_id", ("意见编号", "编号"), "id"),
        col("employee_id", _ID, "id"),
        col("customer_id", _CUSTOMER, "id", required=False, needs_value=False),
        col("received_at", ("收到时间", "受理时间"), "datetime"),
        col("answered_at", ("反馈时间", "答复时间"), "datetime", needs_value=False),
        col("sla_hours", ("时限小时", "时限"), "number", required=False, needs_value=False),
    )),
    Table("handoffs", ("handoffs", "信息传递", "信息传递记录"), (
        col("handoff_id", ("传递编号", "编号"), "id"),
        col("employee_id", _ID, "id"),
        col("received_at", ("收到时间", "接收时间"), "datetime"),
        col("answered_at", ("传递时间", "处理时间"), "datetime", needs_value=False),
        col("sla_hours", ("时限小时", "时限"), "number", required=False, needs_value=False),
    )),
    Table("followups", ("followups", "回访", "回访记录"), (
        col("date", ("日期", "回访日期"), "date"),
        col("employee_id", _ID, "id"),
        col("planned", ("计划回访数", "计划数", "应回访"), "count"),
        col("done", ("完成回访数", "完成数", "已回访"), "count"),
    )),
    Table("surveys", ("surveys", "满意度", "满意度调查"), (
        col("survey_id", ("调查编号", "编号"), "id"),
        col("date", ("日期", "调查日期"), "date"),
        col("employee_id", _ID, "id"),
        col("customer_id", _CUSTOMER, "id", required=False, needs_value=False),
        col("score", ("评分", "满意度", "分数"), "score"),                  # 1..5
        col("ticket_id", ("工单编号", "投诉编号"), "id", required=False, needs_value=False),
    )),
    Table("qa", ("qa", "电话抽查", "质检", "抽查"), (
        col("sample_id", ("抽查编号", "编号"), "id", required=False, needs_value=False),
        col("date", ("日期", "抽查日期"), "date"),
        col("employee_id", _ID, "id"),
        col("score", ("得分", "分数", "评分"), "number"),                  # out of 100
        col("call_id", ("通话编号",), "id", required=False, needs_value=False),
    )),
    Table("attendance", ("attendance", "出勤", "考勤"), (
        col("month", ("月份", "期间"), "month"),
        col("employee_id", _ID, "id"),
        col("days_scheduled", ("应出勤天数", "排班天数"), "number"),
        col("days_present", ("实际出勤天数", "出勤天数"), "number"),
    )),
    Table("orders", ("orders", "合同", "订单", "合同订单"), (
        col("order_id", ("合同编号", "订单编号", "合同号"), "id"),
        col("customer_id", _CUSTOMER, "id"),
        col("customer_name", ("客户名称",), "text", required=False, needs_value=False),
        col("group", ("集团", "所属集团", "集团编号"), "id", required=False, needs_value=False),
        col("employee_id", _ID, "id", required=False, needs_value=False),   # the salesperson
        col("date", ("签订日期", "下单日期", "日期"), "date"),
        col("volume", ("方量", "数量", "合同方量"), "number"),              # 方
        col("amount", ("金额", "合同金额"), "money", required=False, needs_value=False),
        col("overdue_days", ("逾期天数", "最长逾期天数"), "count", required=False, needs_value=False),
        col("referred_by", ("推荐客户", "推荐人"), "id", required=False, needs_value=False),
        col("strategic", ("战略客户", "是否战略客户"), "flag", required=False, needs_value=False),
        col("terminated_on", ("终止日期", "解约日期"), "date", required=False, needs_value=False),
    )),
    Table("visits", ("visits", "拜访", "拜访记录"), (
        col("visit_id", ("拜访编号", "编号"), "id"),
        col("employee_id", _ID, "id"),
        col("customer_id", _CUSTOMER, "id", required=False, needs_value=False),
        col("visit_date", ("拜访日期", "日期"), "date"),
        col("summary_date", ("总结日期", "拜访总结日期"), "date", needs_value=False),   # blank: no summary
        col("follow_up_date", ("跟进日期", "回访日期"), "date", needs_value=False),      # blank: none yet
        col("expense", ("报销金额", "费用"), "money", required=False, needs_value=False),
    )),
)}


def record_table_for_name(name: str) -> str | None:
    """Record table named by a file stem or sheet name: `通话`, `calls_2026-07`, `2026-07_通话`."""
    text = "".join(str(name).split()).lower()
    for table in RECORDS.values():
        for n in table.names:
            n = n.lower()
            if text == n or text.startswith(n + "_") or text.startswith(n + "-") \
                    or text.endswith("_" + n) or text.endswith("-" + n):
                return table.name
    return None
