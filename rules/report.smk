rule statistics_page:
    """The statistics table as readable HTML tables, one per metric, for the report."""
    input:
        table="results/stats/stats.tsv",
    output:
        page=report(
            "results/report/statistics.html",
            caption="report/statistics.rst",
            category="Statistical tests",
            labels={"table": "Statistics"},
        ),
    log:
        "results/logs/statistics_page.log",
    benchmark:
        "results/benchmarks/statistics_page.tsv"
    conda:
        "../envs/science.yaml"
    params:
        alpha=config["stats"]["alpha"],
    script:
        "../workflow_scripts/statistics_page.py"


rule run_settings:
    """The effective configuration and the software versions, as a report page and a table."""
    output:
        page=report(
            "results/report/settings.html",
            caption="report/settings.rst",
            category="Settings",
            labels={"table": "Configuration and software"},
        ),
        versions="results/report/software_versions.tsv",
    log:
        "results/logs/run_settings.log",
    benchmark:
        "results/benchmarks/run_settings.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        config=config,
    script:
        "../workflow_scripts/run_settings.py"


rule provenance:
    """What the results came from: the config and its hash, the git commit, the SHA-256 of every
    acquired DICOM and of the original DnCNN's checkpoints, and the software versions.
    """
    input:
        dicoms=expand(
            "results/dicom/{image}.dcm", image=STUDY.eval_images + STUDY.train_images
        ),
        checkpoints=provenance_checkpoints(),
    output:
        provenance=report(
            "results/provenance.json",
            caption="report/provenance.rst",
            category="Settings",
            labels={"table": "Provenance (JSON)"},
        ),
    log:
        "results/logs/provenance.log",
    benchmark:
        "results/benchmarks/provenance.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        config=config,
        config_sha256=config_sha256(config),
        # Functions: git and the package metadata are read only where this job is planned.
        git=lambda wildcards: git_state(workflow.basedir),
        software=lambda wildcards: installed_versions(),
    script:
        "../workflow_scripts/provenance.py"
