"""The batch of a period: data files, report notebooks run by papermill in parallel, HTML for managers.

    from perfpay.batch import run_period
    result = run_period("2026Q3", jobs=4)          # outputs/2026Q3/{run.json,index.html,<部门>/...}
    result.ok, result.failed

Modules: due (which notebooks a period needs), execute (one notebook in a worker), html (the
manager's page: no code, table of contents, print CSS, offline), manifest (hashes, versions),
index (index.html), run (the orchestration); cluster and remote run the notebooks on a Dask
cluster instead of local processes (`run_period(..., scheduler="tcp://host:8786")`, needs the
dask extra, imported only then).
"""

import sys

# nbformat (papermill's, nbconvert's) imports jsonschema, which imports rfc3987_syntax when it is
# installed: that compiles a grammar on import, 1-2 s of CPU in this process and in every worker,
# for jsonschema's optional "iri" format checks, which notebook validation never makes. Leave it out.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

from .due import NOTEBOOKS, DueFacts, NotebookJob, due_notebooks, facts_from_files  # noqa: E402
from .html import external_references, make_offline, render_html  # noqa: E402
from .index import index_html  # noqa: E402
from .run import BatchError, RunResult, run_notebooks, run_period  # noqa: E402

__all__ = ["NOTEBOOKS", "BatchError", "DueFacts", "NotebookJob", "RunResult", "due_notebooks",
           "external_references", "facts_from_files", "index_html", "make_offline", "render_html",
           "run_notebooks", "run_period"]
