"""Uploads on disk: copied in chunks into a private folder, removed again whatever happens."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from layers.errors import FileTooLarge
from layers.limits import MIB, UploadLimits

CHUNK_BYTES = MIB


@contextmanager
def staged_upload(stream: BinaryIO, file_name: str, folder: Path,
                  limits: UploadLimits) -> Iterator[Path]:
    """The upload as a file in a new private folder under ``folder``, deleted on exit.

    The copy goes chunk by chunk, so memory holds one chunk beyond what the caller already
    has, and stops with :class:`FileTooLarge` as soon as the size limit is passed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="upload-", dir=folder))
    try:
        target = private / safe_file_name(file_name)
        _copy_limited(stream, target, limits.max_file_bytes)
        yield target
    finally:
        shutil.rmtree(private, ignore_errors=True)


def safe_file_name(file_name: str) -> str:
    """The base name of an uploaded file with path parts and odd characters removed.

    >>> safe_file_name("../../etc/Survey area 1.zip"), safe_file_name("..")
    ('Survey area 1.zip', 'upload')
    """
    base = re.split(r"[\\/]", file_name)[-1]
    base = re.sub(r"[\x00-\x1f]", "", base).strip(" .")
    # file systems count bytes (255 at most): keep the extension, shorten the stem
    stem, dot, suffix = base.rpartition(".") if "." in base else (base, "", "")
    room = 200 - len(f"{dot}{suffix}".encode())
    stem = stem.encode()[:max(room, 1)].decode(errors="ignore")
    return f"{stem}{dot}{suffix}" if stem else "upload"


def _copy_limited(stream: BinaryIO, target: Path, max_bytes: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK_BYTES):
            written += len(chunk)
            if written > max_bytes:
                raise FileTooLarge(
                    f"{target.name} is larger than the {max_bytes // MIB} MB limit per file. "
                    "Split it (by area or by layer), or ask an administrator to raise "
                    "PERMITMAP_MAX_UPLOAD_MB.")
            out.write(chunk)
