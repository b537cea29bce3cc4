"""The review queue: a sortable table filtered by status, vendor and confidence, with why each document is there."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.model import QueueRow

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Document", "Why in review", "Conf.", "Vendor", "Status")
DOCUMENT, WHY, CONFIDENCE, VENDOR, STATUS = range(5)
"""The reasons come second: what a clerk reads first after the name; the status is in the filter too."""
WIDTHS = {DOCUMENT: 100, CONFIDENCE: 44, VENDOR: 104, STATUS: 116}
"""Starting widths; the reasons take what is left of the queue's width."""
NARROW = (CONFIDENCE, VENDOR)
"""Columns hidden, first to last, while the reasons would have less than WHY_ROOM pixels: the document's tooltip
and the filters still say what they held. The reasons and the status stay in sight at any width."""
WHY_ROOM = 100
LEAST = {DOCUMENT: 72, STATUS: 84}
"""Below its starting width, the least a column is given back for the reasons once NARROW ones are hidden."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
ALL = "All"


class QueueModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[QueueRow] = []

    def set_rows(self, rows: list[QueueRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> QueueRow:
        return self._rows[row]

    @property
    def rows(self) -> list[QueueRow]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == ID_ROLE:
            return r.document_id
        if role == Qt.ItemDataRole.DisplayRole:
            return (r.name, r.reasons_summary, f"{r.confidence:.0%}", r.vendor, r.status_text())[col]
        if role == SORT_ROLE:
            return (r.name.lower(), r.reasons_summary.lower(), r.confidence, r.vendor.lower(), r.status)[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == DOCUMENT:
            return "\n".join(
                line
                for line in (r.name, f"Vendor: {r.vendor}" if r.vendor else "", f"Confidence: {r.confidence:.0%}")
                if line
            )
        if role == Qt.ItemDataRole.ToolTipRole and col == WHY and r.reasons:
            return "In review because:\n" + "\n".join(f"\u2022 {reason}" for reason in r.reasons)
        if role == Qt.ItemDataRole.ToolTipRole and col == STATUS:
            return r.status_tip()
        if role == Qt.ItemDataRole.TextAlignmentRole and col == CONFIDENCE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class QueueFilter(QSortFilterProxyModel):
    """Keeps rows of one status, whose vendor contains a text, at or below a confidence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.status = ALL
        self.vendor = ""
        self.max_confidence = 1.0

    def set_filters(self, status: str, vendor: str, max_confidence: float) -> None:
        self.beginFilterChange()
        self.status, self.vendor, self.max_confidence = status, vendor.strip().lower(), max_confidence
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, QueueModel)
        r = model.row_at(source_row)
        if self.status != ALL and r.status.replace("_", " ") != self.status:
            return False
        if self.vendor and self.vendor not in r.vendor.lower():
            return False
        return r.confidence <= self.max_confidence + 1e-9


class QueueView(QWidget):
    documentActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QueueModel(self)
        self.proxy = QueueFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        # unsorted until the clerk clicks a column: the rows keep the queue's priority order (risk, then lowest
        # confidence, then age), the order Ctrl+Enter opens them in; Qt would otherwise sort by name, descending
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(WHY, QHeaderView.ResizeMode.Stretch)  # the columns fit the queue's width
        header.setStretchLastSection(False)
        for column, width in WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.table.viewport().installEventFilter(self)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the queue; the arrow keys move in it
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)

        self.status = QComboBox()
        self.status.setObjectName("queue-status")
        self.status.addItems([ALL, "needs review", "in review", "approved", "rejected"])
        self.vendor = QLineEdit()
        self.vendor.setObjectName("queue-vendor")
        self.vendor.setPlaceholderText("Vendor contains")
        self.vendor.setMinimumWidth(self.vendor.fontMetrics().horizontalAdvance("Vendor contains") // 2 + 24)
        self.confidence = QDoubleSpinBox()
        self.confidence.setObjectName("queue-confidence")
        self.confidence.setRange(0.0, 1.0)
        self.confidence.setSingleStep(0.05)
        self.confidence.setValue(1.0)
        self.confidence.setPrefix("conf. \u2264 ")
        for signal in (self.status.currentTextChanged, self.vendor.textChanged, self.confidence.valueChanged):
            signal.connect(self._apply_filters)
        self.count = QLabel()

        filters = QHBoxLayout()
        filters.addWidget(self.status)
        filters.addWidget(self.vendor, 1)
        filters.addWidget(self.confidence)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        title = QLabel("Review queue")
        title.setStyleSheet("font-weight: bold")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.count)
        layout.addLayout(head)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    def fit_columns(self) -> None:
        """Hide the columns a narrow queue has no room for, so the status never scrolls out of sight."""
        header = self.table.horizontalHeader()
        room = self.table.viewport().width()
        widths = {c: header.sectionSize(c) if not header.isSectionHidden(c) else WIDTHS[c] for c in WIDTHS}
        taken = sum(widths.values())
        for column in NARROW:
            hide = room - taken < WHY_ROOM
            if hide:
                taken -= widths[column]
            self.table.setColumnHidden(column, hide)
        spare = room - taken - WHY_ROOM
        for column, least in LEAST.items():
            # narrower than it started only while the reasons need it; wider again when there is room
            width = widths[column]
            if spare < 0 and width > least:
                give = min(-spare, width - least)
            elif spare > 0 and width < WIDTHS[column]:
                give = -min(spare, WIDTHS[column] - width)
            else:
                continue
            self.table.setColumnWidth(column, width - give)
            spare += give

    def set_rows(self, rows: list[QueueRow], current: int | None = None) -> None:
        self.model.set_rows(rows)
        self._update_count()
        if current is not None:
            self.select_document(current)

    def select_document(self, document_id: int) -> None:
        for row in range(self.proxy.rowCount()):
            idx = self.proxy.index(row, 0)
            if idx.data(ID_ROLE) == document_id:
                self.table.selectRow(row)
                return

    def visible_ids(self) -> list[int]:
        return [self.proxy.index(r, 0).data(ID_ROLE) for r in range(self.proxy.rowCount())]

    # -- filters, remembered by the window ----------------------------------------------------------------------
    def filters(self) -> dict[str, Any]:
        return {
            "status": self.status.currentText(),
            "vendor": self.vendor.text(),
            "confidence": self.confidence.value(),
        }

    def set_filters(self, values: dict[str, Any]) -> None:
        status = str(values.get("status") or ALL)
        if self.status.findText(status) >= 0:
            self.status.setCurrentText(status)
        self.vendor.setText(str(values.get("vendor") or ""))
        try:
            self.confidence.setValue(float(values.get("confidence", 1.0)))
        except (TypeError, ValueError):
            self.confidence.setValue(1.0)
        self._apply_filters()

    def _apply_filters(self) -> None:
        self.proxy.set_filters(self.status.currentText(), self.vendor.text(), self.confidence.value())
        self._update_count()

    def _update_count(self) -> None:
        self.count.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()}")

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.documentActivated.emit(int(index.data(ID_ROLE)))
