"""The page view: a QGraphicsScene in PDF points, the page image under word and field boxes.

The page is a pixmap item scaled by 72/dpi, field boxes are items keyed by field name, zoom and pan go
only through the view transform, and every click is mapped with ``mapToScene``. Items paint; the review
state that picks their colour comes from the core.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QMouseEvent, QPainter, QPen, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSceneHoverEvent,
    QGraphicsTextItem,
    QGraphicsView,
    QWidget,
)

from extractors.document import Page, Token, TokenSource
from extractors.geometry import BBox
from idp_app.domain import ReviewState
from ui.model import DocumentView, FieldView
from ui.palette import RUBBER_BAND_COLOUR, SELECTION_COLOUR, state_colour, state_fill, state_pen_style
from ui.rendering import PageImageSource, dpi_for_scale, turned


class Z:
    """Stacking order of the page view's layers."""

    PAGE = 0.0
    TOKENS = 10.0
    FIELDS = 20.0
    SELECTION = 30.0
    RUBBER_BAND = 40.0
    MESSAGE = 50.0


ZOOM_MIN = 0.25
ZOOM_MAX = 6.0
ZOOM_STEP = 1.25
DRAG_THRESHOLD_PX = 5
PAGE_MARGIN_PT = 12.0
"""Grey margin around the page in the scene."""


def rect_of(box: BBox) -> QRectF:
    return QRectF(box.x0, box.y0, box.width, box.height)


def bbox_of(rect: QRectF) -> BBox:
    r = rect.normalized()
    return BBox(r.left(), r.top(), r.right(), r.bottom())


def token_tooltip(token: Token) -> str:
    if token.source is TokenSource.OCR:
        return f"{token.text}\nOCR confidence {token.confidence:.0%}"
    return f"{token.text}\nfrom the text layer (confidence {token.confidence:.0%})"


class TokenItem(QGraphicsRectItem):
    """One word's box: invisible until hovered, then outlined; its tooltip shows text and confidence."""

    def __init__(self, token: Token) -> None:
        super().__init__(rect_of(token.bbox_pt))
        self.token = token
        self.setZValue(Z.TOKENS)
        self.setAcceptHoverEvents(True)
        self.setToolTip(token_tooltip(token))
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setBrush(QBrush(Qt.BrushStyle.NoBrush))

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        pen = QPen(QColor(SELECTION_COLOUR), 1.0)
        pen.setCosmetic(True)
        self.setPen(pen)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setPen(QPen(Qt.PenStyle.NoPen))
        super().hoverLeaveEvent(event)


class FieldBoxItem(QGraphicsRectItem):
    """A field's box, coloured by its review state; a missing field is outlined dashed where it is expected."""

    def __init__(self, name: str, box: BBox, state: ReviewState) -> None:
        super().__init__(rect_of(box))
        self.name = name
        self.state = state
        self.selected = False
        self.setZValue(Z.FIELDS)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._restyle()

    def set_state(self, state: ReviewState, box: BBox) -> None:
        self.state = state
        self.setRect(rect_of(box))
        self._restyle()

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self._restyle()

    def _restyle(self) -> None:
        pen = QPen(state_colour(self.state), 3.0 if self.selected else 1.6)
        pen.setCosmetic(True)
        pen.setStyle(state_pen_style(self.state))
        self.setPen(pen)
        missing = self.state is ReviewState.MISSING
        self.setBrush(QBrush(Qt.BrushStyle.NoBrush) if missing else state_fill(self.state, 70 if self.selected else 40))


class PageView(QGraphicsView):
    """Shows one page of a document with its words and field boxes, and captures words for a field."""

    tokensClicked = Signal(list, bool)
    """Words clicked (the list), and whether they add to the field's words (Ctrl held)."""
    regionSelected = Signal(int, object, list)
    """A rectangle drawn on page (index), its box (BBox, points), and the words inside it."""
    fieldClicked = Signal(str)
    zoomChanged = Signal(float)
    pageShown = Signal(int)

    def __init__(self, images: PageImageSource | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images = images
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(QColor("#5b6068"))
        self.setMouseTracking(True)
        self._doc: DocumentView | None = None
        self._page_index = 0
        self._zoom = 1.0
        self._fit = False
        self._page_item: QGraphicsPixmapItem | None = None
        self._page_dpi = 0
        self._paper: QGraphicsRectItem | None = None
        self._message: QGraphicsTextItem | None = None
        self.field_items: dict[str, FieldBoxItem] = {}
        self.token_items: list[TokenItem] = []
        self._selected: str | None = None
        self._highlight: QGraphicsRectItem | None = None
        self._press_scene: QPointF | None = None
        self._press_view: QPoint | None = None
        self._band: QGraphicsRectItem | None = None
        self._rerender = QTimer(self)
        self._rerender.setSingleShot(True)
        self._rerender.setInterval(120)
        self._rerender.timeout.connect(self._request_image)

    # -- what is shown -----------------------------------------------------------------------------------
    @property
    def document(self) -> DocumentView | None:
        return self._doc

    @property
    def page_index(self) -> int:
        return self._page_index

    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def page(self) -> Page | None:
        return self._doc.page(self._page_index) if self._doc else None

    def message(self) -> str:
        return self._message.toPlainText() if self._message is not None else ""

    def set_document(self, doc: DocumentView | None, page_index: int = 0) -> None:
        self._doc = doc
        self._selected = None
        self.show_page(page_index)

    def update_document(self, doc: DocumentView) -> None:
        """The same document with new field values or states: restyle the boxes, keep page and zoom."""
        same = self._doc is not None and self._doc.document_id == doc.document_id
        self._doc = doc
        if not same:
            self.show_page(0)
            return
        page = doc.page(self._page_index)
        if page is not None and (not self.token_items or len(page.tokens) != len(self.token_items)):
            self._build_tokens(page)
        self._build_fields()

    def show_page(self, index: int) -> None:
        scene = self.scene()
        scene.clear()
        self._page_item = None
        self._page_dpi = 0
        self._paper = None
        self._message = None
        self._highlight = None
        self._band = None
        self.field_items = {}
        self.token_items = []
        doc = self._doc
        if doc is None:
            return
        self._page_index = max(0, min(index, max(doc.page_count - 1, 0)))
        w, h = doc.page_size_pt(self._page_index)
        m = PAGE_MARGIN_PT
        scene.setSceneRect(QRectF(-m, -m, w + 2 * m, h + 2 * m))
        self._paper = scene.addRect(QRectF(0, 0, w, h), QPen(Qt.PenStyle.NoPen), QBrush(QColor("white")))
        self._paper.setZValue(Z.PAGE - 1)
        if doc.load_error:
            self._show_message(doc.load_error, w)
            return
        page = doc.page(self._page_index)
        if page is not None:
            self._build_tokens(page)
        self._build_fields()
        self._request_image()
        self.pageShown.emit(self._page_index)

    def show_notice(self, text: str) -> None:
        """Say ``text`` where the page would be, while no document is shown (a document that could not be opened)."""
        if self._doc is not None:
            return
        if self._message is not None:
            self.scene().removeItem(self._message)
        self._show_message(text, 595.0)

    def _show_message(self, text: str, width_pt: float) -> None:
        item = QGraphicsTextItem()
        item.setPlainText(text)
        item.setTextWidth(max(width_pt - 80, 100))
        font = item.font()
        font.setPointSizeF(14)
        item.setFont(font)
        item.setDefaultTextColor(QColor("#b00020"))
        item.setPos(40, 60)
        item.setZValue(Z.MESSAGE)
        self.scene().addItem(item)
        self._message = item

    def _build_tokens(self, page: Page) -> None:
        for item in self.token_items:
            self.scene().removeItem(item)
        self.token_items = []
        for token in page.tokens:
            item = TokenItem(token)
            self.scene().addItem(item)
            self.token_items.append(item)

    def _build_fields(self) -> None:
        doc = self._doc
        if doc is None:
            return
        wanted: dict[str, tuple[BBox, ReviewState]] = {}
        for f in doc.fields:
            box = self._box_on_page(f)
            if box is not None:
                wanted[f.name] = (box, f.state)
        for name in list(self.field_items):
            if name not in wanted:
                self.scene().removeItem(self.field_items.pop(name))
        for name, (box, state) in wanted.items():
            item = self.field_items.get(name)
            if item is None:
                item = FieldBoxItem(name, box, state)
                self.scene().addItem(item)
                self.field_items[name] = item
            else:
                item.set_state(state, box)
            # no tooltip of its own: hovering shows the word under the mouse, its text and OCR confidence
            item.set_selected(name == self._selected)

    def _box_on_page(self, f: FieldView) -> BBox | None:
        if f.value.bbox_pt is not None and (f.value.page or 0) == self._page_index and f.value.found:
            return f.value.bbox_pt
        if f.state is ReviewState.MISSING and f.expected_bbox_pt is not None and f.expected_page == self._page_index:
            return f.expected_bbox_pt
        return None

    # -- selection -----------------------------------------------------------------------------------------
    def select_field(self, name: str | None) -> None:
        """Emphasise a field's box, turning to its page and scrolling it into view."""
        self._selected = name
        f = self._doc.field(name) if (self._doc and name) else None
        if f is not None:
            page = f.value.page if f.value.found and f.value.bbox_pt else f.expected_page
            if page is not None and page != self._page_index and self._doc and not self._doc.load_error:
                self.show_page(page)
        for key, item in self.field_items.items():
            item.set_selected(key == name)
        chosen = self.field_items.get(name) if name else None
        if chosen is not None:
            self.highlight_box(bbox_of(chosen.rect()))
        else:
            self.highlight_box(None)

    def highlight_box(self, box: BBox | None, page: int | None = None) -> None:
        """Draw the selection frame around ``box`` (a field or a line-item cell) and scroll it into view."""
        if page is not None and page != self._page_index and self._doc is not None:
            self.show_page(page)
        if self._highlight is not None:
            self.scene().removeItem(self._highlight)
            self._highlight = None
        if box is None:
            return
        pen = QPen(QColor(SELECTION_COLOUR), 2.0, Qt.PenStyle.DashDotLine)
        pen.setCosmetic(True)
        self._highlight = self.scene().addRect(rect_of(box.expanded(2.0)), pen)
        self._highlight.setZValue(Z.SELECTION)
        self._highlight.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.ensureVisible(rect_of(box), 60, 60)

    @property
    def selected_field(self) -> str | None:
        return self._selected

    # -- page image ------------------------------------------------------------------------------------------
    def _request_image(self) -> None:
        doc = self._doc
        if doc is None or doc.load_error or self._images is None:
            return
        dpi = dpi_for_scale(self._zoom * self.devicePixelRatioF())
        if self._page_item is not None and self._page_dpi >= dpi:
            return
        path, index, doc_id = doc.path, self._page_index, doc.document_id

        def ready(image: QImage) -> None:
            if self._doc is not None and self._doc.document_id == doc_id and self._page_index == index:
                self.set_page_image(image, dpi)

        def failed(exc: Exception) -> None:
            if self._doc is not None and self._doc.document_id == doc_id and self._page_index == index:
                w, _h = doc.page_size_pt(index)
                self._show_message(f"This page cannot be shown: {exc}", w)

        image = self._images.request(path, index, dpi, ready, failed)
        if image is not None:
            self.set_page_image(image, dpi)
            return
        fallback = self._images.cache.best_available(path, index)
        if fallback is not None and self._page_item is None:
            self.set_page_image(fallback[1], fallback[0])

    def set_page_image(self, image: QImage, dpi: float) -> None:
        """Show a page image rendered at ``dpi`` from the file, turned upright as the page's boxes are, scaled by
        72/dpi into scene points."""
        page = self.page
        pixmap = QPixmap.fromImage(turned(image, page.upright_turn if page is not None else 0))
        if self._page_item is None:
            self._page_item = QGraphicsPixmapItem()
            self._page_item.setZValue(Z.PAGE)
            self._page_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            self._page_item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.scene().addItem(self._page_item)
        self._page_item.setPixmap(pixmap)
        self._page_item.setScale(72.0 / dpi)
        self._page_dpi = int(dpi)

    @property
    def page_image_dpi(self) -> int:
        return self._page_dpi

    # -- zoom --------------------------------------------------------------------------------------------------
    def set_zoom(self, zoom: float) -> None:
        """Zoom to ``zoom`` (1.0: one point per screen pixel); leaves fit-width mode."""
        self._fit = False
        self._apply_zoom(zoom)

    def _apply_zoom(self, zoom: float) -> None:
        zoom = max(ZOOM_MIN, min(ZOOM_MAX, zoom))
        self._zoom = zoom
        self.setTransform(self.transform().fromScale(zoom, zoom))
        self.zoomChanged.emit(zoom)
        self._rerender.start()

    def zoom_in(self) -> None:
        self.set_zoom(self._zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self._zoom / ZOOM_STEP)

    @property
    def fitting_width(self) -> bool:
        return self._fit

    def zoom_reset(self) -> None:
        self.set_zoom(1.0)

    def fit_width(self) -> None:
        """Fit the page's width into the view, and keep it fitted as the view is resized (until a zoom key)."""
        self._fit = True
        self._refit()

    def _refit(self) -> None:
        w = self._doc.page_size_pt(self._page_index)[0] if self._doc is not None else 595.0
        available = self.viewport().width() - 4
        if w > 0 and available > 0:
            self._apply_zoom(available / (w + 2 * PAGE_MARGIN_PT))
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_in() if event.angleDelta().y() > 0 else self.zoom_out()
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self._refit()

    # -- capture: click a word, Ctrl+click to add, drag a rectangle --------------------------------------------
    def tokens_in(self, box: BBox) -> list[Token]:
        page = self.page
        return page.tokens_in(box, 0.5) if page is not None else []

    def token_at_scene(self, pos: QPointF) -> Token | None:
        page = self.page
        return page.token_at(pos.x(), pos.y()) if page is not None else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._doc is not None and not self._doc.load_error:
            self._press_view = event.position().toPoint()
            self._press_scene = self.mapToScene(self._press_view)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press_scene is not None and self._press_view is not None:
            pos = event.position().toPoint()
            if self._band is None and (pos - self._press_view).manhattanLength() >= DRAG_THRESHOLD_PX:
                pen = QPen(QColor(RUBBER_BAND_COLOUR), 1.5, Qt.PenStyle.DashLine)
                pen.setCosmetic(True)
                fill = QColor(RUBBER_BAND_COLOUR)
                fill.setAlpha(40)
                self._band = self.scene().addRect(QRectF(), pen, QBrush(fill))
                self._band.setZValue(Z.RUBBER_BAND)
            if self._band is not None:
                self._band.setRect(QRectF(self._press_scene, self.mapToScene(pos)).normalized())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._press_scene is not None:
            additive = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            release = self.mapToScene(event.position().toPoint())
            band = self._band
            self._press_scene = self._press_view = None
            self._band = None
            if band is not None:
                rect = band.rect()
                self.scene().removeItem(band)
                self._finish_band(rect)
            else:
                self._finish_click(release, additive)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _finish_click(self, pos: QPointF, additive: bool) -> None:
        token = self.token_at_scene(pos)
        if token is not None:
            self.tokensClicked.emit([token], additive)
            return
        for name, item in self.field_items.items():
            if item.contains(item.mapFromScene(pos)):
                self.fieldClicked.emit(name)
                return

    def _finish_band(self, rect: QRectF) -> None:
        w, h = self._doc.page_size_pt(self._page_index) if self._doc else (0.0, 0.0)
        clipped = rect.intersected(QRectF(0, 0, w, h))
        if clipped.isEmpty():
            return
        box = bbox_of(clipped)
        self.regionSelected.emit(self._page_index, box, self.tokens_in(box))

    def items_at_scene(self, pos: QPointF) -> list[QGraphicsItem]:
        return self.scene().items(pos)
