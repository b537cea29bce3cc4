"""E-invoices: the structured XML of Factur-X / ZUGFeRD / XRechnung (CII) and UBL 2.1 invoices.

- :func:`find_einvoice_xml` finds the XML attached to a PDF (or the file itself, for a bare XML);
- :func:`parse_einvoice` reads it into canonical fields and line items (source ``einvoice``, confidence 1.0);
- :func:`locate_values` finds where each value is printed on the document's pages;
- :func:`read_einvoice` does both for a read :class:`~extractors.document.Document`.
"""

from extractors.einvoice.embedded import einvoice_namespace, find_einvoice_xml, validate_einvoice_xml
from extractors.einvoice.locate import locate_values, read_einvoice
from extractors.einvoice.parse import HEADER_FIELDS, EInvoiceData, parse_einvoice

__all__ = [
    "HEADER_FIELDS",
    "EInvoiceData",
    "einvoice_namespace",
    "find_einvoice_xml",
    "locate_values",
    "parse_einvoice",
    "read_einvoice",
    "validate_einvoice_xml",
]
