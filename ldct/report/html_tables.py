"""Small self-contained HTML pages of tables, for the Snakemake report."""

from __future__ import annotations

import html
import math
from typing import Mapping, Sequence

from ldct.core.storage import table_number

STYLE = """
body { font-family: sans-serif; font-size: 13px; margin: 1em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td.reproduced { background: #d9f2d9; }
td.not-reproduced { background: #f7d4d4; }
td.inconclusive { background: #f5ecc8; }
td.not-converged { background: #e8e0f0; }
pre { background: #f7f7f7; padding: 0.8em; }
"""

#: CSS class of the cell of each claims verdict.
VERDICT_CLASSES = {
    "reproduced": "reproduced",
    "not reproduced": "not-reproduced",
    "inconclusive": "inconclusive",
    "inconclusive (network did not converge)": "not-converged",
}


def format_cell(value: object) -> tuple[str, str]:
    """(text, css class) of a table cell: numbers to 4 significant digits, NA/NaN as a dash."""
    text = str(value)
    try:
        number = table_number(text)
    except ValueError:
        return text, VERDICT_CLASSES.get(text, "")
    if math.isnan(number):
        return "–", "number"
    if number != 0 and abs(number) < 1e-3:
        return f"{number:.2e}", "number"
    return f"{number:.4g}", "number"


def table_html(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> str:
    """An HTML table of ``rows`` with one column per key in ``columns``, escaped."""
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            text, css = format_cell(row[column])
            attribute = f' class="{css}"' if css else ""
            cells.append(f"<td{attribute}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html_page(title: str, sections: Sequence[tuple[str, str]], introduction: str = "") -> str:
    """A standalone HTML page: a title, an introduction and (heading, HTML body) sections."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if introduction:
        parts.append(f"<p>{html.escape(introduction)}</p>")
    for heading, body in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>{body}")
    parts.append("</body></html>")
    return "\n".join(parts)


def preformatted(text: str) -> str:
    """``text`` as an escaped <pre> block."""
    return f"<pre>{html.escape(text)}</pre>"
