"""``newsbeam report``: one self-contained HTML page about an output folder (its runs, articles,
duplicates, errors, entities, places, quotes and counts), with plotly.js and the map's world
outlines inlined, so it opens with no network access.

It is built in two halves: :mod:`.data` queries the folder's tables with DuckDB (within
--since/--until) into plain, typed data, :class:`~.data.Report`; :mod:`.page` draws that data as
Plotly figures and HTML, with the counts per date step the page's own date filter redraws from.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from newsbeam.pipeline.report.data import load
from newsbeam.pipeline.report.page import render


def build_report(output: str, since: Optional[dt.date] = None, until: Optional[dt.date] = None) -> str:
    """The report page for ``output`` as one HTML string."""
    return render(load(output, since, until))
