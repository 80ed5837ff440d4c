"""Uploads on disk: copied in chunks, refused past the limit, removed whatever happens."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from layers.errors import FileTooLarge
from layers.limits import MIB, UploadLimits
from layers.staging import staged_upload


class CountingStream(io.BytesIO):
    """A stream that remembers the largest read asked of it."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        self.largest = max(self.largest, size or 0)
        return super().read(size)


def test_the_upload_is_copied_in_chunks_and_removed_afterwards(tmp_path: Path) -> None:
    stream = CountingStream(b"x" * (3 * MIB + 5))
    with staged_upload(stream, "../../etc/Survey 1.tif", tmp_path, UploadLimits()) as path:
        assert path.name == "upload.tif" and path.parent.parent == tmp_path  # our name, not theirs
        assert path.stat().st_size == 3 * MIB + 5
    assert stream.largest == MIB  # never the whole file at once
    assert list(tmp_path.iterdir()) == []


def test_a_file_over_the_limit_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    limits = UploadLimits(max_file_bytes=2 * MIB)
    with pytest.raises(FileTooLarge, match="larger than the 2 MB limit"), \
            staged_upload(io.BytesIO(b"x" * (2 * MIB + 1)), "big.tif", tmp_path, limits):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_using_the_file_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="cancelled"), \
            staged_upload(io.BytesIO(b"data"), "a.geojson", tmp_path, UploadLimits()):
        raise RuntimeError("cancelled")
    assert list(tmp_path.iterdir()) == []
