"""Safety checks on an upload's bytes, before GDAL sees it: zip entry lists and risky content.

Nothing here extracts to disk or hands anything to GDAL. Zips are judged by their
``ZipInfo`` list (names, declared sizes, flags), then every entry is inflated once in
chunks, its real size counted against the limit and its content checked like an upload of
its own; text and XML by a streaming byte scan, so a 500 MB KML costs a second, not a parse.
Refused content (VRTs, GDAL pipelines, ``/vsi`` paths, XML entities, network links) raises
:class:`~layers.errors.UnsafeFile` saying what was found and what to do instead; an entry
that cannot be unpacked raises :class:`~layers.errors.UnreadableLayer`.
"""

from __future__ import annotations

import codecs
import copy
import functools
import lzma
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath

from domain.i18n import tr
from layers.errors import UnreadableLayer, UnsafeFile
from layers.limits import MIB, UploadLimits

NESTED_ARCHIVES = (".zip", ".kmz")
SCAN_CHUNK = 4 * MIB
HEAD_SCAN = 64 * 1024  # bytes of a zip entry looked at to tell text from binary
VRT_MARKERS = (b"<vrtdataset", b"<ogrvrtdatasource")
XML_ENTITY_MARKERS = (b"<!doctype", b"<!entity")
NETWORK_LINK = b"<networklink"
GDAL_VSI_PATH = re.compile(rb"/vsi[a-z0-9_]+/", re.IGNORECASE)
GDALG_MARKER = b"gdal_streamed_alg"
GDAL_COMMAND_LINE = re.compile(rb'"command_line"\s*:\s*"\s*gdal\s', re.IGNORECASE)
REMOTE_XLINK = re.compile(
    rb"""[a-z_][\w.-]*:href\s*=\s*["']\s*(?:(?!https?://)[a-z][a-z0-9+.-]*://|file:)""")
"""An ``xlink:href`` (any prefix) to a file or a URL other than http(s). Web links are
common in real GML (INSPIRE code lists) and kept as text: GDAL's resolver is switched off
(``GML_SKIP_RESOLVE_ELEMS=ALL`` in gdal_safety), so they are never fetched."""
XINCLUDE_MARKERS = (b"www.w3.org/2001/xinclude", b"<xi:include")
XML_ENTRIES = (".kml", ".gpx", ".gml")  # zip entries GDAL may parse as XML: always scanned whole
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError,
                   OSError)
"""What Python's zipfile raises on a damaged (or oddly compressed) entry while unpacking it."""
_OVERLAP = 256  # bytes carried between chunks so a marker split across two is still found


def zip_entries(path: Path, name: str, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """The entries of a zip upload after :func:`check_zip_entries`; nothing is extracted."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableLayer(
            tr("{name} is not a readable zip file ({error}); zip the files again and "
               "re-upload.").format(name=name, error=exc)
        ) from exc
    check_zip_entries(entries, name, limits)
    return entries


def check_zip_entries(
    entries: Sequence[zipfile.ZipInfo], name: str, limits: UploadLimits
) -> None:
    """Refuse a zip whose entry list could escape the upload folder or exhaust the machine.

    Checks: entry count, unsafe names (``../``, absolute, drive letters, links), encrypted
    entries, nested archives and the total unpacked size the zip declares. Not the
    compression ratio: a tile of sea-level heights compresses a thousandfold and is genuine;
    what a zip really unpacks to is measured by :func:`check_zip_contents`.
    """
    if len(entries) > limits.max_zip_entries:
        raise UnsafeFile(
            tr("{name} holds {n} entries; the limit is {limit}. Zip only the files of the "
               "layer you want to publish.").format(
                name=name, n=f"{len(entries):,}", limit=f"{limits.max_zip_entries:,}")
        )
    for entry in entries:
        _check_entry(entry, name)
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_unzipped_bytes:
        raise UnsafeFile(
            tr("{name} would unpack to {size} MB; the limit is {limit} MB. Upload the layer "
               "in smaller parts.").format(name=name, size=f"{total / MIB:,.0f}",
                                           limit=f"{limits.max_unzipped_bytes // MIB:,}")
        )


def _check_entry(entry: zipfile.ZipInfo, name: str) -> None:
    """Refuse one entry with an unsafe name, a link, encryption or nesting."""
    label = entry.filename
    normal = label.replace("\\", "/")
    if not PurePosixPath(normal.strip("/")).parts:
        raise UnsafeFile(
            tr("{name} holds an entry with no name, which zip tools do not write; the zip is "
               "damaged or was made by hand. Zip the files again and re-upload.").format(
                name=name)
        )
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal):
        raise UnsafeFile(
            tr("{name} holds an entry with an absolute path ({entry}); zip the files with "
               "paths relative to the zip's top folder.").format(name=name, entry=repr(label))
        )
    if ".." in PurePosixPath(normal).parts:
        raise UnsafeFile(
            tr("{name} holds an entry that points outside the zip ({entry}, path traversal "
               "with '..'); zip the files again without '..' in their paths.").format(
                name=name, entry=repr(label))
        )
    if stat.S_ISLNK(entry.external_attr >> 16):
        raise UnsafeFile(tr("{name} holds a symbolic link ({entry}); zip the real files "
                            "instead.").format(name=name, entry=repr(label)))
    if entry.flag_bits & 0x1:
        raise UnsafeFile(
            tr("{name} holds an encrypted (password-protected) entry ({entry}); zip the "
               "files again without a password.").format(name=name, entry=repr(label))
        )
    if normal.lower().endswith(NESTED_ARCHIVES):
        raise UnsafeFile(
            tr("{name} holds another archive ({entry}, a nested zip); unzip it and upload "
               "its files in one zip, or upload it on its own.").format(
                name=name, entry=repr(label))
        )


def damaged_entry(name: str, entry: str, exc: BaseException) -> UnreadableLayer:
    """The error for a zip entry that cannot be unpacked (bad data, CRC or compression)."""
    detail = str(exc).strip() or type(exc).__name__
    return UnreadableLayer(
        tr("{name} is damaged (entry {entry} cannot be unpacked: {detail}); zip the files "
           "again and re-upload.").format(name=name, entry=repr(entry), detail=detail)
    )


def check_zip_contents(path: Path, name: str, entries: Sequence[zipfile.ZipInfo],
                       limits: UploadLimits) -> None:
    """Inflate every entry of a zip once, in chunks, before GDAL reads any of it.

    Each entry's first bytes are checked for a VRT or a GDAL pipeline; an entry that looks
    like text (no NUL byte there) is scanned whole like a text upload (``/vsi`` paths too),
    and a ``.kml``/``.gpx`` always is, as XML (DTDs, entities, network links). Inflating
    stops as soon as an entry gives more bytes than it declares or the entries together more
    than ``limits.max_unzipped_bytes``: a zip bomb is refused by what it really unpacks to,
    however it lies. Raises UnsafeFile for those and risky content, UnreadableLayer for an
    entry that cannot be unpacked (damaged data, wrong CRC). Nothing is extracted to disk.
    """
    left = limits.max_unzipped_bytes
    with zipfile.ZipFile(path) as archive:
        for entry in entries:
            if entry.is_dir():
                continue
            try:
                left -= _check_entry_content(archive, entry, name, left)
            except ZIP_READ_ERRORS as exc:
                raise damaged_entry(name, entry.filename, exc) from exc


def _check_entry_content(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str,
                         left: int) -> int:
    """Inflate one entry (at most one byte past what it may give), check it; its size."""
    label = f"{name} ({entry.filename})"
    xml = entry.filename.lower().endswith(XML_ENTRIES)
    cap = min(entry.file_size, left)
    probe = copy.copy(entry)
    probe.file_size = cap + 1  # zipfile stops at file_size: one byte more shows a lie
    del probe.CRC  # zipfile would check it at the cap; _Counter checks it at the end
    refuse = functools.partial(_bomb, name, entry, lying=cap == entry.file_size)
    with archive.open(probe) as handle:
        head = handle.read(SCAN_CHUNK)
        check_head(head[:HEAD_SCAN], label)
        text = xml or b"\x00" not in as_utf8(head[:HEAD_SCAN])
        # binary entries are only counted: their CRC is GDAL's to check as it reads them
        counter = _Counter(entry, cap, refuse, crc=text)
        chunks = counter.count(_prepend(head, _chunks(handle.read)))
        if text:  # scan it all
            check_stream(chunks, label, xml=xml)
        else:
            for _chunk in chunks:
                pass
    return counter.total


class _Counter:
    """Counts the bytes of an entry's chunks: ``refuse()`` is raised past ``cap``; at the
    end, a size (or, with ``crc``, a CRC) other than the entry declares is damage."""

    def __init__(self, entry: zipfile.ZipInfo, cap: int,
                 refuse: Callable[[], Exception], *, crc: bool) -> None:
        self.entry, self.cap, self.refuse, self.check_crc = entry, cap, refuse, crc
        self.total = self.crc = 0

    def count(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.total += len(chunk)
            if self.total > self.cap:
                raise self.refuse()
            if self.check_crc:
                self.crc = zlib.crc32(chunk, self.crc)
            yield chunk
        if self.total != self.entry.file_size:
            # the detail of damaged_entry's message: in the person's language too
            raise zipfile.BadZipFile(tr("{total} bytes where the zip declares {size}").format(
                total=f"{self.total:,}", size=f"{self.entry.file_size:,}"))
        if self.check_crc and self.crc != self.entry.CRC:
            raise zipfile.BadZipFile(tr("Bad CRC-32 for file {entry}").format(
                entry=repr(self.entry.filename)))


def _bomb(name: str, entry: zipfile.ZipInfo, *, lying: bool) -> Exception:
    """The refusal of an entry that unpacks to more than it declares (damage, or a zip bomb
    that lies: reported as damage), or to more than is left of the limit."""
    if lying:
        return zipfile.BadZipFile(tr("it unpacks to more than the {size} bytes the zip "
                                     "declares for it: a damaged entry or a zip bomb").format(
            size=f"{entry.file_size:,}"))
    return UnsafeFile(
        tr("{name} unpacks to more than the limit for a zip's contents; it was not read "
           "further. Upload the layer in smaller parts.").format(name=name)
    )


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    """``first``, then the chunks of ``rest``."""
    yield first
    yield from rest


# --- content ----------------------------------------------------------------------------


def check_head(head: bytes, name: str) -> None:
    """Refuse a file whose first bytes are a GDAL VRT or pipeline, whatever its extension."""
    text = as_utf8(head).lower()
    if any(marker in text for marker in VRT_MARKERS):
        raise _vrt_refusal(name)
    _check_pipeline(text, name)


def _check_pipeline(window: bytes, name: str) -> None:
    """Refuse a GDALG file (``{"type": "gdal_streamed_alg", "command_line": "gdal ..."}``):
    GDAL runs the pipeline it names, which can read any file on the server."""
    if GDALG_MARKER in window or GDAL_COMMAND_LINE.search(window):
        raise UnsafeFile(
            tr("{name} is a GDAL pipeline, not data: it holds a command ('gdal_streamed_alg' "
               "or a 'command_line' running gdal) that would make the reader fetch other "
               "files. Upload the data file itself (e.g. the GeoJSON, zipped Shapefile or "
               "GeoPackage); if you made this file with GDAL, run the pipeline and upload "
               "what it writes.").format(name=name)
        )


def _vrt_refusal(name: str) -> UnsafeFile:
    """The refusal for VRT markup found anywhere in an upload."""
    return UnsafeFile(
        tr("{name} is a GDAL VRT file: VRT files point at other files (or URLs) rather "
           "than holding data, so they are not accepted. Upload the data file itself "
           "(e.g. the GeoTIFF or GeoPackage the VRT refers to).").format(name=name)
    )


def check_text_content(path: Path, name: str, *, xml: bool) -> None:
    """Scan a text or XML upload for VRTs, GDAL ``/vsi`` paths and, in XML, DTDs and links.

    Raises UnsafeFile naming what was found: ``<!DOCTYPE``/``<!ENTITY`` (entity expansion),
    KML ``<NetworkLink>`` and ``xlink:href`` to a URL (network fetch), XInclude (reads other
    files), ``/vsicurl/``-style paths, VRT markup.
    """
    with path.open("rb") as handle:
        check_stream(_chunks(handle.read), name, xml=xml)


def check_stream(chunks: Iterator[bytes], name: str, *, xml: bool) -> None:
    """:func:`check_text_content` over an iterator of byte chunks (e.g. a zip entry)."""
    tail = b""
    for chunk in _decoded(chunks):
        window = tail + chunk.lower()
        _check_window(window, name, xml=xml)
        tail = window[-_OVERLAP:]


def _check_window(window: bytes, name: str, *, xml: bool) -> None:
    """Raise UnsafeFile for the first risky marker in one lower-cased window of bytes."""
    if any(marker in window for marker in VRT_MARKERS):
        raise _vrt_refusal(name)
    _check_pipeline(window, name)
    if xml and any(marker in window for marker in XML_ENTITY_MARKERS):
        raise UnsafeFile(
            tr("{name} declares a DOCTYPE or XML entities, which can expand without limit "
               "(a 'billion laughs' file); KML, GPX and GML need neither. Export the file "
               "again from your GIS, or remove the <!DOCTYPE ...> block.").format(name=name)
        )
    if xml and NETWORK_LINK in window:
        raise UnsafeFile(
            tr("{name} links to other KML files on the network (<NetworkLink>), which we "
               "do not fetch; save the linked file and upload it instead.").format(name=name)
        )
    if xml:
        _check_links(window, name)
    found = GDAL_VSI_PATH.search(window)
    if found:
        path_text = found.group(0).decode("ascii", "replace")
        raise UnsafeFile(
            tr("{name} refers to a GDAL virtual path ({path}…), which could make the reader "
               "fetch data from outside the upload; remove it and upload the data itself.")
            .format(name=name, path=path_text)
        )


def _check_links(window: bytes, name: str) -> None:
    """Refuse XML (GML) that links to files or non-web URLs with ``xlink:href`` or includes
    other files."""
    link = REMOTE_XLINK.search(window) if b":href" in window else None  # find() is fast
    if link:
        shown = link.group(0).decode("ascii", "replace").split("=", 1)[-1].strip(" \"'")
        raise UnsafeFile(
            tr("{name} links to data on the network or in other files (xlink:href to "
               "{link}…), which we do not fetch; export the file again with the linked "
               "features or values written in it (in your GIS: resolve or embed the links).")
            .format(name=name, link=shown)
        )
    if any(marker in window for marker in XINCLUDE_MARKERS):
        raise UnsafeFile(
            tr("{name} includes other files (XInclude), which we do not read; export the "
               "file again with everything in it.").format(name=name)
        )


def _chunks(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """Chunks from a ``read(size)`` callable until it returns nothing."""
    while chunk := read(SCAN_CHUNK):
        yield chunk


def _decoded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks as UTF-8-ish bytes: UTF-16 text (with a BOM) is decoded first."""
    first = next(chunks, b"")
    if not first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield first
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
    yield decoder.decode(first).encode("utf-8")
    for chunk in chunks:
        yield decoder.decode(chunk).encode("utf-8")


def as_utf8(head: bytes) -> bytes:
    """The first bytes of a file as UTF-8 when it starts with a UTF-16 byte-order mark."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace").encode("utf-8")
    return head
