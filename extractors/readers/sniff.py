"""What kind of document a file is, told from its first bytes rather than its name.

Image dimensions are read from the file header before any pixel is decoded, so that a decompression bomb
(a 50,000 x 50,000 PNG of a few kilobytes) is refused fast and without allocating it.
"""

from __future__ import annotations

import struct
from enum import StrEnum
from pathlib import Path

from extractors.einvoice.embedded import EINVOICE_NAMESPACES
from extractors.errors import CorruptFileError, ImageTooLargeError, MissingFileError, UnsupportedFileError

SNIFF_BYTES = 4096


class FileKind(StrEnum):
    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"
    XML = "application/xml"


_UTF16 = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16", b"<\x00": "utf-16-le", b"\x00<": "utf-16-be"}


def sniff_kind(head: bytes, path: Path | None = None) -> FileKind:
    """The kind of document whose first bytes are ``head``; :class:`UnsupportedFileError` for anything else."""
    where = str(path) if path else None
    if not head:
        raise UnsupportedFileError("the file is empty", path=where)
    markup = head.lstrip(b"\xef\xbb\xbf").lstrip()[:1] == b"<"
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and not markup):
        return FileKind.PDF  # its header where readers look for it, in the first 1024 bytes; not in an XML's text
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return FileKind.TIFF
    codec = _UTF16.get(head[:2])
    if codec is not None:  # XML in UTF-16, with or without its byte-order mark
        head = head.decode(codec, errors="ignore").encode()
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") and any(ns.encode() in head for ns in EINVOICE_NAMESPACES):
        return FileKind.XML
    if text.startswith(b"<"):
        if path is not None and xml_root_namespace(path) in EINVOICE_NAMESPACES:
            return FileKind.XML  # the root comes after a long comment (a licence text, say)
        raise UnsupportedFileError("an XML file that is not a CII or UBL e-invoice", path=where)
    raise UnsupportedFileError("not a PDF, PNG, JPEG, TIFF or e-invoice XML document", path=where)


def xml_root_namespace(path: Path) -> str | None:
    """The namespace of an XML file's root element, reading no further than its start tag."""
    from lxml import etree

    try:
        for _, element in etree.iterparse(str(path), events=("start",), resolve_entities=False, no_network=True):
            return etree.QName(element).namespace
    except (etree.XMLSyntaxError, OSError):
        return None
    return None


def sniff_file(path: Path) -> FileKind:
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except FileNotFoundError as exc:
        raise MissingFileError("no such file", path=str(path)) from exc
    except IsADirectoryError as exc:
        raise UnsupportedFileError("a directory, not a document", path=str(path)) from exc
    except OSError as exc:
        raise UnsupportedFileError(f"cannot read the file: {exc.strerror or exc}", path=str(path)) from exc
    return sniff_kind(head, path)


def png_size(head: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG's IHDR chunk."""
    if len(head) < 24 or head[12:16] != b"IHDR":
        raise CorruptFileError("PNG without an image header")
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels from a JPEG's start-of-frame marker, reading only the segment headers."""
    with path.open("rb") as fh:
        if fh.read(2) != b"\xff\xd8":
            raise CorruptFileError("JPEG without a start marker")
        while True:
            byte = fh.read(1)
            while byte and byte != b"\xff":
                byte = fh.read(1)
            while byte == b"\xff":
                byte = fh.read(1)
            if not byte:
                break
            marker = byte[0]
            if marker in (0x01, *range(0xD0, 0xD9)):
                continue
            length_bytes = fh.read(2)
            if len(length_bytes) < 2:
                break
            (length,) = struct.unpack(">H", length_bytes)
            if marker in _JPEG_SOF:
                data = fh.read(5)
                if len(data) < 5:
                    break
                height, width = struct.unpack(">HH", data[1:5])
                return int(width), int(height)
            fh.seek(length - 2, 1)
    raise CorruptFileError("JPEG without a frame header")


def check_pixels(width: int, height: int, limit: int, path: Path | None = None) -> None:
    """Refuse an image of more than ``limit`` pixels, or one with no pixels."""
    where = str(path) if path else None
    if width <= 0 or height <= 0:
        raise CorruptFileError(f"image of {width} x {height} pixels", path=where)
    if width * height > limit:
        raise ImageTooLargeError(
            f"image of {width} x {height} pixels is over the limit of {limit:,} pixels", path=where
        )
