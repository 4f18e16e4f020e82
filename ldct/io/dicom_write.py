"""Derived CT slices as DICOM files a viewer or PACS accepts: one per processed input slice.

A derived slice keeps its source's patient, study and frame-of-reference tags and, unless a new
geometry is given, its position, orientation and pixel spacing. It gets

* a SeriesInstanceUID shared by every slice of one derived series and a new SOPInstanceUID,
  both derived deterministically (:func:`derived_uid`) from the source UIDs and what was done,
  so the same processing of the same input gives the same UIDs and any other gives new ones;
* ImageType ``DERIVED\\SECONDARY`` (the source's further values kept), a SeriesDescription and
  a DerivationDescription saying what was done, and a SourceImageSequence naming the source;
* pixel data stored uncompressed (Explicit VR Little Endian) in the source's rescale slope,
  intercept, bits allocated, bits stored and pixel representation; HU are rounded to the
  nearest stored value and clipped to the range those bits can hold (:func:`hu_to_stored`).

Every file is checked by :func:`ct_image_problems` before it is written, atomically.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import numpy as np
from pydicom import config
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid
from pydicom.valuerep import IS, DSfloat, validate_value

from ldct.core.storage import atomic_write
from ldct.io.geometry import SliceGeometry

#: Longest SeriesDescription (VR LO) and DerivationDescription (VR ST), characters.
MAX_SERIES_DESCRIPTION = 64
MAX_DERIVATION_DESCRIPTION = 1024

#: Attributes of the CT Image IOD's modules that must be present and non-empty (type 1) ...
REQUIRED_TYPE1 = (
    "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Modality",
    "FrameOfReferenceUID", "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing",
    "ImageType", "SamplesPerPixel", "PhotometricInterpretation", "Rows", "Columns",
    "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation", "RescaleIntercept",
    "RescaleSlope", "PixelData",
)
#: ... and those that must be present, possibly empty (type 2); missing ones are added empty.
REQUIRED_TYPE2 = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
    "ReferringPhysicianName", "StudyID", "AccessionNumber", "SeriesNumber", "InstanceNumber",
    "PositionReferenceIndicator", "Manufacturer", "SliceThickness", "KVP", "AcquisitionNumber",
)
#: Summary values of the source's pixels that the new pixels make wrong.
STALE_PIXEL_SUMMARIES = ("SmallestImagePixelValue", "LargestImagePixelValue")


def derived_uid(*sources: str) -> UID:
    """A valid UID (pydicom's root) determined by ``sources``: equal sources give equal UIDs."""
    return generate_uid(entropy_srcs=[str(source) for source in sources])


@dataclass(frozen=True)
class Derivation:
    """What was done to a source series: ``summary`` (short, e.g. ``gaussian sigma_px=1``) and
    ``details`` (every setting, for DerivationDescription)."""

    summary: str
    details: str

    def series_uid(self, source: Dataset) -> UID:
        """The derived series' UID: from the source series' UID and what was done."""
        return derived_uid(source.get("SeriesInstanceUID", ""), self.summary, self.details)

    def series_description(self, source: Dataset) -> str:
        """``ldct <summary>: <source's description>``, cut to the 64 characters VR LO allows."""
        text = f"ldct {self.summary}"
        if source.get("SeriesDescription"):
            text += f": {source.SeriesDescription}"
        return text[:MAX_SERIES_DESCRIPTION]


def stored_range(dataset: Dataset) -> tuple[int, int]:
    """Smallest and largest stored value BitsStored and PixelRepresentation allow."""
    bits = int(dataset.BitsStored)
    if int(dataset.PixelRepresentation) == 1:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def stored_dtype(dataset: Dataset) -> np.dtype:
    """The numpy type of one stored value (BitsAllocated 8, 16 or 32; signed or not)."""
    bits = int(dataset.BitsAllocated)
    if bits not in (8, 16, 32):
        raise ValueError(f"cannot write {bits}-bit pixels")
    kind = "i" if int(dataset.PixelRepresentation) == 1 else "u"
    return np.dtype(f"<{kind}{bits // 8}")


def hu_to_stored(dataset: Dataset, hu: np.ndarray) -> np.ndarray:
    """HU -> stored values of ``dataset``'s encoding: round((HU - intercept) / slope), clipped
    to :func:`stored_range`, as :func:`stored_dtype`."""
    slope = float(dataset.get("RescaleSlope", 1.0))
    intercept = float(dataset.get("RescaleIntercept", 0.0))
    stored = np.rint((np.asarray(hu, dtype=np.float64) - intercept) / slope)
    low, high = stored_range(dataset)
    return np.clip(stored, low, high).astype(stored_dtype(dataset))


def derived_slice(
    source: Dataset,
    stored: np.ndarray,
    derivation: Derivation,
    geometry: SliceGeometry | None = None,
) -> Dataset:
    """The derived slice of ``source`` holding ``stored`` (2-D stored values in the source's
    encoding, see :func:`hu_to_stored`); ``geometry`` replaces the source's position,
    orientation and pixel spacing (a cropped or resampled image)."""
    derived = copy.deepcopy(source)
    for keyword in STALE_PIXEL_SUMMARIES:
        derived.pop(keyword, None)
    for keyword in REQUIRED_TYPE2:
        if keyword not in derived:
            setattr(derived, keyword, None)
    series_uid = derivation.series_uid(source)
    derived.SeriesInstanceUID = series_uid
    derived.SOPInstanceUID = derived_uid(series_uid, source.SOPInstanceUID)
    derived.ImageType = ["DERIVED", "SECONDARY", *list(source.get("ImageType", []))[2:]]
    derived.SeriesDescription = derivation.series_description(source)
    derived.DerivationDescription = f"ldct {derivation.details}"[:MAX_DERIVATION_DESCRIPTION]
    reference = Dataset()
    reference.ReferencedSOPClassUID = source.SOPClassUID
    reference.ReferencedSOPInstanceUID = source.SOPInstanceUID
    derived.SourceImageSequence = Sequence([reference])
    if geometry is not None:
        derived.ImagePositionPatient = _decimal_strings(geometry.position_mm)
        derived.ImageOrientationPatient = _decimal_strings(geometry.orientation())
        derived.PixelSpacing = _decimal_strings(geometry.spacing_mm)
    stored = np.ascontiguousarray(stored, dtype=stored_dtype(source))
    derived.Rows, derived.Columns = stored.shape
    derived.PixelData = stored.tobytes()
    derived["PixelData"].VR = "OB" if stored.dtype.itemsize == 1 else "OW"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = source.SOPClassUID
    meta.MediaStorageSOPInstanceUID = derived.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    derived.file_meta = meta
    return derived


def _decimal_strings(values) -> list[DSfloat]:
    """Numbers as DICOM decimal strings (VR DS: at most 16 characters each)."""
    return [DSfloat(float(value), auto_format=True) for value in values]


def ct_image_problems(dataset: Dataset) -> list[str]:
    """What keeps ``dataset`` from being a valid CT image file, as pydicom can tell: a missing
    or empty type 1 or missing type 2 attribute of the CT Image IOD, an invalid UID, an element
    whose VR is not its dictionary VR, or a value its VR does not allow. Empty when valid."""
    problems = [f"{name} missing or empty" for name in REQUIRED_TYPE1 if dataset.get(name) in (None, "")]
    problems += [f"{name} missing" for name in REQUIRED_TYPE2 if name not in dataset]
    for element in dataset.iterall():
        if element.tag.is_private or element.tag == 0x7FE00010:
            continue
        expected = dictionary_VR(element.tag) if _known(element.tag) else element.VR
        if element.VR not in expected.split(" or "):
            problems.append(f"{element.keyword or element.tag}: VR {element.VR}, expected {expected}")
        if element.VR == "SQ" or element.value is None:
            continue
        for value in element.value if isinstance(element.value, (list, MultiValue)) else [element.value]:
            problems += _value_problems(element, value)
    return problems


def _value_problems(element, value) -> list[str]:
    """What is wrong with one ``value`` of ``element`` for its VR (text VRs as written)."""
    name = element.keyword or str(element.tag)
    text = value if isinstance(value, (bytes, int, float)) and not isinstance(value, (DSfloat, IS)) else str(value)
    try:
        validate_value(element.VR, text, config.RAISE)
    except (ValueError, KeyError) as error:
        return [f"{name}: {error}"]
    if element.VR == "UI" and text and not UID(text).is_valid:
        return [f"{name}: '{text}' is not a valid UID"]
    return []


def _known(tag) -> bool:
    try:
        dictionary_VR(tag)
    except KeyError:
        return False
    return True


def write_dicom(path: str | os.PathLike, dataset: Dataset) -> None:
    """Write ``dataset`` as a DICOM file at ``path`` (atomically), after checking it with
    :func:`ct_image_problems`; ValueError listing the problems otherwise."""
    problems = ct_image_problems(dataset)
    if problems:
        raise ValueError(f"{path}: not a valid CT image: {'; '.join(problems)}")
    atomic_write(path, lambda handle: dataset.save_as(handle, enforce_file_format=True))
