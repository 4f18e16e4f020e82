"""The method registry: the one list of methods, and entries that fit their functions."""

from __future__ import annotations

import inspect
import re
import shutil

import numpy as np
import pytest
from scipy import ndimage

from conftest import REPO, snakemake
from ldct.core.errors import LdctInputError
from ldct.core.methods import (
    METHODS,
    REGISTRY,
    Method,
    default_methods,
    method,
    method_label,
    require_extras,
    paper_filters,
    parameters_schema,
    registered,
)
from ldct.core.storage import read_table

#: Where the study's code and settings live; each must leave the list of methods to the registry.
CODE = [
    *sorted((REPO / "ldct").rglob("*.py")),
    *sorted((REPO / "workflow_scripts").glob("*.py")),
    *sorted((REPO / "rules").glob("*.smk")),
    REPO / "Snakefile",
    *sorted((REPO / "config").glob("*.yaml")),
]


def test_the_method_list_appears_once():
    """No file but ldct/core/methods.py names three or more methods in a row (a list of them)."""
    name = "|".join(sorted(METHODS, key=len, reverse=True))
    listing = re.compile(rf"\b({name})\b(?:[\s,'\"|\[\]()]+\b({name})\b){{2,}}")
    found = {
        str(path.relative_to(REPO)): match.group(0)
        for path in CODE
        if path.name != "methods.py"
        for match in [listing.search(path.read_text())]
        if match
    }
    assert found == {}
    assert listing.search("methods: [noisy, median, gaussian, wiener]")  # the test can fail
    assert listing.search('FILTERS = ("median", "gaussian", "wiener")')


def test_every_function_takes_the_parameters_its_entry_declares_with_the_same_defaults():
    """The registry's parameter defaults (the config's) are those of the functions themselves."""
    for entry in METHODS.values():
        if entry.kind == "cnn":
            assert entry.function is None and entry.parameters == {}
            continue
        signature = inspect.signature(entry.resolve_function())
        for parameter, schema in entry.parameters.items():
            assert signature.parameters[parameter].default == schema["default"], (entry.name, parameter)


def test_parameters_schema_has_an_object_per_method():
    schema = parameters_schema()
    assert list(schema["properties"]) == list(METHODS)
    assert schema["properties"]["median"]["properties"]["size_px"]["minimum"] == 1


def test_lookups_and_labels():
    assert method("dncnn_tra").finetune == "last" and method("dncnn_full").finetune == "all"
    assert method("dncnn").model == "pretrained" and method("dncnn").finetune is None
    assert method_label("dncnn_tra") == "DnCNN_Tra" and method_label("bilateral") == "bilateral"
    assert paper_filters() == ["median", "gaussian", "wiener"]
    with pytest.raises(ValueError, match="unknown denoising method 'bilateral'"):
        method("bilateral")


def test_a_method_of_an_optional_extra_is_not_a_default_and_its_absence_is_found(monkeypatch):
    """bm3d needs the extra 'bm3d' (non-commercial licence): never a default method, and listed
    while its package is missing, it is named with its extra."""
    import importlib.util

    assert method("bm3d").extra == "bm3d" and "bm3d" not in default_methods()
    assert default_methods() == [name for name in METHODS if name != "bm3d"]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "bm3d" else real(name))
    require_extras(["gaussian", "nl_means"], "--method")
    with pytest.raises(LdctInputError, match=r"^--method: bm3d needs the optional extra 'bm3d'"):
        require_extras(["gaussian", "bm3d", "nl_means"], "--method")


@pytest.mark.parametrize(
    "entry, message",
    [
        (dict(kind="neural"), "kind must be one of"),
        (dict(kind="cnn"), "a model folder exactly when kind is cnn"),
        (dict(kind="filter", model="x", function="m:f"), "a model folder exactly when kind is cnn"),
        (dict(kind="filter"), "kind filter needs a function"),
        (dict(kind="cnn", model="x", finetune="middle"), "finetune must be one of"),
    ],
)
def test_malformed_entries_are_refused(entry, message):
    with pytest.raises(ValueError, match=message):
        Method("toy", label="Toy", description="a toy", **entry)


def test_names_are_unique():
    assert list(registered()) == [entry.name for entry in REGISTRY]
    with pytest.raises(ValueError, match="not unique"):
        registered(REGISTRY + (REGISTRY[0],))


#: A filter added to a copy of ldct: its function in a new module, its entry in the registry.
TOY_FUNCTION = '''
import numpy as np
from scipy import ndimage


def box(image, size_px=3):
    """Mean of each size_px x size_px neighbourhood."""
    return ndimage.uniform_filter(np.asarray(image, dtype=np.float64), size_px, mode="reflect")
'''
TOY_ENTRY = '''    Method("toy_box", "filter", "Toy box", "box filter", function="ldct.denoising.toy_filter:box",
           parameters={"size_px": _size_px(1, 3)}, in_paper=True),
'''


@pytest.mark.slow
def test_a_method_added_to_the_registry_runs_through_the_whole_study(tmp_path):
    """A copy of the workflow whose registry has one more filter, and no other change: the tiny
    study denoises with it, scores it, tests it and draws it, and the claims check counts it."""
    code = tmp_path / "code"
    code.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("Snakefile", "rules", "workflow_scripts", "config", "envs", "ldct", "profiles"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, code / name, ignore=ignore)
        else:
            shutil.copy(source, code / name)
    registry = code / "ldct" / "core" / "methods.py"
    text = registry.read_text()
    end = text.index("\n)\n", text.index("REGISTRY: tuple[Method, ...] = ("))
    registry.write_text(text[: end + 1] + TOY_ENTRY + text[end + 1 :])
    (code / "ldct" / "denoising" / "toy_filter.py").write_text(TOY_FUNCTION)

    workdir = tmp_path / "study"
    (workdir / "config").mkdir(parents=True)
    for config in ("config.yaml", "test.yaml"):
        shutil.copy(code / "config" / config, workdir / "config" / config)
    snakemake(workdir, "--configfile", "config/test.yaml", "--cores", "2", code=code)
    results = workdir / "results"
    metrics = [row for row in read_table(results / "metrics/metrics.tsv") if row["method"] == "toy_box"]
    assert len(metrics) == 2 * 2 * 2  # doses x realizations x the two eval slices
    stats = [row for row in read_table(results / "stats/stats.tsv") if row["method"] == "toy_box"]
    assert len(stats) == 2 * 4 and all(row["reference_method"] == "dncnn" for row in stats)
    low = np.load(results / "simulated/abdomen/dose0.1.npy")[0]
    box = np.load(results / "denoised/toy_box/abdomen/dose0.1.npy")[0]
    np.testing.assert_allclose(box, ndimage.uniform_filter(low.astype(np.float64), 3, mode="reflect"), atol=1e-3)
    claim_a = read_table(results / "claims/claims.tsv")[0]
    assert "toy_box" in claim_a["test"] and "toy_box" in claim_a["our_numbers"]
    for figure in ("slices.png", "profiles.png", "scores_ssim_paper.png"):
        assert (results / "figures" / figure).is_file()
    log = (results / "logs/figure_images.log").read_text() + (results / "logs/figure_scores/ssim_paper.log").read_text()
    assert log.count("Toy box") == 2


def test_every_function_the_registry_names_resolves_to_a_callable():
    """The registry names functions by 'module:attribute' strings (imported only when a denoise
    job runs); a renamed module or function fails here, not in a study."""
    named = [entry for entry in METHODS.values() if entry.function is not None]
    assert named and all(callable(entry.resolve_function()) for entry in named)
