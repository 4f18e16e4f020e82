"""The train / eval table, and the guarantee that no eval slice is trained on."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.study.split import check_eval_rows, split_table


def image(seed: int, uid: str = "", spacing=(0.7, 0.7), patient_id: str = ""):
    pixels = np.random.default_rng(seed).normal(0, 10, (8, 6)).astype(np.float32)
    meta = {"pixel_spacing_mm": list(spacing), "sop_instance_uid": uid, "patient_id": patient_id}
    return pixels, meta


def test_one_row_per_image_with_its_role_size_spacing_and_checksum():
    images = {"a": image(1, "1.2.1"), "b": image(2, "1.2.2", (0.5, 0.625))}
    rows = split_table(images, ["a"], ["b"])
    assert [(row["image"], row["role"]) for row in rows] == [("a", "eval"), ("b", "train")]
    assert (rows[1]["rows"], rows[1]["cols"], rows[1]["pixel_spacing_mm"]) == (8, 6, "0.5x0.625")
    assert rows[0]["sop_instance_uid"] == "1.2.1"
    assert len(rows[0]["pixel_sha256"]) == 64 and rows[0]["pixel_sha256"] != rows[1]["pixel_sha256"]


@pytest.mark.parametrize(
    "train",
    [
        image(3, "1.2.1"),  # the same SOP Instance UID, other pixels
        image(1, "9.9.9"),  # the same pixels under another UID
    ],
)
def test_an_eval_slice_among_the_training_slices_is_refused(train):
    with pytest.raises(ValueError, match="eval image 'a' and train image 'b' are the same slice"):
        split_table({"a": image(1, "1.2.1"), "b": train}, ["a"], ["b"])


def test_rows_show_each_slices_patient_from_dicom_or_config():
    images = {"a": image(1, patient_id="P1"), "b": image(2), "c": image(3), "d": image(4, patient_id="P4")}
    rows = split_table(images, ["a"], ["b", "c", "d"], {"b": "declared-B", "d": "P4"})
    assert [(row["patient"], row["patient_id"]) for row in rows] == [
        ("P1", "P1"), ("declared-B", ""), ("unknown:c", ""), ("P4", "P4")
    ]


def test_a_declared_patient_that_contradicts_the_dicom_patient_id_is_refused():
    with pytest.raises(ValueError, match="image 'a': the config declares patient 'X' but its DICOM PatientID is 'P1'"):
        split_table({"a": image(1, patient_id="P1"), "b": image(2)}, ["a"], ["b"], {"a": "X"})


@pytest.mark.parametrize(
    "declared", [{}, {"a": "P9", "b": "P9"}], ids=["dicom PatientID", "declared in config"]
)
def test_a_patient_with_slices_in_both_roles_is_refused(declared):
    images = {"a": image(1, "1.1", patient_id="P1"), "b": image(2, "1.2", patient_id="P1")}
    if declared:
        images = {"a": image(1, "1.1"), "b": image(2, "1.2")}
    patient = declared.get("a", "P1")
    with pytest.raises(ValueError, match=f"eval image 'a' and train image 'b' are from the same patient '{patient}'"):
        split_table(images, ["a"], ["b"], declared)


def test_images_without_uids_differ_by_their_pixels():
    assert len(split_table({"a": image(1), "b": image(2)}, ["a"], ["b"])) == 2


def test_metrics_of_training_images_are_refused():
    split = [{"image": "a", "role": "eval"}, {"image": "b", "role": "train"}]
    check_eval_rows([{"image": "a"}], split)
    with pytest.raises(ValueError, match=r"outside the eval split: \['b'\]"):
        check_eval_rows([{"image": "a"}, {"image": "b"}], split)
