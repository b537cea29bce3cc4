"""Finding the e-invoice XML: a file attached to a PDF (Factur-X, ZUGFeRD, XRechnung) or a bare XML file."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from lxml import etree

from extractors.errors import CorruptFileError, UnsupportedFileError

EINVOICE_NAMESPACES = (
    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "urn:ferd:CrossIndustryDocument:invoice:1p0",
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
)
"""Root namespaces of the e-invoices read: CII (Factur-X / ZUGFeRD 2.x / XRechnung), ZUGFeRD 1.0, UBL 2.1."""

log = logging.getLogger(__name__)

PREFERRED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")
"""Attachment names the standards prescribe, tried before any other XML attachment."""


def einvoice_namespace(xml: bytes) -> str | None:
    """The namespace of the root element if it is a CII or UBL invoice, else None (also for XML that won't parse)."""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return None
    ns = etree.QName(root).namespace
    return ns if ns in EINVOICE_NAMESPACES else None


def validate_einvoice_xml(xml: bytes, path: Path | None = None) -> str:
    """The root namespace of a bare e-invoice file; a typed error if it does not parse or is not an invoice."""
    where = str(path) if path else None
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise CorruptFileError(f"the e-invoice XML does not parse: {exc}", path=where) from exc
    ns = etree.QName(root).namespace
    if ns not in EINVOICE_NAMESPACES:
        raise UnsupportedFileError(f"XML root {etree.QName(root).localname!r} is not a CII or UBL invoice", path=where)
    return str(ns)


def pick_einvoice(attachments: dict[str, list[bytes]]) -> bytes | None:
    """The first attachment that is a CII / UBL invoice, the names the standards prescribe first.

    Where none is, but an attachment has a name the standards prescribe ("factur-x.xml"), that one is returned as
    it is: a damaged e-invoice, which reading it then reports, rather than a PDF that seems to carry none."""
    names = sorted(attachments, key=lambda n: (n.lower() not in PREFERRED_NAMES, n.lower()))
    for name in names:
        if not name.lower().endswith(".xml"):
            continue
        for payload in attachments[name]:
            if einvoice_namespace(payload):
                return bytes(payload)
    damaged = [payload for name in names if name.lower() in PREFERRED_NAMES for payload in attachments[name]]
    return bytes(damaged[0]) if damaged else None


MAX_EINVOICE_BYTES = 20_000_000
"""The most an attached file may unpack to for it to be read as an e-invoice: the largest e-invoices run to a few
megabytes; a small PDF whose attachment unpacks to gigabytes would exhaust the machine's memory."""


def einvoice_from_pdfium(pdf: Any, path: Path, notes: list[str] | None = None) -> bytes | None:
    """The e-invoice attached to a PDF open in pypdfium2: PDFium says quickly whether there are attachments;
    they are unpacked by :func:`bounded_attachments`, which stops at :data:`MAX_EINVOICE_BYTES` (PDFium would
    unpack a file whole, whatever its size). Why an attachment was passed over is added to ``notes``."""
    if not pdf.count_attachments():
        return None
    return pick_einvoice(bounded_attachments(path, notes))


def bounded_attachments(path: Path, notes: list[str] | None = None) -> dict[str, list[bytes]]:
    """The files attached to a PDF (its /EmbeddedFiles name tree), each unpacked to at most
    :data:`MAX_EINVOICE_BYTES`; one that would unpack to more, or is packed in a way that could, is passed over and
    ``notes`` says so."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    out: dict[str, list[bytes]] = {}
    try:
        reader = PdfReader(_from_header(path))
        if reader.is_encrypted and not reader.decrypt(""):
            return out
        root: Any = reader.trailer["/Root"].get_object()
        names = root.get("/Names")
        tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
        for name, spec in _name_tree(tree.get_object() if tree is not None else None):
            data, why = _unpacked(spec)
            if data is not None:
                out.setdefault(name, []).append(data)
            elif why:
                log.warning("%s: attachment %s passed over: %s", path, name, why)
                if notes is not None:
                    notes.append(f"attached file {name!r} not read: {why}")
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        log.warning("%s: cannot look for an embedded e-invoice: %s", path, exc)
    return out


def _from_header(path: Path) -> str | io.BytesIO:
    """The PDF for pypdf: the file, or where bytes come before its "%PDF-" header (a mail gateway's or a scanner's
    line, which PDFium passes over), its bytes from the header on, since the file's offsets count from there and
    pypdf would count them from the file's first byte."""
    with Path(path).open("rb") as fh:
        start = fh.read(1024).find(b"%PDF-")
        if start <= 0:
            return str(path)
        fh.seek(start)
        return io.BytesIO(fh.read())


def _name_tree(node: Any, depth: int = 0) -> list[tuple[str, Any]]:
    """(name, file specification) pairs of a PDF name tree, kids included (to a sane depth)."""
    if node is None or depth > 32:
        return []
    found: list[tuple[str, Any]] = []
    pairs = node.get("/Names")
    if pairs is not None:
        items = list(pairs.get_object())
        for key, value in zip(items[::2], items[1::2], strict=False):
            spec = value.get_object()
            name = spec.get("/UF") or spec.get("/F") or key
            found.append((str(name), spec))
    for kid in node.get("/Kids") or ():
        found += _name_tree(kid.get_object(), depth + 1)
    return found


_PLAIN_FILTERS = frozenset({"/ASCIIHexDecode", "/ASCII85Decode", "/AHx", "/A85"})
"""Filters that cannot unpack a stream to more than four times its size."""


def _unpacked(spec: Any) -> tuple[bytes | None, str | None]:
    """An embedded file's bytes, or None and why not (None and None: the specification holds no file)."""
    import zlib

    files = spec.get("/EF")
    stream = (files.get_object().get("/UF") or files.get_object().get("/F")) if files is not None else None
    if stream is None:
        return None, None
    stream = stream.get_object()
    raw = stream._data  # the bytes as stored, before any filter
    found = stream.get("/Filter")
    filters = [str(f) for f in found] if isinstance(found, list) else ([str(found)] if found is not None else [])
    too_large = f"it unpacks to more than {MAX_EINVOICE_BYTES // 1_000_000} MB"
    if not filters:
        return (bytes(raw), None) if len(raw) <= MAX_EINVOICE_BYTES else (None, too_large)
    if filters in (["/FlateDecode"], ["/Fl"]) and stream.get("/DecodeParms") is None:
        unpack = zlib.decompressobj()
        try:
            data = unpack.decompress(raw, MAX_EINVOICE_BYTES + 1)
        except zlib.error as exc:
            return None, f"it does not unpack: {exc}"
        return (data, None) if len(data) <= MAX_EINVOICE_BYTES else (None, too_large)
    if set(filters) <= _PLAIN_FILTERS and 4 * len(raw) <= MAX_EINVOICE_BYTES:
        return bytes(stream.get_data()), None
    return None, f"packed with {', '.join(filters)}, which may unpack to any size"


def find_einvoice_xml(path: Path) -> bytes | None:
    """The CII / UBL invoice XML embedded in a PDF, or the file itself if it is one; None when there is none."""
    import pypdfium2 as pdfium

    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        data = path.read_bytes()
        return data if einvoice_namespace(data) else None
    from extractors.readers.render import PDFIUM_LOCK  # type: ignore[attr-defined,unused-ignore]

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            pdf = None
        if pdf is not None:
            try:
                return einvoice_from_pdfium(pdf, path)
            finally:
                pdf.close()
    return pick_einvoice(bounded_attachments(path))
