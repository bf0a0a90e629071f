"""Exceptions of perfpay. Every message says what is wrong and how to fix it."""

from __future__ import annotations


class PerfpayError(Exception):
    """Base class of every error perfpay raises on purpose."""


class WriteError(PerfpayError, OSError):
    """An output file that could not be written; nothing of the run was moved into place."""


class PeriodError(PerfpayError, ValueError):
    """A period label that cannot be read."""


class ParamsError(PerfpayError):
    """One or more problems in params/, all listed at once."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in params:\n{lines}")


class InputError(PerfpayError):
    """Inputs have errors; `report` lists every one of them."""

    def __init__(self, report):
        self.report = report
        super().__init__(report.summary())
