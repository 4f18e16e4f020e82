"""Relative doses (fractions of the full dose, in (0, 1]) as text, one family for every use.

* :func:`dose_label`: file names and wildcards, the shortest exact text ('0.05');
* :func:`dose_percent`: tables and claims ('5 %');
* :func:`dose_caption`: figure titles and axes ('5 % dose');
* :func:`dose_key`: a float that compares equal for a dose read back from any of these texts.
"""

from __future__ import annotations


def dose_label(dose: float) -> str:
    """The text of a dose in file names and wildcards: the shortest exact form, e.g. '0.05'."""
    return repr(float(dose))


def dose_percent(dose: float) -> str:
    """A dose as a percentage with at most 6 decimals: 0.05 -> '5 %'."""
    return f"{round(dose * 100, 6):g} %"


def dose_caption(dose: float) -> str:
    """A dose as figures name it: 0.05 -> '5 % dose'."""
    return f"{dose_percent(dose)} dose"


def dose_key(dose: float) -> float:
    """A dose rounded to 9 decimals, so 0.1 parsed from text and 0.1 in code are one key."""
    return round(float(dose), 9)
