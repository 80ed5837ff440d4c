"""XML declared in an encoding GDAL cannot read, read from a UTF-8 copy.

GDAL's KML, GPX and GML readers use expat, which knows UTF-8, UTF-16, ISO-8859-1 and
US-ASCII only: a KML that Japanese GIS software saved as Shift_JIS or EUC-JP, or an older
export in windows-1252, fails with "unknown encoding". Such a file is decoded with the
encoding it declares and read from a UTF-8 copy whose declaration says UTF-8. The copy is
scanned again for DTDs and links, because a decoded file can hold markup its bytes hid
(UTF-7 writes ``<`` as ``+ADw-``).
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO

from domain.i18n import tr
from layers import upload_safety
from layers.errors import DamagedEntry, UnreadableLayer
from layers.upload_formats import FileFormat, IdentifiedUpload
from layers.upload_safety import ZIP_READ_ERRORS

EXPAT_ENCODINGS = frozenset({"utf-8", "utf-16", "utf-16le", "utf-16be", "iso-8859-1",
                             "us-ascii"})
DECLARATION = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*<\?xml\b[^>]*?\bencoding\s*=\s*([\"'])([^\"']*)\1")
XML_FORMATS = (FileFormat.KML, FileFormat.KMZ, FileFormat.GPX, FileFormat.GML)
SUFFIXES = {FileFormat.KMZ: ".kml"}
HEAD_BYTES = 1024


def foreign_codec(head: bytes, name: str) -> str | None:
    """The Python codec for the encoding the XML declaration in ``head`` names, when GDAL
    cannot read that encoding itself; None for UTF-8, UTF-16 and the others it can.

    >>> foreign_codec(b'<?xml version="1.0" encoding="Shift_JIS"?><kml/>', "a.kml")
    'shift_jis'
    >>> foreign_codec(b'<?xml version="1.0" encoding="UTF-8"?><kml/>', "a.kml") is None
    True
    """
    match = DECLARATION.match(head)
    if match is None:
        return None
    declared = match.group(2).decode("ascii", errors="replace").strip()
    if declared.lower() in EXPAT_ENCODINGS:
        return None
    try:
        return codecs.lookup(declared).name
    except LookupError:
        raise UnreadableLayer(tr(
            "{name} says its text is in the encoding {encoding}, which we do not know. Save it "
            "again as UTF-8 (most GIS and text editors offer it when saving) and upload that."
        ).format(name=name, encoding=repr(declared))) from None


def as_utf8(data: bytes, codec: str) -> tuple[bytes, int]:
    """``data`` decoded from ``codec`` and encoded as UTF-8 with its declaration saying so,
    and how many characters were not valid in ``codec`` (each read as U+FFFD).

    >>> as_utf8('<?xml version="1.0" encoding="EUC-JP"?><a>鉱山</a>'.encode("euc-jp"),
    ...         "euc_jp")[0].decode()
    '<?xml version="1.0" encoding="UTF-8"?><a>鉱山</a>'
    """
    text = data.decode(codec, errors="replace")
    unreadable = text.count("\ufffd") - data.decode(codec, errors="ignore").count("\ufffd")
    utf8 = text.encode("utf-8")
    match = DECLARATION.match(utf8)
    if match:
        utf8 = utf8[:match.start(2)] + b"UTF-8" + utf8[match.end(2):]
    return utf8, unreadable


@contextmanager
def xml_in_utf8(source: IdentifiedUpload) -> Iterator[tuple[IdentifiedUpload, str]]:
    """``source`` and "" when it is not XML or GDAL reads its encoding; else a source read
    from a private UTF-8 copy (deleted on exit) and a note saying what was done."""
    if source.format not in XML_FORMATS or (source.entry and source.format is not FileFormat.KMZ):
        yield source, ""
        return
    with opened_xml(source) as handle:
        codec = foreign_codec(handle.read(HEAD_BYTES), source.name)
    if codec is None:
        yield source, ""
        return
    with opened_xml(source) as handle:
        utf8, unreadable = as_utf8(handle.read(), codec)
    upload_safety.check_stream(iter((utf8,)), source.name, xml=True)
    note = tr("{name}: read as {encoding} text, the encoding the file declares.").format(
        name=source.name, encoding=codec)
    if unreadable:
        note += tr(" {n} character(s) are not valid {encoding} and show as �; check the names "
                   "look right.").format(n=unreadable, encoding=codec)
    private = Path(tempfile.mkdtemp(prefix="xml-"))
    try:
        copy = private / ("doc" + SUFFIXES.get(source.format, source.path.suffix.lower()))
        copy.write_bytes(utf8)
        fmt = FileFormat.KML if source.format is FileFormat.KMZ else source.format
        yield replace(source, format=fmt, path=copy, gdal_path=str(copy), entry=""), note
    finally:
        shutil.rmtree(private, ignore_errors=True)


@contextmanager
def opened_xml(source: IdentifiedUpload) -> Iterator[IO[bytes]]:
    """The XML's bytes: the file, or a KMZ's KML entry."""
    if source.format is not FileFormat.KMZ:
        with source.path.open("rb") as handle:
            yield handle
        return
    entry = zip_entry(source)
    try:
        with zipfile.ZipFile(source.path) as archive, archive.open(entry) as handle:
            yield handle
    except ZIP_READ_ERRORS as exc:
        raise DamagedEntry(entry, exc) from exc


def zip_entry(source: IdentifiedUpload) -> str:
    """The zip entry ``source.gdal_path`` points at: ``source.entry``, else taken from the
    ``/vsizip/`` path (built from the resolved upload path, so split on that)."""
    if source.entry:
        return source.entry
    return source.gdal_path.split(f"/vsizip/{source.path.resolve()}/", 1)[-1]
