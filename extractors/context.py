"""Settings an extractor runs with. Passed in, frozen, never read from the environment inside an extractor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ExtractionContext:
    ocr_dpi: int = 300
    """Resolution pages without a usable text layer are rendered at for OCR."""
    ocr_languages: str = "eng+deu+fra"
    use_einvoice: bool = True
    """Read fields from embedded Factur-X / ZUGFeRD / XRechnung / UBL XML when present."""
    workers: int = 1
    """Processes used to OCR the pages of one document."""
    max_image_pixels: int = 200_000_000
    """Larger images are refused as bad input rather than read."""
    model_path: Path | None = None
    """The field model to use; None means the default model shipped in resources/."""
    language_hint: str | None = None
    """A locale hint for dates and amounts (e.g. "de"), when the sender's country is known."""
    second_look: bool = True
    """Read a scanned page once more, as one block of text, when a required field was not found on it or is more
    likely wrong than right; each field then keeps the more confident of its two readings."""
    doc_type: str | None = None
    """The document's type as a person set it (invoice, receipt, contract): its fields are read as that type's and
    the type is not classified. None: the type is classified from the page."""
