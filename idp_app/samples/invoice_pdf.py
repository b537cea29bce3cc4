"""Draw an :class:`InvoiceSpec` as a PDF with reportlab and record the truth with the box of every value.

Drawing is done twice when needed: the first pass learns the page count that the "Page n of m"
footers print. Tables that do not fit continue on the next page under a repeated header row.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from idp_app.samples.canvas import BLACK, WHITE, RecordingCanvas, text_width
from idp_app.samples.formatting import format_amount, format_day, format_number, format_quantity, format_rate, plain
from idp_app.samples.identity import compact_vat, format_iban
from idp_app.samples.invoice_layouts import InvoiceLayout, draw_logo, get_layout, lighter
from idp_app.samples.invoice_spec import InvoiceSpec
from idp_app.samples.truth import SampleTruth, boxes_from_canvas
from idp_app.samples.vocab import LABELS

GREY = (0.4, 0.4, 0.4)
MARGIN = 48.0
SIDEBAR_W = 150.0
ROW_H = 15.0
HEAD_H = 18.0


@dataclass(frozen=True, slots=True)
class _Column:
    key: str
    label: str
    width: float
    align: str


class _InvoiceDrawing:
    """One pass of drawing an invoice. ``raw`` collects each field's text as printed."""

    def __init__(self, spec: InvoiceSpec, layout: InvoiceLayout, total_pages: int) -> None:
        self.spec = spec
        self.lay = layout
        self.total_pages = total_pages
        width, height = spec.page_size
        self.rc = RecordingCanvas(width, height, title=f"{self._label('title')} {spec.invoice_number}")
        self.font, self.bold = layout.font, layout.bold
        self.left = MARGIN + (SIDEBAR_W if layout.header == "sidebar" else 0.0)
        self.right = width - MARGIN
        self.bottom = height - (118.0 if layout.payment == "footer" else 60.0)
        self.raw: dict[str, Any] = {}
        self.items_raw: list[dict[str, str]] = []

    # helpers -------------------------------------------------------------------------------------
    def _label(self, name: str) -> str:
        variants = LABELS[self.spec.language][name]
        if name == "tax" and self.spec.vendor.country.code == "US":
            return "Sales Tax"
        return variants[self.spec.label_variant % len(variants)]

    def _date(self, name: str) -> str:
        day = getattr(self.spec, name)
        text = format_day(day, self.spec.date_style)
        self.raw[name] = text
        return text

    def _money(self, value: Decimal, *, with_currency: bool) -> str:
        placement = self.spec.currency_placement if with_currency else "none"
        return format_amount(value, self.spec.amount_style, self.spec.currency, placement)

    def _field(self, x: float, y: float, name: str, text: str, *, size: float = 9.5, bold: bool = False,
               align: str = "left", color: tuple[float, float, float] = BLACK) -> float:  # fmt: skip
        """Draw a field value and remember it; returns the right edge of the drawn text."""
        if name.startswith("_"):
            font = self.bold if bold else self.font
            return self.rc.text(x, y, text, font, size, align=align, color=color).x1
        self.raw.setdefault(name, text)
        box = self.rc.text(x, y, text, self.bold if bold else self.font, size, align=align, color=color, key=name)
        return box.x1

    def _labelled(self, x: float, y: float, label: str, name: str, text: str, gap: float = 110.0) -> None:
        self.rc.text(x, y, f"{label}:" if self.spec.language != "fr" else f"{label} :", self.font, 9, color=GREY)
        self._field(x + gap, y, name, text)

    def _meta_rows(self) -> list[tuple[str, str, str]]:
        s = self.spec
        rows = [("invoice_number", self._label("invoice_number"), s.invoice_number)]
        if s.customer_number is not None:  # names starting with "_" are printed but are no truth field
            rows.append(("_customer_number", self._label("customer_number"), s.customer_number))
        rows.append(("invoice_date", self._label("invoice_date"), self._date("invoice_date")))
        if s.delivery_date is not None:
            rows.append(("_delivery_date", self._label("delivery_date"), format_day(s.delivery_date, s.date_style)))
        if s.due_date is not None and not s.terms_only:
            rows.append(("due_date", self._label("due_date"), self._date("due_date")))
        if s.po_number is not None:
            rows.append(("po_number", self._label("po_number"), s.po_number))
        rows.append(("currency", self._label("currency"), s.currency))
        return rows

    # header --------------------------------------------------------------------------------------
    def _fit(self, text: str, font: str, size: float, max_width: float) -> float:
        """The largest font size up to ``size`` at which ``text`` fits in ``max_width``."""
        while size > 6 and text_width(text, font, size) > max_width:
            size -= 0.5
        return size

    def _vendor_block(self, x: float, top: float, align: str, color: tuple[float, float, float] = BLACK) -> float:
        v = self.spec.vendor
        size = self._fit(v.name, self.bold, 14, 240 if align == "left" else 400)
        self._field(x, top, "vendor_name", v.name, size=size, bold=True, align=align, color=color)
        y = top + 15
        for line in v.address_lines:
            self._vendor_address_line(x, y, line, align, color)
            y += 11
        return y

    def _vendor_address_line(
        self, x: float, y: float, line: str, align: str, color: tuple[float, float, float]
    ) -> None:
        self.raw["vendor_address"] = "\n".join(self.spec.vendor.address_lines)
        self.rc.text(x, y, line, self.font, 9, align=align, color=color, key="vendor_address", merge=True)

    def _header(self) -> float:
        """Draw the page-one header; returns the y below it."""
        lay, s, rc = self.lay, self.spec, self.rc
        if lay.header == "logo_left":
            draw_logo(rc, s.logo_kind, MARGIN, 40, 46, s.accent)
            self._vendor_block(MARGIN + 58, 56, "left")
            return 120.0
        if lay.header == "logo_right":
            draw_logo(rc, s.logo_kind, self.right - 52, 36, 52, s.accent)
            self._vendor_block(MARGIN, 50, "left")
            return 120.0
        if lay.header == "band":
            rc.rect(0, 0, rc.width, 92, fill=s.accent)
            draw_logo(rc, s.logo_kind, MARGIN, 22, 48, lighter(s.accent, 0.75))
            size = self._fit(s.vendor.name, self.bold, 15, 250)
            self._field(MARGIN + 62, 44, "vendor_name", s.vendor.name, size=size, bold=True, color=WHITE)
            y = 30.0
            for line in s.vendor.address_lines:
                self._vendor_address_line(self.right, y, line, "right", WHITE)
                y += 11
            rc.text(self.right, y, s.vendor.email, self.font, 8, align="right", color=WHITE)
            return 118.0
        if lay.header == "centered":
            mid = rc.width / 2
            draw_logo(rc, s.logo_kind, mid - 22, 30, 44, s.accent)
            self._vendor_block(mid, 92, "center")
            return 140.0
        # sidebar: a tinted column down the left edge, vendor details in it
        self._sidebar()
        return 60.0

    def _sidebar(self) -> None:
        rc, s = self.rc, self.spec
        rc.rect(0, 0, SIDEBAR_W + 18, rc.height, fill=lighter(s.accent, 0.85))
        if rc.page > 0:
            return
        draw_logo(rc, s.logo_kind, 24, 40, 50, s.accent)
        y = 116.0
        self._field(24, y, "vendor_name", s.vendor.name, size=self._fit(s.vendor.name, self.bold, 9.5, 140), bold=True)
        for line in s.vendor.address_lines:
            y += 12
            self._vendor_address_line(24, y, line, "left", BLACK)
        y += 12
        rc.text(24, y, s.vendor.phone, self.font, 8)
        rc.text(24, y + 11, s.vendor.email, self.font, 8)
        if self.lay.payment == "sidebar":
            self._payment_lines(24, y + 40, 12, label_above=True, size=8.0)

    def _title(self, top: float) -> float:
        rc, lay = self.rc, self.lay
        title = self._label("title")
        size = 22 if lay.font != "Courier" else 18
        if lay.title == "right" and lay.header in ("logo_left", "sidebar"):
            rc.text(self.right, 62, title, self.bold, size, align="right", color=self.spec.accent)
            return top
        x = {"left": self.left, "right": self.right, "center": (self.left + self.right) / 2}[lay.title]
        rc.text(x, top + 20, title, self.bold, size, align=lay.title, color=self.spec.accent)
        return top + 44

    def _customer(self, x: float, top: float, max_width: float) -> float:
        s, rc = self.spec, self.rc
        if self.lay.sender_line:
            sender = f"{s.vendor.name} · {' · '.join(s.vendor.address_lines)}"
            rc.text(x, top, sender, self.font, 6.5, color=GREY)
            rc.line(x, top + 2, x + text_width(sender, self.font, 6.5), top + 2, color=GREY, width=0.3)
            top += 14
        rc.text(x, top, self._label("customer"), self.bold, 8.5, color=GREY)
        size = self._fit(s.customer.name, self.bold, 10.5, max_width)
        self._field(x, top + 14, "customer_name", s.customer.name, size=size, bold=True)
        y = top + 14
        for line in s.customer.address_lines:
            y += 12
            rc.text(x, y, line, self.font, 9.5)
        return y + 10

    def _details(self, top: float) -> float:
        """Customer address and invoice details; returns the y where the table may start."""
        lay, rc = self.lay, self.rc
        mid = (self.left + self.right) / 2 + 20
        cust_x = self.left if lay.customer == "left" else mid
        y_customer = self._customer(cust_x, top, mid - self.left - 16 if lay.customer == "left" else self.right - mid)
        rows = self._meta_rows()
        if lay.meta == "kv":
            x = mid if lay.customer == "left" else self.left
            y = top + 2
            gap = max(text_width(f"{label} :", self.font, 9) for _, label, _ in rows) + 10
            for name, label, value in rows:
                self._labelled(x, y, label, name, value, gap=gap)
                y += 14
            return max(y, y_customer) + 18
        if lay.meta == "boxes_row":
            y = y_customer + 6
            cell = (self.right - self.left) / len(rows)
            for i, (name, label, value) in enumerate(rows):
                x = self.left + i * cell
                rc.rect(x, y, cell, 30, stroke=GREY, fill=lighter(self.spec.accent, 0.92))
                rc.text(x + 5, y + 10, label, self.font, 7, color=GREY)
                self._field(x + 5, y + 24, name, value, size=self._fit(value, self.font, 9, cell - 10))
            return y + 48
        # inline: label value, label value, ... on as many lines as needed
        x, y = self.left, y_customer + 8
        for name, label, value in rows:
            label_text = f"{label}: "
            need = text_width(label_text, self.bold, 8.5) + text_width(value, self.font, 9) + 16
            if x + need > self.right:
                x, y = self.left, y + 14
            box = rc.text(x, y, label_text, self.bold, 8.5)
            x = self._field(box.x1 + 2, y, name, value, size=9) + 16
        return y + 22

    # table ---------------------------------------------------------------------------------------
    def _columns(self) -> list[_Column]:
        lay = self.lay
        cols = []
        if lay.pos_column:
            cols.append(_Column("pos", self._label("pos"), 26, "left"))
        qty = _Column("quantity", self._label("quantity"), 44, "right")
        if lay.qty_first:
            cols.append(qty)
        cols.append(_Column("description", self._label("description"), 0, "left"))
        if not lay.qty_first:
            cols.append(qty)
        cols.append(_Column("unit_price", self._label("unit_price"), 72, "right"))
        if lay.tax_column == "always" or len(self.spec.rates) > 1:
            cols.append(_Column("tax_rate", self._label("tax_rate"), 42, "right"))
        cols.append(_Column("amount", self._label("amount"), 76, "right"))
        fixed = sum(c.width for c in cols)
        return [
            _Column(c.key, c.label, self.right - self.left - fixed, c.align) if c.key == "description" else c
            for c in cols
        ]

    def _table_header(self, cols: list[_Column], y: float) -> float:
        rc, lay, accent = self.rc, self.lay, self.spec.accent
        width = self.right - self.left
        color = BLACK
        if lay.table in ("filled_header", "zebra"):
            rc.rect(self.left, y, width, HEAD_H, fill=accent)
            color = WHITE
        elif lay.table == "grid":
            rc.rect(self.left, y, width, HEAD_H, fill=lighter(accent, 0.8), stroke=GREY)
        else:
            rc.line(self.left, y + HEAD_H, self.right, y + HEAD_H, color=accent, width=1.2)
        x = self.left
        for c in cols:
            tx = x + c.width - 4 if c.align == "right" else x + 4
            rc.text(tx, y + 12.5, c.label, self.bold, 8.5, align=c.align, color=color)
            x += c.width
        return y + HEAD_H

    def _row(self, cols: list[_Column], index: int, y: float) -> None:
        s, rc, lay = self.spec, self.rc, self.lay
        item = s.items[index]
        cells = {
            "pos": str(index + 1),
            "description": item.description,
            "quantity": format_quantity(item.quantity, s.amount_style),
            "unit_price": format_number(item.unit_price, s.amount_style),
            "tax_rate": format_rate(item.tax_rate, s.amount_style),
            "amount": format_number(item.amount, s.amount_style),
        }
        width = self.right - self.left
        if lay.table == "zebra" and index % 2 == 1:
            rc.rect(self.left, y, width, ROW_H, fill=lighter(s.accent, 0.9))
        x = self.left
        printed: dict[str, str] = {}
        for c in cols:
            text = cells[c.key]
            size = 9.0
            while text_width(text, self.font, size) > c.width - 8 and size > 6:
                size -= 0.5
            tx = x + c.width - 4 if c.align == "right" else x + 4
            key = None if c.key == "pos" else f"line_items.{index}.{c.key}"
            rc.text(tx, y + 11, text, self.font, size, align=c.align, key=key)
            if key is not None:
                printed[c.key] = text
            if lay.table == "grid":
                rc.rect(x, y, c.width, ROW_H, stroke=GREY, line_width=0.4)
            x += c.width
        if lay.table == "lines":
            rc.line(self.left, y + ROW_H, self.right, y + ROW_H, color=GREY, width=0.3)
        self.items_raw.append(printed)

    # totals and payment --------------------------------------------------------------------------
    def _totals_height(self) -> float:
        lines = 2 + len(self.spec.rates) + (1 if len(self.spec.rates) > 1 else 0)
        extra = 86.0 if self.lay.payment == "block" else 0.0
        return lines * 16 + 30 + extra

    def _totals(self, y: float) -> float:
        s, rc, lay = self.spec, self.rc, self.lay
        label_x = self.right - 230
        y += 18
        rows: list[tuple[str, str | None, Decimal]] = [(self._label("net"), "net_amount", s.net_amount)]
        for rate in s.rates:
            name = "tax_amount" if len(s.rates) == 1 else None
            rows.append((f"{self._label('tax')} {format_rate(rate, s.amount_style)}", name, s.tax_for_rate(rate)))
        if len(s.rates) > 1:
            rows.append((f"{self._label('tax')} {'gesamt' if s.language == 'de' else 'total'}", "tax_amount",
                         s.tax_amount))  # fmt: skip
        if lay.totals == "boxed":
            rc.rect(label_x - 8, y - 13, self.right - label_x + 8, len(rows) * 16 + 34, stroke=s.accent, line_width=1)
        for label, name, value in rows:
            rc.text(label_x, y, label, self.font, 9.5)
            text = self._money(value, with_currency=name is not None)
            if name is None:
                rc.text(self.right - 4, y, text, self.font, 9.5, align="right")
            else:
                self._field(self.right - 4, y, name, text, align="right")
            y += 16
        color = BLACK
        if lay.totals == "band":
            rc.rect(label_x - 8, y - 4, self.right - label_x + 8, 20, fill=s.accent)
            color = WHITE
        else:
            rc.line(label_x, y - 6, self.right, y - 6, width=0.8)
        rc.text(label_x, y + 10, self._label("total"), self.bold, 11, color=color)
        total = self._money(s.total_amount, with_currency=True)
        self._field(self.right - 4, y + 10, "total_amount", total, size=11, bold=True, align="right", color=color)
        y += 34
        if lay.payment == "block":
            rc.text(self.left, y, self._label("bank"), self.bold, 9)
            self._payment_lines(self.left, y + 14, 12, label_above=False)
            y += 70
        return y

    def _payment_lines(
        self, x: float, y: float, step: float, *, label_above: bool, gap: float = 80.0, size: float = 8.5
    ) -> float:
        """Bank name, IBAN and VAT id with their labels; returns the right edge of the widest value."""
        v, rc = self.spec.vendor, self.rc
        pairs: list[tuple[str, str | None, str]] = [("Bank", None, v.bank_name)]
        if v.iban is not None:
            pairs.append(("IBAN", "vendor_iban", format_iban(v.iban)))
        if v.vat_id is not None:
            pairs.append((self._label("vat_id"), "vendor_vat_id", v.vat_id))
        gap = max(gap, *(text_width(f"{label}:", self.font, size) + 6 for label, _, _ in pairs))
        edge = x
        for label, name, text in pairs:
            if label_above:
                rc.text(x, y, label, self.bold, 7.5, color=GREY)
                y += step - 2
            else:
                rc.text(x, y, f"{label}:", self.font, size, color=GREY)
            gx = x if label_above else x + gap
            while label_above and text_width(text, self.font, size) > SIDEBAR_W - 10 and size > 5.5:
                size -= 0.5
            if name is None:
                right = rc.text(gx, y, text, self.font, size).x1
            else:
                right = self._field(gx, y, name, text, size=size)
            edge = max(edge, right)
            y += step
        return edge

    def _terms(self, y: float) -> float:
        """The payment terms below the totals (the due date they imply is the truth's due date)."""
        s = self.spec
        assert s.due_date is not None
        if y + 20 >= self.bottom:
            y = self._next_page()
        days = (s.due_date - s.invoice_date).days
        text = self._label("payment_terms").format(n=days)
        self._field(self.left, y + 6, "payment_terms", text, size=8.5)
        self.raw["due_date"] = text  # the due date is read from the terms, where they are printed
        self.rc.boxes["due_date"] = self.rc.boxes["payment_terms"]
        return y + 14

    def _footer(self) -> None:
        rc, s, lay = self.rc, self.spec, self.lay
        page_text = self._label("page").format(n=rc.page + 1, m=self.total_pages)
        rc.text(self.right, rc.height - 28, page_text, self.font, 7.5, align="right", color=GREY)
        if lay.payment != "footer":
            return
        top = rc.height - 88
        rc.line(MARGIN, top - 10, rc.width - MARGIN, top - 10, color=s.accent, width=0.8)
        col = (rc.width - 2 * MARGIN) / 3
        rc.text(MARGIN, top, s.vendor.name, self.bold, 7.5)
        for i, line in enumerate(s.vendor.address_lines):
            rc.text(MARGIN, top + 10 * (i + 1), line, self.font, 7.5, key="vendor_address", merge=True)
        self.raw.setdefault("vendor_address", "\n".join(s.vendor.address_lines))
        edge = self._payment_lines(MARGIN + col - 20, top, 10, label_above=False, gap=58, size=7.5)
        third = max(MARGIN + 2 * col + 20, edge + 14)
        for i, line in enumerate((s.vendor.contact, s.vendor.phone, s.vendor.email)):
            rc.text(third, top + 10 * i, line, self.font, 7.5)

    # page flow -----------------------------------------------------------------------------------
    def _next_page(self) -> float:
        rc = self.rc
        rc.text(self.right, self.bottom + 10, self._label("continued"), self.font, 7.5, align="right", color=GREY)
        self._footer()
        rc.new_page()
        if self.lay.header == "sidebar":
            self._sidebar()
        rc.text(self.left, 40, f"{self.spec.vendor.name} · {self._label('invoice_number')} {self.spec.invoice_number}",
                self.font, 8, color=GREY)  # fmt: skip
        return 60.0

    def draw(self) -> bytes:
        top = self._header()
        top = self._title(top)
        y = self._details(top)
        cols = self._columns()
        y = self._table_header(cols, y)
        for index in range(len(self.spec.items)):
            if y + ROW_H > self.bottom:
                y = self._table_header(cols, self._next_page())
            self._row(cols, index, y)
            y += ROW_H
        if y + self._totals_height() > self.bottom:
            y = self._next_page()
        y = self._totals(y)
        if self.spec.terms_only:
            y = self._terms(y)
        thanks = self._label("thanks")
        if y + 20 < self.bottom:
            self.rc.text(self.left, y + 6, thanks, self.font, 8.5, color=GREY)
        self._footer()
        return self.rc.finish()


def render_invoice(spec: InvoiceSpec, *, doc_id: str, file: str, seed: int | None = None) -> tuple[bytes, SampleTruth]:
    """The PDF bytes of ``spec`` and its truth (``file`` is the path recorded in the truth)."""
    layout = get_layout(spec.layout)
    drawing = _InvoiceDrawing(spec, layout, total_pages=1)
    pdf = drawing.draw()
    if drawing.rc.page_count != 1:
        drawing = _InvoiceDrawing(spec, layout, total_pages=drawing.rc.page_count)
        pdf = drawing.draw()
    return pdf, SampleTruth(
        id=doc_id,
        file=file,
        type="invoice",
        fields=_normalised(spec, drawing.raw),
        fields_raw=drawing.raw,
        line_items=[
            {
                "description": item.description,
                "quantity": plain(item.quantity, 4),
                "unit_price": plain(item.unit_price),
                "amount": plain(item.amount),
                "tax_rate": plain(item.tax_rate),
            }
            for item in spec.items
        ],
        boxes=boxes_from_canvas(drawing.rc.boxes, drawing.raw, drawing.items_raw),
        layout=spec.layout,
        language=spec.language,
        pages=drawing.rc.page_count,
        page_size_pt=spec.page_size,
        seed=seed,
    )


def _normalised(spec: InvoiceSpec, raw: dict[str, Any]) -> dict[str, Any]:
    """The shared-format values of every field that is printed, in the canonical order."""
    v = spec.vendor
    values: dict[str, str | None] = {
        "invoice_number": spec.invoice_number,
        "invoice_date": spec.invoice_date.isoformat(),
        "due_date": spec.due_date.isoformat() if spec.due_date else None,
        "payment_terms": raw.get("payment_terms"),
        "vendor_name": v.name,
        "vendor_address": v.address,
        "vendor_vat_id": compact_vat(v.country.code, v.vat_id) if v.vat_id else None,
        "vendor_iban": v.iban,
        "customer_name": spec.customer.name,
        "currency": spec.currency,
        "net_amount": plain(spec.net_amount),
        "tax_amount": plain(spec.tax_amount),
        "total_amount": plain(spec.total_amount),
        "po_number": spec.po_number,
    }
    return {name: value for name, value in values.items() if value is not None and name in raw}
