"""A Shapefile delivered as its parts (selected together on the page, or a ``.shp`` with its
siblings on the command line), packed into one zip that is then read like a zipped
Shapefile; a lost ``.shx`` is rebuilt from the ``.shp``.

The ``.shx`` is rebuilt here rather than by GDAL's ``SHAPE_RESTORE_SHX``: pyogrio sets GDAL
options for the whole process (every upload being read at that moment), GDAL writes the
index beside the ``.shp`` (a folder we may not own), and the index is only the offset and
length of each record, which the ``.shp`` states.
"""

from __future__ import annotations

import re
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from domain.i18n import tr
from layers.errors import UnreadableLayer
from layers.identify import SHAPEFILE_PARTS

SHP_FILE_CODE = 9994
HEADER_BYTES = 100


def shapefile_siblings(shp: Path) -> list[Path]:
    """``shp`` and the parts beside it with the same stem (any case), ``.shp`` first."""
    stem = shp.stem.casefold()
    found = [p for p in shp.parent.iterdir() if p != shp and p.stem.casefold() == stem
             and p.suffix.lower() in SHAPEFILE_PARTS and p.is_file()]
    return [shp, *sorted(found)]


@contextmanager
def packed_shapefile(shp: Path, name: str) -> Iterator[tuple[Path, list[str]]]:
    """The parts beside ``shp`` in a zip (stored, not compressed) in a private folder
    deleted on exit, and notes for the report. Entries are named after ``name`` (the
    ``.shp``'s name as the person gave it), with characters GDAL paths dislike replaced."""
    parts = {p.suffix.lower(): p for p in reversed(shapefile_siblings(shp))}
    stem = _entry_stem(PurePosixPath(name).stem)
    shown = PurePosixPath(name).stem
    notes = [tr("{name} was read with the parts beside it: {parts}.").format(
        name=name, parts=", ".join(f"{shown}{suffix}" for suffix in sorted(parts)))]
    private = Path(tempfile.mkdtemp(prefix="shapefile-"))
    try:
        target = private / "upload.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
            for suffix, part in sorted(parts.items()):
                archive.write(part, stem + suffix)
            if ".shx" not in parts:
                archive.writestr(stem + ".shx", rebuilt_index(shp, name))
                notes.append(tr("{stem}.shx (the index of the shapes) was missing; it was "
                                "rebuilt from {name}.").format(stem=shown, name=name))
        yield target, notes
    finally:
        shutil.rmtree(private, ignore_errors=True)


def rebuilt_index(shp: Path, name: str) -> bytes:
    """The ``.shx`` of a ``.shp``: its header, then each record's offset and length (in
    16-bit words, big-endian). Raises UnreadableLayer when the ``.shp`` is not one or a
    record runs past its end."""
    size = shp.stat().st_size
    with shp.open("rb") as handle:
        header = handle.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES or struct.unpack(">i", header[:4])[0] != SHP_FILE_CODE:
            raise UnreadableLayer(tr("{name} is not a readable Shapefile (its header is not a "
                                     "Shapefile's); export the layer again from your GIS.")
                                  .format(name=name))
        records = bytearray()
        offset = HEADER_BYTES
        while offset + 8 <= size:
            handle.seek(offset)
            _number, words = struct.unpack(">ii", handle.read(8))
            if words < 2 or offset + 8 + 2 * words > size:
                raise UnreadableLayer(tr(
                    "{name} is not a readable Shapefile: the shape at byte {offset} runs past "
                    "the end of the file (it was cut short); export the layer again from your "
                    "GIS.").format(name=name, offset=f"{offset:,}"))
            records += struct.pack(">ii", offset // 2, words)
            offset += 8 + 2 * words
    length = struct.pack(">i", (HEADER_BYTES + len(records)) // 2)
    return header[:24] + length + header[28:] + bytes(records)


def _entry_stem(stem: str) -> str:
    """The stem for the entries inside the zip: letters (any script), digits, spaces,
    ``-``, ``_`` and ``.``; anything else becomes ``_``; at most 100 characters."""
    clean = re.sub(r"[^\w .-]", "_", stem).strip(" .")[:100]
    return clean or "layer"
