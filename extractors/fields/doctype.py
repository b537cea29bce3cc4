"""Document type from its words: keyword evidence per type, turned into a probability by a softmax."""

from __future__ import annotations

import math
import re

from extractors.document import Document, DocumentType

KEYWORDS: dict[DocumentType, dict[str, float]] = {
    DocumentType.INVOICE: {
        "invoice": 2.0,
        "rechnung": 2.0,
        "facture": 2.0,
        "factuur": 2.0,
        "tax invoice": 1.0,
        "bill to": 1.0,
        "due date": 1.0,
        "iban": 0.7,
        "vat": 0.7,
        "ust": 0.7,
        "mwst": 0.7,
        "tva": 0.7,
        "btw": 0.7,
        "net": 0.4,
        "netto": 0.6,
        "subtotal": 0.6,
        "payment terms": 0.8,
        "zahlbar": 0.8,
        "rechnungsnummer": 1.5,
        "invoice number": 1.5,
        "gutschrift": 1.5,
        "credit note": 1.5,
        "avoir": 1.0,
        "qty": 0.5,
        "menge": 0.5,
    },
    DocumentType.RECEIPT: {
        "receipt": 2.0,
        "cash": 1.0,
        "change": 0.8,
        "tendered": 1.2,
        "cashier": 1.5,
        "thank you": 0.8,
        "gst": 0.6,
        "sdn bhd": 1.2,
        "rounding": 1.0,
        "kassenbon": 2.0,
        "quittung": 2.0,
        "beleg": 0.8,
        "ticket de caisse": 2.0,
        "bon": 0.5,
        "kasse": 1.0,
        "visa": 0.4,
        "mastercard": 0.4,
        "terminal": 0.6,
        "qty": 0.2,
        "total": 0.3,
        "counter": 0.8,
        "member": 0.5,
        "sdn. bhd": 1.2,
        "bhd": 0.8,
        "tunai": 1.2,
        "cash sale": 1.5,
        "change due": 1.2,
        "grand total": 0.4,
        "rounding adjustment": 1.0,
        "rounding adj": 1.0,
        "please come again": 1.5,
        "goods sold are not returnable": 1.5,
        "pos": 0.6,
        "station": 0.4,
        "rm": 0.5,
    },
    DocumentType.CONTRACT: {
        "agreement": 2.0,
        "contract": 1.5,
        "vertrag": 2.0,
        "contrat": 2.0,
        "overeenkomst": 2.0,
        "hereby": 1.0,
        "whereas": 1.5,
        "party": 0.6,
        "parties": 1.0,
        "governed by": 1.5,
        "confidential": 0.8,
        "terminate": 0.8,
        "in witness whereof": 2.0,
        "shall": 0.5,
        "non-disclosure": 2.0,
        "effective date": 1.0,
    },
}


NARROW_PAGE = 0.62
NARROW_PAGE_EVIDENCE = 2.0


def classify(doc: Document, max_chars: int = 20_000) -> tuple[DocumentType, float]:
    """The likeliest type and its probability. A document with little evidence for any type is OTHER."""
    text = doc.text()[:max_chars].lower()
    scores: dict[DocumentType, float] = {}
    for dtype, words in KEYWORDS.items():
        total = 0.0
        for word, weight in words.items():
            count = len(re.findall(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text))
            total += weight * math.log1p(count)
        scores[dtype] = total
    if doc.pages and len(doc.pages) <= 2:
        first = doc.pages[0]
        if first.height_pt > 0 and first.width_pt / first.height_pt < NARROW_PAGE:
            scores[DocumentType.RECEIPT] += NARROW_PAGE_EVIDENCE  # a till roll: narrow and long
    scores[DocumentType.OTHER] = 1.5
    z = max(scores.values())
    exp = {k: math.exp(v - z) for k, v in scores.items()}
    best = max(exp, key=lambda k: exp[k])
    return best, exp[best] / sum(exp.values())
