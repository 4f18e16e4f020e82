"""Where the images of a study come from: embedded files, a local DICOM folder, TCIA series.

:func:`image_sources` reads config section ``data`` (and what it points to: the folder's file
list, a TCIA manifest) and returns every image id's :class:`ImageSource` and the study's
:class:`TciaSeries`. Problems are one :class:`LdctInputError` naming the config key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ldct.core.errors import LdctInputError


@dataclass(frozen=True)
class TciaSeries:
    """One TCIA series of the study and how many of its slices it contributes.

    ``instances`` is the (first, last) InstanceNumber range the slices are drawn from, or
    None for the whole series; ``key`` is the config key that named the series.
    """

    id: str
    uid: str
    slices: int
    instances: tuple[int, int] | None
    key: str

    def image_ids(self) -> list[str]:
        """The image ids of this series' slices: '<id>_000', '<id>_001', ... in slice order."""
        width = max(3, len(str(self.slices - 1)))
        return [f"{self.id}_{position:0{width}d}" for position in range(self.slices)]


@dataclass(frozen=True)
class ImageSource:
    """Where one image of the study comes from.

    ``dicom`` is its DICOM file (embedded or in the local folder), or None for a TCIA slice,
    whose file is known once ``series`` (a :class:`TciaSeries` id) is downloaded. ``text`` is
    what the image's sidecar records as its source; ``patient`` the patient id the config
    declares for it, if any; ``sha256`` the digest its file must have (files ldct ships).
    """

    text: str
    dicom: str | None = None
    series: str | None = None
    patient: str | None = None
    sha256: str | None = None


def image_sources(config: dict[str, Any]) -> tuple[dict[str, ImageSource], list[TciaSeries]]:
    """Image id -> source of every image ``data`` offers, and the TCIA series among them."""
    data = config["data"]
    if data["source"] == "tcia":
        series = _tcia_series(config)
        sources = {
            image: ImageSource(
                f"TCIA series {item.uid}, slice {position + 1} of {item.slices}", series=item.id
            )
            for item in series
            for position, image in enumerate(item.image_ids())
        }
        return sources, series
    if data["source"] == "local_dicom":
        return _local_sources(data["local_dicom"]["folder"]), []
    return _embedded_sources(data.get("embedded")), []


def _local_sources(folder: str | None) -> dict[str, ImageSource]:
    from ldct.io.dicom_read import list_dicom_folder

    key = "data.local_dicom.folder"
    if not folder:
        raise LdctInputError(f"config key {key}: required when data.source is 'local_dicom'")
    try:
        files = list_dicom_folder(folder)
    except ValueError as error:
        raise LdctInputError(f"config key {key}: {error}") from error
    return {image: ImageSource(str(path), dicom=str(path)) for image, path in files.items()}


def _embedded_sources(entries: list[dict] | None) -> dict[str, ImageSource]:
    from ldct.io.dicom_read import embedded_dicom_path
    from ldct.io.embedded import DATA, expected_sha256

    if not entries:
        raise LdctInputError("config key data.embedded: required when data.source is 'embedded'")
    sources: dict[str, ImageSource] = {}
    for index, entry in enumerate(entries):
        key = f"data.embedded[{index}]"
        if entry["image"] in sources:
            raise LdctInputError(f"config key {key}.image: id '{entry['image']}' is used twice")
        try:
            path = embedded_dicom_path(entry["file"])
            sha256 = expected_sha256(path) if DATA in path.parents else None
        except (ValueError, LdctInputError) as error:
            raise LdctInputError(f"config key {key}.file: {error}") from error
        sources[entry["image"]] = ImageSource(
            entry["file"], dicom=str(path), patient=entry.get("patient"), sha256=sha256
        )
    return sources


def _tcia_series(config: dict[str, Any]) -> list[TciaSeries]:
    """The series of ``data.tcia.series`` followed by those of ``data.tcia.manifest``.

    A manifest's series get the ids 'series_01', 'series_02', ... in manifest order and
    ``data.tcia.slices_per_series`` slices each, like listed series that leave ``slices`` out.
    """
    from ldct.io.tcia.manifest import read_manifest

    tcia = config["data"]["tcia"]
    default_slices = tcia["slices_per_series"]
    series = [
        TciaSeries(
            entry["id"],
            entry["uid"],
            entry.get("slices", default_slices),
            tuple(entry["instances"]) if entry.get("instances") is not None else None,
            f"data.tcia.series[{index}]",
        )
        for index, entry in enumerate(tcia["series"])
    ]
    if tcia["manifest"]:
        try:
            uids = read_manifest(tcia["manifest"])
        except LdctInputError as error:
            raise LdctInputError(f"config key data.tcia.manifest: {error}") from error
        width = max(2, len(str(len(uids))))
        series += [
            TciaSeries(
                f"series_{number:0{width}d}",
                uid,
                default_slices,
                None,
                f"data.tcia.manifest (series {uid})",
            )
            for number, uid in enumerate(uids, start=1)
        ]
    if not series:
        raise LdctInputError(
            "config key data.tcia.series: required when data.source is 'tcia' "
            "(or give data.tcia.manifest)"
        )
    _check_series_ids(series)
    return series


def _check_series_ids(series: list[TciaSeries]) -> None:
    ids: dict[str, TciaSeries] = {}
    uids_seen: dict[str, TciaSeries] = {}
    for item in series:
        if item.id in ids:
            raise LdctInputError(f"config key {item.key}.id: id '{item.id}' is used twice")
        if item.uid in uids_seen:
            raise LdctInputError(
                f"config key {item.key}: series {item.uid} is already {uids_seen[item.uid].key}"
            )
        ids[item.id] = uids_seen[item.uid] = item
    slice_ids = {image for item in series for image in item.image_ids()}
    clash = sorted(slice_ids & set(ids))
    if clash:
        raise LdctInputError(
            f"config key data.tcia.series: series ids {clash} are also slice ids; rename them"
        )
