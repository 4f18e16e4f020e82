"""The train / eval table, and the guarantee that no eval slice is trained on."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.split import check_eval_rows, split_table


def image(seed: int, uid: str = "", spacing=(0.7, 0.7)):
    pixels = np.random.default_rng(seed).normal(0, 10, (8, 6)).astype(np.float32)
    return pixels, {"pixel_spacing_mm": list(spacing), "sop_instance_uid": uid}


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


def test_images_without_uids_differ_by_their_pixels():
    assert len(split_table({"a": image(1), "b": image(2)}, ["a"], ["b"])) == 2


def test_metrics_of_training_images_are_refused():
    split = [{"image": "a", "role": "eval"}, {"image": "b", "role": "train"}]
    check_eval_rows([{"image": "a"}], split)
    with pytest.raises(ValueError, match=r"outside the eval split: \['b'\]"):
        check_eval_rows([{"image": "a"}, {"image": "b"}], split)
