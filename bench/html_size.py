"""Size of the HTML department report of a 50-person department (target under 2 MB).

    python bench/html_size.py [--people 50] [--period 2026Q3] [--smoke]

A synthetic 客户服务部 of --people people (客服专员, 售后服务专员, 售后服务主管 in the sample's
mix, four branches) with the months of the period; `perfpay run --department 客户服务部` writes
its department_report.html, self-contained (charts and styles inside), which is measured.
MB here is 10^6 bytes.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import common
import synth
from common import Figure

NAME = "html_size"
DEPARTMENT = "客户服务部"
CARDS = ("service_agent", "aftersales_specialist", "service_supervisor")
SIZES = {"people": (50, 12)}
TARGETS = {"mb": 2.0}


def main(argv=None) -> int:
    args = common.options(__doc__.splitlines()[0], SIZES, argv,
                          period=(str, None, "period of the report (default 2026Q3; --smoke: 2026-07)"))
    started = common.load()
    period = args.period or ("2026-07" if args.smoke else "2026Q3")
    months = [m.label for m in synth.Period.parse(period).months()]
    company = synth.make_company(people=args.people, branches=4, months=months, cards=CARDS)
    tmp = Path(tempfile.mkdtemp(prefix="perfpay-bench-"))
    try:
        inputs, out = tmp / "inputs", tmp / "out"
        company.write(inputs)
        child = common.measured([common.PYTHON, "-m", "perfpay.cli", "run", "--period", period, "--inputs", inputs,
                                 "--params", synth.PARAMS, "--out", out, "--jobs", 1,
                                 "--department", DEPARTMENT]).check("perfpay run")
        record = json.loads((out / period / "run.json").read_text(encoding="utf-8"))
        report = next(nb for nb in record["notebooks"] if nb["notebook"] == "department_report")
        if report["status"] != "ok":
            raise RuntimeError(f"department_report failed: {report['error']}")
        page = out / period / report["files"]["html"]
        size = page.stat().st_size
        text = page.read_text(encoding="utf-8")
        images = text.count("<img")
        embedded = sum(len(m) for m in re.findall(r"data:image/[a-z+]+;base64,([A-Za-z0-9+/=]+)", text))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    figures = [Figure("department_report.html", size / 1e6, "MB", "<", TARGETS["mb"],
                      note=f"{args.people} people; {images} images, base64 data URIs {embedded / 1e6:.2f} MB of it")]
    facts = {"period": period, "department": DEPARTMENT, "people": args.people, "bytes": size,
             "img_tags": images, "base64_bytes": embedded, "run_seconds": round(child.seconds, 1)}
    common.report(NAME, f"HTML department report of a {args.people}-person department ({period})", figures, facts,
                  args.smoke, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
