"""Errors raised for bad input. Each carries an exit code that the command line maps to its status."""

from __future__ import annotations


class ExtractionError(Exception):
    """Base for every failure to read or extract one document. The batch goes on; this document fails."""

    exit_code = 10
    kind = "extraction_error"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        # a control character in a path (a line break, an escape sequence) is shown as "?": one error, one line
        path = "".join("?" if ord(c) < 32 or ord(c) == 127 else c for c in self.path) if self.path else None
        return f"{path}: {self.message}" if path else self.message


class MissingFileError(ExtractionError):
    """No file at the path given (a typing slip, a link to nothing, a file moved away)."""

    exit_code = 21
    kind = "not_found"


class UnsupportedFileError(ExtractionError):
    """Not a document this application reads (wrong type, empty file)."""

    exit_code = 11
    kind = "unsupported_file"


class CorruptFileError(ExtractionError):
    """The file claims a known type but cannot be parsed."""

    exit_code = 12
    kind = "corrupt_file"


class EncryptedFileError(ExtractionError):
    """A PDF protected by a password."""

    exit_code = 13
    kind = "encrypted_file"


class EmptyDocumentError(ExtractionError):
    """A document with zero pages."""

    exit_code = 14
    kind = "empty_document"


class ImageTooLargeError(ExtractionError):
    """An image or page larger than the configured pixel limit (a decompression bomb, a mis-scanned poster)."""

    exit_code = 15
    kind = "image_too_large"


class OcrUnavailableError(ExtractionError):
    """Tesseract or one of its language packs is not installed."""

    exit_code = 16
    kind = "ocr_unavailable"


class SchemaFileError(ExtractionError):
    """A field schema in ``resources/schemas`` that cannot be used: not TOML, a field without a valid type, labels
    not a list of words. The desk's fault, not the document's: the message names the file and the field."""

    exit_code = 18
    kind = "schema_file"


class ModelFileError(ExtractionError):
    """A model file that is missing, of another format version, or whose checksum does not match."""

    exit_code = 17
    kind = "model_file"
