"""The train / eval split: a table of roles and patients, and the guarantee that evaluation
never sees a slice, or a patient, that training saw."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Iterable, Mapping

import numpy as np


def patient_of(image: str, meta: Mapping[str, Any], declared: str | None) -> str:
    """The patient of ``image``: the DICOM PatientID of its sidecar ``meta``, else the patient
    its config entry declares. ValueError when both are given and differ. A slice with neither
    counts as a patient of its own, 'unknown:<image>', and a warning says so: nothing then
    proves it is not another slice's patient."""
    patient_id = str(meta.get("patient_id") or "")
    if declared and patient_id and declared != patient_id:
        raise ValueError(
            f"image '{image}': the config declares patient '{declared}' but its DICOM PatientID "
            f"is '{patient_id}'"
        )
    if patient_id or declared:
        return patient_id or str(declared)
    logging.warning("image '%s' has no PatientID and no declared patient: it counts as its own", image)
    return f"unknown:{image}"


def split_table(
    images: Mapping[str, tuple[np.ndarray, Mapping[str, Any]]],
    eval_images: Iterable[str],
    train_images: Iterable[str],
    declared_patients: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """One row per image: id, role, patient, DICOM PatientID, crop size, spacing (mm), SOP
    Instance UID, pixel SHA-256.

    ``images`` maps image id to (HU array, sidecar); ``declared_patients`` the patient the
    config declares for an image, if any (see :func:`patient_of`). Raises ValueError naming
    the images when an eval image is the same slice as a train image (a shared non-empty SOP
    Instance UID, or identical HU pixels) or when a patient has slices in both roles.
    """
    declared_patients = declared_patients or {}
    roles = {image: "eval" for image in eval_images}
    roles.update({image: "train" for image in train_images})
    rows = []
    for image, role in roles.items():
        pixels, meta = images[image]
        rows.append(
            {
                "image": image,
                "role": role,
                "patient": patient_of(image, meta, declared_patients.get(image)),
                "patient_id": meta.get("patient_id", ""),
                "rows": pixels.shape[0],
                "cols": pixels.shape[1],
                "pixel_spacing_mm": "x".join(f"{value:g}" for value in meta["pixel_spacing_mm"]),
                "sop_instance_uid": meta.get("sop_instance_uid", ""),
                "pixel_sha256": hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest(),
            }
        )
    for held_out in (row for row in rows if row["role"] == "eval"):
        for trained in (row for row in rows if row["role"] == "train"):
            _check_disjoint(held_out, trained)
    return rows


def _check_disjoint(held_out: Mapping[str, Any], trained: Mapping[str, Any]) -> None:
    """Raise ValueError when an eval row and a train row share a slice or a patient."""
    names = f"eval image '{held_out['image']}' and train image '{trained['image']}'"
    same_uid = held_out["sop_instance_uid"] and (
        held_out["sop_instance_uid"] == trained["sop_instance_uid"]
    )
    if same_uid or held_out["pixel_sha256"] == trained["pixel_sha256"]:
        raise ValueError(f"{names} are the same slice (same SOP Instance UID or pixels)")
    if held_out["patient"] == trained["patient"]:
        raise ValueError(
            f"{names} are from the same patient '{held_out['patient']}': "
            "a patient's slices must all be evaluated or all be trained on"
        )


def check_eval_rows(metric_rows: Iterable[Mapping[str, Any]], split_rows: Iterable[Mapping[str, Any]]) -> None:
    """Raise ``ValueError`` if any metric row belongs to an image that is not an eval image."""
    eval_images = {row["image"] for row in split_rows if row["role"] == "eval"}
    outside = sorted({row["image"] for row in metric_rows} - eval_images)
    if outside:
        raise ValueError(f"metrics were computed on images outside the eval split: {outside}")


def with_patients(
    metric_rows: Iterable[Mapping[str, object]], split_rows: Iterable[Mapping[str, str]]
) -> list[dict[str, object]]:
    """Copies of ``metric_rows`` with the ``patient`` of each row's image from the split table.

    Raises ValueError naming the images that the split table gives no (non-empty) patient.
    """
    patients = {row["image"]: row.get("patient", "") for row in split_rows}
    metric_rows = list(metric_rows)
    missing = sorted({str(row["image"]) for row in metric_rows if not patients.get(row["image"])})
    if missing:
        raise ValueError(f"the split table gives no patient for the image(s) {', '.join(missing)}")
    return [dict(row, patient=patients[row["image"]]) for row in metric_rows]
