"""HTML pages of the report: cells formatted and escaped, verdicts coloured."""

from __future__ import annotations

from ldct.report.html_tables import format_cell, html_page, preformatted, table_html


def test_cells_are_formatted_by_kind():
    assert format_cell("0.822892933") == ("0.8229", "number")
    assert format_cell("1.61e-19") == ("1.61e-19", "number")
    assert format_cell("NA") == ("–", "number")
    assert format_cell("10") == ("10", "number")
    assert format_cell("not reproduced") == ("not reproduced", "not-reproduced")
    assert format_cell("dncnn_tra") == ("dncnn_tra", "")


def test_table_escapes_text_and_keeps_column_order():
    html = table_html([{"b": "<script>", "a": "0.5"}], ["a", "b"])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.index("<th>a</th>") < html.index("<th>b</th>")
    assert '<td class="number">0.5</td>' in html


def test_page_is_standalone_utf8_html():
    page = html_page("Claims & more", [("Heading", preformatted("x < 1"))], "intro")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<title>Claims &amp; more</title>" in page
    assert "<pre>x &lt; 1</pre>" in page
