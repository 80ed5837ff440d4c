"""KML ``<Model>`` elements (3D COLLADA models) taken out before GDAL reads the file.

GDAL's KML driver (3.12) crashes the whole process — a segmentation fault, no exception —
on a ``<Model>`` inside a ``<MultiGeometry>``, which Google Earth writes for placemarks with
3D buildings. A model never draws on a web map (GDAL gives a lone model no geometry), so the
KML is read from a copy without them, and the report says how many were left out.
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO

from layers.upload_formats import FileFormat, IdentifiedUpload
from layers.xml_encoding import opened_xml

_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
MODEL_START = re.compile(rb"<" + _PREFIX + rb"Model[\s>/]")
MODEL = re.compile(rb"<(" + _PREFIX + rb"Model)(?:\s[^>]*)?(?:/>|>.*?</\1\s*>)", re.DOTALL)
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
CHUNK = 1 << 22


@contextmanager
def kml_without_models(source: IdentifiedUpload) -> Iterator[tuple[IdentifiedUpload, int]]:
    """``source`` and 0 when its KML holds no ``<Model>``; else a KML source read from a
    private copy without them (deleted on exit), and how many were taken out.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> kml = folder / "town.kml"
    >>> _ = kml.write_text('<kml><Placemark><MultiGeometry><Point><coordinates>1,2'
    ...     '</coordinates></Point><Model id="m"><Link><href>a.dae</href></Link></Model>'
    ...     '</MultiGeometry></Placemark></kml>')
    >>> source = IdentifiedUpload(kml, "town.kml", FileFormat.KML, str(kml), 0, "")
    >>> with kml_without_models(source) as (read, models):
    ...     models, "Model" in pathlib.Path(read.gdal_path).read_text()
    (1, False)
    """
    if source.format not in (FileFormat.KML, FileFormat.KMZ):
        yield source, 0
        return
    with opened_xml(source) as handle:
        head = handle.read(2)
        utf16 = head in UTF16_BOMS
        found = utf16 or _holds_model(handle, head)
    if not found:
        yield source, 0
        return
    with opened_xml(source) as handle:
        data = handle.read()
    if utf16:  # matched as UTF-8, written back as UTF-16 (with its BOM) as it came
        text = data.decode("utf-16", errors="replace").encode("utf-8")  # cut short: GDAL says
        models, kept = len(MODEL.findall(text)), MODEL.sub(b"", text).decode().encode("utf-16")
    else:
        models, kept = len(MODEL.findall(data)), MODEL.sub(b"", data)
    if not models:
        yield source, 0
        return
    private = Path(tempfile.mkdtemp(prefix="kml-"))
    try:
        copy = private / "doc.kml"
        copy.write_bytes(kept)
        yield replace(source, format=FileFormat.KML, path=copy, gdal_path=str(copy),
                      entry=""), models
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _holds_model(handle: IO[bytes], head: bytes) -> bool:
    """Whether a ``<Model`` start tag occurs (``head``: the bytes already read), scanned in
    chunks."""
    tail = head
    while chunk := handle.read(CHUNK):
        window = tail + chunk
        if b"Model" in window and MODEL_START.search(window):  # find() first: it is fast
            return True
        tail = chunk[-64:]
    return False
