"""The invoice layouts (templates) and the vector logos drawn in their headers.

A layout is data: where the header, the customer address, the invoice details, the table, the totals
and the bank details go, and how they look. The renderer in :mod:`idp_app.samples.invoice_pdf`
honours each choice, so two layouts differ visibly on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp_app.samples.canvas import WHITE, RecordingCanvas

RGB = tuple[float, float, float]

FONTS = {
    "Helvetica": "Helvetica-Bold",
    "Times-Roman": "Times-Bold",
    "Courier": "Courier-Bold",
}


@dataclass(frozen=True, slots=True)
class InvoiceLayout:
    id: str
    font: str
    header: str
    """logo_left, logo_right, band, centered or sidebar."""
    title: str
    """left, right or center."""
    customer: str
    """left or right; key-value details go on the other side."""
    meta: str
    """kv (opposite the customer), boxes_row (a row of labelled cells) or inline (one line)."""
    table: str
    """grid, zebra, lines, filled_header or minimal."""
    pos_column: bool
    tax_column: str
    """always, or auto (only with two rates)."""
    totals: str
    """right, boxed or band."""
    payment: str
    """footer (three columns on every page), block (after the totals) or sidebar."""
    sender_line: bool = False
    qty_first: bool = False

    @property
    def bold(self) -> str:
        return FONTS[self.font]


LAYOUTS: tuple[InvoiceLayout, ...] = (
    InvoiceLayout("inv-01", "Helvetica", "logo_left", "right", "left", "kv", "grid", True, "auto", "right", "footer"),
    InvoiceLayout("inv-02", "Times-Roman", "logo_right", "left", "left", "kv", "lines", False, "always", "boxed",
                  "block"),
    InvoiceLayout("inv-03", "Helvetica", "band", "left", "right", "inline", "zebra", True, "auto", "right", "footer"),
    InvoiceLayout("inv-04", "Courier", "centered", "center", "left", "boxes_row", "lines", True, "auto", "right",
                  "block", qty_first=True),
    InvoiceLayout("inv-05", "Helvetica", "logo_right", "left", "left", "kv", "filled_header", True, "always", "right",
                  "footer", sender_line=True),
    InvoiceLayout("inv-06", "Times-Roman", "sidebar", "left", "left", "kv", "minimal", False, "auto", "band",
                  "sidebar"),
    InvoiceLayout("inv-07", "Helvetica", "logo_left", "center", "right", "kv", "grid", False, "always", "boxed",
                  "block"),
    InvoiceLayout("inv-08", "Helvetica", "band", "right", "left", "boxes_row", "zebra", False, "auto", "band",
                  "footer", qty_first=True),
    InvoiceLayout("inv-09", "Times-Roman", "centered", "left", "right", "kv", "filled_header", True, "auto", "right",
                  "footer"),
    InvoiceLayout("inv-10", "Courier", "logo_left", "right", "left", "kv", "grid", True, "always", "boxed", "footer",
                  sender_line=True),
    InvoiceLayout("inv-11", "Helvetica", "sidebar", "right", "left", "inline", "lines", True, "auto", "right",
                  "sidebar"),
    InvoiceLayout("inv-12", "Times-Roman", "logo_right", "center", "right", "boxes_row", "filled_header", False,
                  "auto", "band", "block"),
)  # fmt: skip
LAYOUT_IDS: tuple[str, ...] = tuple(layout.id for layout in LAYOUTS)


def get_layout(layout_id: str) -> InvoiceLayout:
    for layout in LAYOUTS:
        if layout.id == layout_id:
            return layout
    raise ValueError(f"unknown invoice layout {layout_id!r}; known: {', '.join(LAYOUT_IDS)}")


def lighter(color: RGB, amount: float) -> RGB:
    """``color`` mixed with white (``amount`` 0 = unchanged, 1 = white)."""
    r, g, b = color
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def draw_logo(rc: RecordingCanvas, kind: int, x: float, top: float, size: float, color: RGB) -> None:
    """A vector logo (no text) of ``size`` points square with its top-left corner at (x, top)."""
    s = size
    light = lighter(color, 0.55)
    if kind == 0:  # circle with an inner square
        rc.circle(x + s / 2, top + s / 2, s / 2, fill=color)
        rc.rect(x + s * 0.3, top + s * 0.3, s * 0.4, s * 0.4, fill=WHITE)
    elif kind == 1:  # three rising bars
        for i in range(3):
            h = s * (0.4 + 0.3 * i)
            rc.rect(x + i * s * 0.34, top + s - h, s * 0.26, h, fill=color if i != 1 else light)
    elif kind == 2:  # two mountains
        rc.polygon([(x, top + s), (x + s * 0.45, top + s * 0.15), (x + s * 0.9, top + s)], fill=color)
        rc.polygon([(x + s * 0.4, top + s), (x + s * 0.7, top + s * 0.45), (x + s, top + s)], fill=light)
    elif kind == 3:  # ring with a dot
        rc.circle(x + s / 2, top + s / 2, s / 2, fill=color)
        rc.circle(x + s / 2, top + s / 2, s * 0.34, fill=WHITE)
        rc.circle(x + s / 2, top + s / 2, s * 0.16, fill=color)
    elif kind == 4:  # diamond in a square
        rc.rect(x, top, s, s, fill=light)
        rc.polygon([(x + s / 2, top + 4), (x + s - 4, top + s / 2), (x + s / 2, top + s - 4), (x + 4, top + s / 2)],
                   fill=color)  # fmt: skip
    else:  # stacked rounded slabs
        for i in range(3):
            rc.rect(x + i * s * 0.08, top + i * s * 0.33, s * 0.84, s * 0.26, fill=color if i % 2 == 0 else light,
                    radius=3)  # fmt: skip
