"""Uploads on disk: copied in chunks into a private folder, removed again whatever happens.

The file is stored under a name the app chooses (``upload.geojson``): the name a person gave
it (spaces, ``#``, ``?``, a leading dash, ``/vsicurl/…``, ``GPKG:…``, ``../``, 300 bytes of
Japanese) is kept only for display and its extension, and never reaches GDAL.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from domain.i18n import tr
from layers.errors import FileTooLarge, UnsupportedFormat
from layers.identify import SHAPEFILE_PARTS
from layers.limits import MIB, UploadLimits
from layers.upload_formats import IdentifiedUpload

CHUNK_BYTES = MIB
DISPLAY_CHARS = 200  # the catalog keeps the original name in 300 characters
SRTM_TILE = re.compile(r"^[NS]\d{2}[EW]\d{3}\.hgt$", re.IGNORECASE)


@contextmanager
def staged_upload(stream: BinaryIO, file_name: str, folder: Path,
                  limits: UploadLimits) -> Iterator[Path]:
    """The upload as a file in a new private folder under ``folder``, deleted on exit.

    The copy goes chunk by chunk, so memory holds one chunk beyond what the caller already
    has, and stops with :class:`FileTooLarge` as soon as the size limit is passed.
    """
    with staged_files([(stream, file_name)], folder, limits) as path:
        yield path


@contextmanager
def staged_files(files: Sequence[tuple[BinaryIO, str]], folder: Path,
                 limits: UploadLimits) -> Iterator[Path]:
    """One upload of one file, or of a Shapefile's parts selected together, in a new private
    folder under ``folder`` (deleted on exit); yields the file to read (the ``.shp`` of a
    set, its parts beside it). Several files that are not one Shapefile are refused in words.
    """
    check_selection([name for _stream, name in files])
    folder.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="upload-", dir=folder))
    try:
        paths = []
        for stream, name in files:
            paths.append(private / safe_file_name(name))
            _copy_limited(stream, paths[-1], display_name(name), limits.max_file_bytes)
        yield next((p for p in paths if p.suffix == ".shp"), paths[0])
    finally:
        shutil.rmtree(private, ignore_errors=True)


@contextmanager
def staged_paths(paths: Sequence[Path], folder: Path, limits: UploadLimits) -> Iterator[Path]:
    """:func:`staged_files` for files on disk (the command line)."""
    handles = [path.open("rb") for path in paths]
    try:
        with staged_files([(h, p.name) for h, p in zip(handles, paths, strict=True)],
                          folder, limits) as staged:
            yield staged
    finally:
        for handle in handles:
            handle.close()


def check_selection(names: Sequence[str]) -> None:
    """Refuse several files unless they are the parts of one Shapefile, with its ``.shp``."""
    if len(names) < 2:
        return
    shown = ", ".join(display_name(n) for n in names[:8]) + (" …" if len(names) > 8 else "")
    what = tr("Upload one file at a time, or the parts of one Shapefile (.shp, .shx, .dbf, "
              ".prj and .cpg with the same name) together.")
    parts = [PurePosixPath(display_name(n)) for n in names]
    if any(p.suffix.lower() not in SHAPEFILE_PARTS for p in parts):
        raise UnsupportedFormat(tr("You chose {n} files ({files}). {what}").format(
            n=len(names), files=shown, what=what))
    stems = sorted({p.stem.casefold() for p in parts})
    if len(stems) > 1:
        raise UnsupportedFormat(tr(
            "You chose the parts of {n} different Shapefiles ({files}). {what} To publish "
            "several Shapefiles, upload them one after the other, or zip them.").format(
            n=len(stems), files=shown, what=what))
    suffixes = [p.suffix.lower() for p in parts]
    if ".shp" not in suffixes:
        raise UnsupportedFormat(tr(
            "You chose {files} but not the .shp file, which holds the shapes; select "
            "{stem}.shp too.").format(files=shown, stem=parts[0].stem))
    doubled = sorted({s for s in suffixes if suffixes.count(s) > 1})
    if doubled:
        raise UnsupportedFormat(tr("You chose two {extensions} files ({files}). {what}").format(
            extensions=" and ".join(doubled), files=shown, what=what))


def display_name(file_name: str) -> str:
    """The name to show for an upload: its last path part, without control characters,
    at most :data:`DISPLAY_CHARS` characters (the stem shortened, the extension kept).

    >>> display_name("../../etc/Survey area 1.zip"), display_name("C:\\\\GIS\\\\x.shp")
    ('Survey area 1.zip', 'x.shp')
    """
    base = re.split(r"[\\/]", file_name)[-1]
    base = base.encode("utf-8", "replace").decode()  # undecodable bytes in a path: "?"
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip() or "upload"
    if len(base) <= DISPLAY_CHARS:
        return base
    suffix = _extension(base)
    return base[:DISPLAY_CHARS - len(suffix) - 1] + "…" + suffix


def safe_file_name(file_name: str) -> str:
    """The name an upload is stored under: ``upload`` and its extension (lower case letters
    and digits only). An SRTM tile keeps its name: GDAL reads the tile's place from it.

    >>> safe_file_name("../../etc/Survey area 1.ZIP"), safe_file_name("/vsicurl/x.tif?a=b")
    ('upload.zip', 'upload')
    >>> safe_file_name("-n45w120.hgt"), safe_file_name("N45W120.hgt")
    ('upload.hgt', 'N45W120.hgt')
    """
    base = display_name(file_name)
    if SRTM_TILE.match(base):
        return base
    return f"upload{_extension(base)}"


def _extension(base: str) -> str:
    """``.geojson`` from ``Survey #1.GeoJSON``; empty when the suffix is not plain."""
    suffix = PurePosixPath(base).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


@contextmanager
def unzipped_entry(source: IdentifiedUpload) -> Iterator[IdentifiedUpload]:
    """``source`` (a zip holding a table) with its entry copied out to a private folder,
    for readers that take a plain file; the entry's size was checked when it was identified.
    """
    private = Path(tempfile.mkdtemp(prefix="unzipped-"))
    try:
        target = private / f"upload{_extension(PurePosixPath(source.entry).name)}"
        with zipfile.ZipFile(source.path) as archive, archive.open(source.entry) as handle, \
                target.open("wb") as out:
            shutil.copyfileobj(handle, out, CHUNK_BYTES)
        yield replace(source, path=target, gdal_path=str(target), entry="")
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _copy_limited(stream: BinaryIO, target: Path, shown: str, max_bytes: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK_BYTES):
            written += len(chunk)
            if written > max_bytes:
                raise FileTooLarge(tr(
                    "{name} is larger than the {limit} MB limit per file. Split it (by area or "
                    "by layer), or ask an administrator to raise PERMITMAP_MAX_UPLOAD_MB.")
                    .format(name=shown, limit=max_bytes // MIB))
            out.write(chunk)
