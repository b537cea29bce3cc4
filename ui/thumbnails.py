"""Thumbnails of a multi-page document, rendered small in the background through the page image source."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from ui.model import DocumentView
from ui.rendering import PageImageSource, turned

THUMB_DPI = 18
THUMB_WIDTH_PX = 96


class ThumbnailStrip(QListWidget):
    pageChosen = Signal(int)

    def __init__(self, images: PageImageSource | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images = images
        self._doc: DocumentView | None = None
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(THUMB_WIDTH_PX, round(THUMB_WIDTH_PX * 1.414)))
        self.setGridSize(QSize(THUMB_WIDTH_PX + 12, round(THUMB_WIDTH_PX * 1.414) + 24))
        self.setUniformItemSizes(True)
        self.setFixedWidth(THUMB_WIDTH_PX + 30)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.currentRowChanged.connect(self._chosen)

    def set_document(self, doc: DocumentView | None) -> None:
        self._doc = doc
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)
        count = doc.page_count if doc is not None and not doc.load_error else 0
        self.setVisible(count > 1)
        if doc is None or count <= 1:
            return
        for i in range(count):
            item = QListWidgetItem(QIcon(self._blank()), f"{i + 1}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
            if self._images is not None:
                self._request(doc, i)

    def _blank(self) -> QPixmap:
        pixmap = QPixmap(self.iconSize())
        pixmap.fill(Qt.GlobalColor.white)
        return pixmap

    def _request(self, doc: DocumentView, index: int) -> None:
        assert self._images is not None

        def ready(image: QImage) -> None:
            if self._doc is not None and self._doc.document_id == doc.document_id and index < self.count():
                page = doc.page(index)
                upright = turned(image, page.upright_turn if page is not None else 0)
                pixmap = QPixmap.fromImage(upright).scaledToWidth(
                    THUMB_WIDTH_PX, Qt.TransformationMode.SmoothTransformation
                )
                self.item(index).setIcon(QIcon(pixmap))

        image = self._images.request(doc.path, index, THUMB_DPI, ready, lambda _e: None)
        if image is not None:
            ready(image)

    def show_page(self, index: int) -> None:
        if 0 <= index < self.count() and self.currentRow() != index:
            self.blockSignals(True)
            self.setCurrentRow(index)
            self.blockSignals(False)

    def _chosen(self, row: int) -> None:
        if row >= 0:
            self.pageChosen.emit(row)
