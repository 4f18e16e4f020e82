"""The train / eval split: a table of roles, and the guarantee that they never share a slice."""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Mapping

import numpy as np



def split_table(
    images: Mapping[str, tuple[np.ndarray, Mapping[str, Any]]],
    eval_images: Iterable[str],
    train_images: Iterable[str],
) -> list[dict[str, Any]]:
    """One row per image: id, role, crop size, spacing (mm), SOP Instance UID, pixel SHA-256.

    ``images`` maps image id to (HU array, sidecar). Two images are the same slice when
    they share a non-empty SOP Instance UID or identical HU pixels; an eval image that is
    the same slice as a train image raises ValueError naming both.
    """
    roles = {image: "eval" for image in eval_images}
    roles.update({image: "train" for image in train_images})
    rows = []
    for image, role in roles.items():
        pixels, meta = images[image]
        rows.append(
            {
                "image": image,
                "role": role,
                "rows": pixels.shape[0],
                "cols": pixels.shape[1],
                "pixel_spacing_mm": "x".join(f"{value:g}" for value in meta["pixel_spacing_mm"]),
                "sop_instance_uid": meta.get("sop_instance_uid", ""),
                "pixel_sha256": hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest(),
            }
        )
    for held_out in (row for row in rows if row["role"] == "eval"):
        for trained in (row for row in rows if row["role"] == "train"):
            same_uid = held_out["sop_instance_uid"] and (
                held_out["sop_instance_uid"] == trained["sop_instance_uid"]
            )
            if same_uid or held_out["pixel_sha256"] == trained["pixel_sha256"]:
                raise ValueError(
                    f"eval image '{held_out['image']}' and train image "
                    f"'{trained['image']}' are the same slice (same SOP Instance UID or pixels)"
                )
    return rows


def check_eval_rows(metric_rows: Iterable[Mapping[str, Any]], split_rows: Iterable[Mapping[str, Any]]) -> None:
    """Raise ``ValueError`` if any metric row belongs to an image that is not an eval image."""
    eval_images = {row["image"] for row in split_rows if row["role"] == "eval"}
    outside = sorted({row["image"] for row in metric_rows} - eval_images)
    if outside:
        raise ValueError(f"metrics were computed on images outside the eval split: {outside}")
