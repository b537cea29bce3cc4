"""Finding the e-invoice XML: a file attached to a PDF (Factur-X, ZUGFeRD, XRechnung) or a bare XML file."""

from __future__ import annotations

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


def einvoice_from_pdfium(pdf: Any) -> bytes | None:
    """The e-invoice attached to an open pypdfium2 document (PDFium reads the embedded files quickly)."""
    attachments: dict[str, list[bytes]] = {}
    for i in range(pdf.count_attachments()):
        item = pdf.get_attachment(i)
        try:
            attachments.setdefault(str(item.get_name()), []).append(bytes(item.get_data()))
        except Exception as exc:  # a damaged embedded file is skipped, the document is still read
            log.warning("cannot read attachment %d: %s", i, exc)
    return pick_einvoice(attachments)


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
                return einvoice_from_pdfium(pdf)
            finally:
                pdf.close()
    return _find_with_pypdf(path)


def _find_with_pypdf(path: Path) -> bytes | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        return pick_einvoice(dict(reader.attachments))
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: cannot look for an embedded e-invoice: %s", path, exc)
    return None
