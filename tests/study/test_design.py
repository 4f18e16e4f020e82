"""The study model: images, split, doses and methods derived once from a validated config."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from conftest import REPO
from ldct.core.errors import LdctInputError
from ldct.denoising.originals import DEFAULT_ORIGINAL
from ldct.study.design import load_study

SCHEMA = REPO / "config" / "schema.yaml"
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def study(change: dict | None = None):
    config = copy.deepcopy(DEFAULT)
    for section, value in (change or {}).items():
        config[section] = value
    return load_study(config, SCHEMA)


def test_default_study():
    """49 abdominal slices of 4 patients: the 21 of PANCREAS_0001 and KiTS-00072 evaluated (the
    split's patterns expand in config order), the 28 of the other two patients trained on."""
    default = study()
    assert default.eval_images == (
        "abdomen", *(f"pancreas_{n:02d}" for n in range(1, 13)), *(f"kits_{n:02d}" for n in range(1, 9))
    )
    assert default.train_images == (
        *(f"totalseg_{n:02d}" for n in range(1, 21)), *(f"cmb_{n:02d}" for n in range(1, 9))
    )
    assert default.declared_patients["totalseg_01"] == "TotalSegmentator-example"
    assert default.declared_patients["kits_01"] is None  # its DICOM PatientID tells
    assert default.sources["kits_01"].sha256 is not None  # shipped: checked against SHA256SUMS
    assert default.eval_dose_labels == ["0.75", "0.5", "0.1", "0.05"]
    assert default.train_dose_labels[-1] == "0.01"
    assert default.realizations == 2
    assert default.figure_image == "abdomen"
    assert default.sources["abdomen"].text == "explicit_VR-UN.dcm"
    assert default.sources["abdomen"].dicom.endswith("explicit_VR-UN.dcm")
    assert default.pretrained_checkpoint == str(DEFAULT_ORIGINAL)


def test_method_facts_come_from_the_registry():
    default = study()
    assert default.cnn_methods == ["dncnn", "dncnn_tra", "dncnn_full"]
    assert default.finetuned_methods == ["dncnn_tra", "dncnn_full"]
    assert "noisy" not in default.figure_methods and len(default.figure_methods) == 7
    assert default.trained_models() == {
        "DnCNN, pretraining (natural images)": "results/dncnn/pretrained/epochs.tsv",
        "DnCNN_Tra, last layer fine-tuned": "results/dncnn/dncnn_tra/epochs.tsv",
        "DnCNN_full, all layers fine-tuned": "results/dncnn/dncnn_full/epochs.tsv",
    }
    assert list(default.trained_models("per_dose.tsv").values()) == [
        "results/dncnn/pretrained/per_dose.tsv",
        "results/dncnn/dncnn_tra/per_dose.tsv",
        "results/dncnn/dncnn_full/per_dose.tsv",
    ]


def test_a_fine_tuned_method_alone_still_shows_its_pretraining():
    only = study({"denoise": {"methods": ["dncnn_full"]}, "stats": {"reference": "dncnn_full"}})
    assert list(only.trained_models().values()) == [
        "results/dncnn/pretrained/epochs.tsv",
        "results/dncnn/dncnn_full/epochs.tsv",
    ]


def test_explicit_training_images_and_profile_doses():
    assert study({"split": {"eval": ["abdomen"], "train": ["cmb_01"]}}).train_images == ("cmb_01",)
    assert study({"split": {"eval": ["kits_0[12]"], "train": ["cmb_*"]}}).eval_images == ("kits_01", "kits_02")
    assert study().profile_doses == (0.5, 0.1)
    assert study({"doses": {"eval": [0.75, 0.1], "train": [0.5]}}).profile_doses == (0.1,)
    assert study({"doses": {"eval": [0.3, 0.2], "train": [0.5]}}).profile_doses == (0.3, 0.2)
    chosen = study({"figures": {"profile": {"doses": [0.05]}}})
    assert chosen.profile_doses == (0.05,) and chosen.profile_dose_labels == ["0.05"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"split": {"eval": ["liver"]}}, "config key split.eval: unknown image id(s) ['liver']"),
        ({"split": {"eval": ["liver_*"]}}, "config key split.eval: pattern 'liver_*' matches no image id"),
        ({"split": {"eval": ["abdomen"], "train": ["abdomen"]}}, "in both eval and train"),
        (
            {"split": {"eval": ["*"], "train": []}},
            "config key split.train: methods ['dncnn_tra', 'dncnn_full'] need training images",
        ),
        ({"figures": {"image": "cmb_01"}}, "config key figures.image: 'cmb_01' is not an eval image"),
        ({"data": {"source": "local_dicom"}}, "config key data.local_dicom.folder: required"),
        (
            {"data": {"source": "local_dicom", "local_dicom": {"folder": "/no/such/folder"}}},
            "config key data.local_dicom.folder: '/no/such/folder' is not a folder",
        ),
        (
            {"data": {"embedded": [{"image": "a", "file": "no_such_file.dcm"}]},
             "split": {"eval": ["a"]}},
            "config key data.embedded[0].file: file 'no_such_file.dcm' is neither shipped by ldct",
        ),
        (
            {"data": {"embedded": [{"image": "a", "file": "CT_small.dcm"},
                                   {"image": "a", "file": "693_UNCR.dcm"}]},
             "split": {"eval": ["a"]}},
            "config key data.embedded[1].image: id 'a' is used twice",
        ),
    ],
)
def test_what_needs_the_images_is_checked_when_the_study_is_built(change, message):
    with pytest.raises(LdctInputError) as error:
        study(change)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "source, noise, name",
    [
        ("authors", "blind", "authors_dncnn_b.pt"),
        ("authors", "fixed", "authors_dncnn_s25.pt"),
        ("ldct", "blind", "dncnn_blind.pt"),
        ("ldct", "fixed", "dncnn_sigma25.pt"),
    ],
)
def test_each_shipped_original_dncnn_is_chosen_by_source_and_noise(source, noise, name):
    chosen = study({"dncnn": {"pretrain": {"source": source, "noise": noise}}}).pretrained_checkpoint
    assert chosen == str(REPO / "ldct" / "models" / name)


@pytest.mark.parametrize(
    "pretrain, finetune, message",
    [
        (
            {"source": "authors", "noise": "fixed", "noise_sigma": 15}, {},
            "config key dncnn.pretrain.noise_sigma: ldct ships fixed-noise models for sigma 25 only, not 15",
        ),
        (
            {"source": "authors"}, {"batchnorm": "reestimate"},
            "config key dncnn.finetune.batchnorm: reestimate needs batch norms",
        ),
        (
            {"source": "train", "image_folder": "/no/such/pictures"}, {},
            "config key dncnn.pretrain.image_folder: '/no/such/pictures' is not a folder",
        ),
    ],
)
def test_original_dncnn_settings_that_cannot_work_are_refused(pretrain, finetune, message):
    with pytest.raises(LdctInputError) as error:
        study({"dncnn": {"pretrain": pretrain, "finetune": finetune}})
    assert str(error.value).startswith(message)


def test_ldcts_own_network_may_have_its_batch_norms_reestimated():
    change = {"dncnn": {"pretrain": {"source": "ldct"}, "finetune": {"batchnorm": "reestimate"}}}
    assert study(change).config["dncnn"]["finetune"]["batchnorm"] == "reestimate"


def test_a_patient_is_never_on_both_sides_of_the_split():
    embedded = [
        {"image": "a", "file": "CT_small.dcm", "patient": "P1"},
        {"image": "b", "file": "693_UNCR.dcm", "patient": "P2"},
        {"image": "c", "file": "bad_sequence.dcm", "patient": "P1"},
    ]
    assert study({"data": {"embedded": embedded}, "split": {"eval": ["b"]}}).train_images == ("a", "c")
    with pytest.raises(LdctInputError) as error:
        study({"data": {"embedded": embedded}, "split": {"eval": ["a"], "train": ["b", "c"]}})
    assert str(error.value) == (
        "config key split: patient 'P1' has slices in eval ('a') and in train ('c')"
    )


def test_building_the_study_imports_no_torch():
    """The Snakefile builds the study at parse time: that must not pay for torch."""
    code = (
        "import sys, yaml; from ldct.study.design import load_study; "
        f"load_study(yaml.safe_load(open({str(REPO / 'config' / 'config.yaml')!r})), {str(SCHEMA)!r}); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_study_is_frozen():
    with pytest.raises(AttributeError):
        study().eval_images = ("spine",)
