"""E-invoices: the structured XML of Factur-X / ZUGFeRD / XRechnung (CII) and UBL 2.1 invoices."""

from extractors.einvoice.embedded import einvoice_namespace, find_einvoice_xml, validate_einvoice_xml

__all__ = ["einvoice_namespace", "find_einvoice_xml", "validate_einvoice_xml"]
