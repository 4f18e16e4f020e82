rule sensitivity_table:
    """Each claim's verdict and deciding numbers under every variant, what that says of the
    claim, how many claims each variant reproduces, and the figures."""
    input:
        claims=sensitivity_claims,
    output:
        table=report(
            "results/sensitivity/claims.tsv",
            caption="report/sensitivity_table.rst",
            category="Sensitivity",
            labels={"table": "Claims under each variant (TSV)"},
        ),
        robustness="results/sensitivity/robustness.tsv",
        reproduced=report(
            "results/sensitivity/reproduced.tsv",
            caption="report/sensitivity_reproduced.rst",
            category="Sensitivity",
            labels={"table": "Claims reproduced per variant (TSV)"},
        ),
        reproduced_figure=report(
            "results/sensitivity/reproduced.png",
            caption="report/sensitivity_reproduced.rst",
            category="Sensitivity",
            labels={"figure": "Claims reproduced per variant"},
        ),
        figure=report(
            "results/sensitivity/claims.png",
            caption="report/sensitivity_figure.rst",
            category="Sensitivity",
            labels={"figure": "Claims under each variant"},
        ),
        page=report(
            "results/report/sensitivity.html",
            caption="report/sensitivity_page.rst",
            category="Sensitivity",
            labels={"table": "Sensitivity study"},
        ),
    log:
        "results/logs/sensitivity_table.log",
    benchmark:
        "results/benchmarks/sensitivity_table.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        names=STUDIES.names,
        variants=[
            {"name": v.name, "reading": v.reading, "why": v.why, "set": v.changes}
            for v in STUDIES.variants
        ],
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/sensitivity_table.py"
