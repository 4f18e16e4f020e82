"""The claims of every sensitivity variant side by side, and what that says of each claim.

Input: each study's claims table (:data:`ldct.evaluation.claims.CLAIM_COLUMNS`), the default study
first. Output rows (:data:`SENSITIVITY_COLUMNS`) are claim x variant, with the verdict and the
numbers it was decided on; :func:`claim_robustness` sums up each claim over the variants and
:func:`reproduced_per_variant` each variant over the claims.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from ldct.evaluation.claims import VERDICTS

SENSITIVITY_COLUMNS = ("claim", "variant", "reading", "verdict", "our_numbers")
ROBUSTNESS_COLUMNS = ("claim", "paper_statement", "conclusion", *VERDICTS)
#: The columns of :func:`reproduced_per_variant` before one ``claim_<id>`` column per claim.
REPRODUCED_COLUMNS = ("variant", "reading", "reproduced", "claims", "reproduced_claims")


def sensitivity_rows(
    claims_by_variant: Mapping[str, Sequence[Mapping[str, str]]], readings: Mapping[str, str]
) -> list[dict[str, str]]:
    """One row per claim and variant (claim-major, variants in the given order)."""
    variants = list(claims_by_variant)
    claims = [row["claim"] for row in claims_by_variant[variants[0]]]
    for variant in variants:
        found = [row["claim"] for row in claims_by_variant[variant]]
        if found != claims:
            raise ValueError(f"variant '{variant}' checks claims {found}, the others {claims}")
    return [
        {
            "claim": claim,
            "variant": variant,
            "reading": readings[variant],
            "verdict": row["verdict"],
            "our_numbers": row["our_numbers"],
        }
        for index, claim in enumerate(claims)
        for variant in variants
        for row in [claims_by_variant[variant][index]]
    ]


def claim_robustness(
    rows: Sequence[Mapping[str, str]], statements: Mapping[str, str]
) -> list[dict[str, str]]:
    """Per claim: the variants under each verdict, and a one-line conclusion.

    'holds under every variant' / 'fails under every variant' when all verdicts are
    'reproduced' / 'not reproduced'; otherwise 'depends on the reading: ...' naming each
    variant whose verdict differs from the default's (the first variant of ``rows``) and its
    verdict.
    """
    summary = []
    for claim in dict.fromkeys(row["claim"] for row in rows):
        mine = [row for row in rows if row["claim"] == claim]
        verdicts = {row["variant"]: row["verdict"] for row in mine}
        distinct = set(verdicts.values())
        if distinct == {"reproduced"}:
            conclusion = "holds under every variant"
        elif distinct == {"not reproduced"}:
            conclusion = "fails under every variant"
        elif distinct == {"inconclusive"}:
            conclusion = "inconclusive under every variant"
        else:
            default = mine[0]["verdict"]
            differing = [f"{v}: {verdict}" for v, verdict in verdicts.items() if verdict != default]
            conclusion = f"depends on the reading: {default} by default; {', '.join(differing)}"
        entry = {"claim": claim, "paper_statement": statements[claim], "conclusion": conclusion}
        for verdict in VERDICTS:
            entry[verdict] = ", ".join(v for v, found in verdicts.items() if found == verdict) or "-"
        summary.append(entry)
    return summary


def reproduced_per_variant(
    rows: Sequence[Mapping[str, str]],
) -> tuple[list[dict[str, str | int]], tuple[str, ...]]:
    """Per variant (in the order of ``rows``): how many claims it reproduces, of how many, which
    (ids joined by spaces, '-' for none), and each claim's verdict as column ``claim_<id>``.

    Returns the rows and their columns (:data:`REPRODUCED_COLUMNS`, then the claim columns).
    """
    claims = list(dict.fromkeys(row["claim"] for row in rows))
    table = []
    for variant in dict.fromkeys(row["variant"] for row in rows):
        mine = {row["claim"]: row for row in rows if row["variant"] == variant}
        reproduced = [claim for claim in claims if mine[claim]["verdict"] == "reproduced"]
        entry: dict[str, str | int] = {
            "variant": variant,
            "reading": mine[claims[0]]["reading"],
            "reproduced": len(reproduced),
            "claims": len(claims),
            "reproduced_claims": " ".join(reproduced) or "-",
        }
        entry.update({f"claim_{claim}": mine[claim]["verdict"] for claim in claims})
        table.append(entry)
    return table, REPRODUCED_COLUMNS + tuple(f"claim_{claim}" for claim in claims)
