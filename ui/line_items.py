"""The line-item table: edit cells, add, delete, split and merge rows; a selected cell shows its box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from extractors.geometry import BBox
from extractors.results import LineItem
from idp_app.domain import ReviewState
from ui.palette import STATE_COLOURS

Index = QModelIndex | QPersistentModelIndex


ValueCheck = Callable[[str, str], str]
"""(value type, typed text) -> the stored form; raises ValueError with the reason when the text has the wrong form."""


def _any_text(_value_type: str, text: str) -> str:
    return text


class LineItemModel(QAbstractTableModel):
    """Rows of line items as the core holds them; edits are handed on as signals, never stored here.

    A cell typed in the wrong form for its column is not handed on: it keeps what was typed, marked, with the
    reason in its tooltip, until it is typed again or the rows change."""

    cellEdited = Signal(int, str, str)
    cellRefused = Signal(int, str, str)
    """Row, column and the reason a typed cell was refused."""

    def __init__(self, parent: QWidget | None = None, check: ValueCheck = _any_text) -> None:
        super().__init__(parent)
        self._rows: tuple[LineItem, ...] = ()
        self._columns: tuple[str, ...] = ()
        self._types: dict[str, str] = {}
        self._check = check
        self._refused: dict[tuple[int, str], tuple[str, str]] = {}
        """(row, column) -> (the text typed, why it was refused)."""

    def set_items(
        self,
        rows: tuple[LineItem, ...],
        columns: tuple[str, ...],
        types: tuple[str, ...] = (),
        *,
        keep_refused: bool = False,
    ) -> None:
        self.beginResetModel()
        same_rows = len(rows) == len(self._rows)
        self._rows = rows
        self._columns = columns or tuple(dict.fromkeys(name for r in rows for name in r.cells))
        self._types = dict(zip(columns, types, strict=False))
        if not (keep_refused and same_rows):
            self._refused = {}
        self.endResetModel()

    def first_refused(self) -> tuple[int, str, str] | None:
        """Row, column and reason of the first cell holding typed text that was refused, if any."""
        if not self._refused:
            return None
        (row, column), (_text, why) = min(self._refused.items())
        return row, column, why

    def refused(self, row: int, column: str) -> str | None:
        """Why the text typed in a cell was refused, or None."""
        held = self._refused.get((row, column))
        return held[1] if held else None

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def row(self, index: int) -> LineItem:
        return self._rows[index]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section].replace("_", " ")
        return str(section + 1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._rows[index.row()]
        name = self._columns[index.column()]
        held = self._refused.get((index.row(), name))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return held[0] if held else item.value(name) or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if held:
                return f"Not saved: {held[1]}"
            cell = item.cells.get(name)
            return f"confidence {cell.confidence:.0%}" if cell is not None else None
        if role == Qt.ItemDataRole.BackgroundRole and held:
            return QBrush(QColor(STATE_COLOURS[ReviewState.ERROR]).lighter(170))
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, name = index.row(), self._columns[index.column()]
        text = str(value).strip()
        had = self._refused.pop((row, name), None)
        try:
            stored = self._check(self._types.get(name, "text"), text) if text else ""
        except ValueError as exc:
            self._refused[(row, name)] = (text, str(exc))
            self.dataChanged.emit(index, index)
            self.cellRefused.emit(row, name, str(exc))
            return True
        if stored == (self._rows[row].value(name) or ""):
            if had:
                self.dataChanged.emit(index, index)
            return False
        self.cellEdited.emit(row, name, text)  # as typed: the core checks it again (an amount's currency, say)
        return True

    def cell_box(self, row: int, column: int) -> tuple[int | None, BBox | None]:
        """The page and box of one cell (or of its row when the cell has none)."""
        item = self._rows[row]
        cell = item.cells.get(self._columns[column])
        if cell is not None and cell.bbox_pt is not None:
            return (cell.page if cell.page is not None else item.page, cell.bbox_pt)
        return (item.page, item.bbox_pt)


class TypingTable(QTableView):
    """A table whose cells take a printable key as the start of what is typed into them, before the window's
    one-key shortcuts ("-" zooms out, "F" fits the page) can take it: typing "-10,00" into an amount keeps its
    minus, and "frais" its "f"."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            modifiers = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
            text = event.text()
            index = self.currentIndex()
            if (
                not modifiers
                and text.isprintable()
                and text.strip()
                and index.isValid()
                and index.flags() & Qt.ItemFlag.ItemIsEditable
            ):
                event.accept()  # no shortcut: the key press comes to the table, which opens the cell with it
                return True
        return super().event(event)


class LineItemTable(QWidget):
    """The table and its row buttons. Every change goes out as a signal; the core decides the new rows."""

    cellEdited = Signal(int, str, str)
    rowAdded = Signal(int)
    rowDeleted = Signal(int)
    rowSplit = Signal(int)
    rowsMerged = Signal(int, int)
    cellSelected = Signal(object, object)
    """Page (int or None) and box (BBox or None) of the selected cell."""

    def __init__(self, parent: QWidget | None = None, check: ValueCheck = _any_text) -> None:
        super().__init__(parent)
        self.model = LineItemModel(self, check)
        self.model.cellEdited.connect(self.cellEdited)
        self.cellRefused = self.model.cellRefused
        self.table = TypingTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setTabKeyNavigation(False)  # Tab goes on to the row buttons; the arrow keys move between cells
        self.table.selectionModel().currentChanged.connect(self._current_changed)
        self.add_button = QPushButton("Add row")
        self.delete_button = QPushButton("Delete row")
        self.split_button = QPushButton("Split row")
        self.merge_button = QPushButton("Merge with next")
        self.add_button.clicked.connect(lambda: self.rowAdded.emit(self._current_row() + 1))
        self.delete_button.clicked.connect(self._delete)
        self.split_button.clicked.connect(self._split)
        self.merge_button.clicked.connect(self._merge)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.delete_button, self.split_button, self.merge_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table)

    def set_items(
        self,
        rows: tuple[LineItem, ...],
        columns: tuple[str, ...],
        types: tuple[str, ...] = (),
        *,
        keep_refused: bool = False,
    ) -> None:
        """Show the rows; ``keep_refused`` (the same document, updated) keeps the cells typed and refused."""
        current = self.table.currentIndex()
        self.model.set_items(rows, columns, types, keep_refused=keep_refused)
        # numbers and codes as wide as they are, the description takes the rest
        header = self.table.horizontalHeader()
        header.setStretchLastSection("description" not in columns)
        for c, name in enumerate(columns):
            fit = QHeaderView.ResizeMode.Stretch if name == "description" else QHeaderView.ResizeMode.ResizeToContents
            header.setSectionResizeMode(c, fit)
        if current.isValid() and current.row() < self.model.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.model.index(current.row(), current.column()), QItemSelectionModel.SelectionFlag.NoUpdate
            )

    def select_cell(self, row: int, column: int) -> None:
        self.table.setCurrentIndex(self.model.index(row, column))

    def _current_row(self) -> int:
        idx = self.table.currentIndex()
        return idx.row() if idx.isValid() else self.model.rowCount() - 1

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            page, box = self.model.cell_box(current.row(), current.column())
            self.cellSelected.emit(page, box)

    def _delete(self) -> None:
        row = self._current_row()
        if 0 <= row < self.model.rowCount():
            self.rowDeleted.emit(row)

    def _split(self) -> None:
        row = self._current_row()
        if 0 <= row < self.model.rowCount():
            self.rowSplit.emit(row)

    def _merge(self) -> None:
        row = self._current_row()
        if 0 <= row < self.model.rowCount() - 1:
            self.rowsMerged.emit(row, row + 1)
