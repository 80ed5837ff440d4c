"""Archives written in code: genuine ones that compress extremely well, and zip bombs
(one over the limit, one whose declared size lies)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

CHUNK = 1 << 20


def write_lying_zip(path: Path, entry: str, actual_bytes: int, declared_bytes: int) -> Path:
    """A zip whose one entry (``actual_bytes`` zeros, deflated) declares
    ``declared_bytes`` in its local header and central directory; the CRC is the real one."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc, parts, left = 0, [], actual_bytes
    while left > 0:
        chunk = bytes(min(CHUNK, left))
        crc, left = zlib.crc32(chunk, crc), left - len(chunk)
        parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    data, name = b"".join(parts), entry.encode()
    sizes = struct.pack("<III", crc, len(data), declared_bytes)
    local = b"PK\x03\x04" + struct.pack("<HHHHH", 20, 0, 8, 0, 0x21) + sizes \
        + struct.pack("<HH", len(name), 0) + name
    central = b"PK\x01\x02" + struct.pack("<HHHHHH", 20, 20, 0, 8, 0, 0x21) + sizes \
        + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, 0) + name
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central),
                                      len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)
    return path
