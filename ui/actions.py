"""Every keyboard action of the window in one table: the shortcuts and the F1 help are made from it."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    text: str
    shortcuts: tuple[str, ...]
    help: str
    scope: str = "window"
    """"window": anywhere in the window; "fields": while the field panel has the focus; "items": while the line-item
    table itself has it (not while a cell is being typed in, where the keys edit the text)."""
    supervisor_only: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("next_field", "Next field", ("Tab",), "Move to the next field", "fields"),
    ActionSpec(
        "previous_field", "Previous field", ("Shift+Tab", "Shift+Backtab"), "Move to the previous field", "fields"
    ),
    ActionSpec(
        "accept_field",
        "Accept field",
        ("Return", "Enter"),
        "Accept the field (or the value typed) and jump to the next field that needs review; Alt+Down opens its "
        "alternatives, and leaving a field with Tab saves what was typed",
        "fields",
    ),
    ActionSpec("approve", "Approve", ("Ctrl+Return", "Ctrl+Enter"), "Approve the document and open the next one"),
    ActionSpec(
        "approve_override",
        "Approve with override\u2026",
        ("Ctrl+Shift+Return", "Ctrl+Shift+Enter"),
        "Approve despite a failed rule, giving a reason (supervisors)",
        supervisor_only=True,
    ),
    ActionSpec("reject", "Reject\u2026", ("Ctrl+Shift+R",), "Reject the document with a reason"),
    ActionSpec(
        "set_type",
        "Document type\u2026",
        ("Ctrl+Shift+T",),
        "Say what the document is (invoice, receipt, contract) and read it again as that",
    ),
    ActionSpec("undo", "Undo", ("Ctrl+Z",), "Undo the last correction or row edit"),
    ActionSpec("redo", "Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo the correction or row edit undone"),
    # the keys alone where the page (or the queue) has the keyboard: in a field they are typed, so each has a
    # Ctrl key for anywhere, as a PDF reader has (Ctrl+2: fit width)
    ActionSpec("zoom_in", "Zoom in", ("+", "=", "Ctrl++", "Ctrl+="), "Zoom in on the page (in a field: Ctrl++)"),
    ActionSpec("zoom_out", "Zoom out", ("-", "Ctrl+-"), "Zoom out (in a field: Ctrl+-)"),
    ActionSpec("zoom_reset", "Actual size", ("0", "Ctrl+0"), "Show the page at 100 % (in a field: Ctrl+0)"),
    ActionSpec("fit_width", "Fit width", ("F", "Ctrl+2"), "Fit the page's width into the view (in a field: Ctrl+2)"),
    ActionSpec("next_page", "Next page", ("PgDown",), "Show the next page"),
    ActionSpec("previous_page", "Previous page", ("PgUp",), "Show the previous page"),
    ActionSpec("focus_queue", "Go to the queue", ("Ctrl+L",), "Put the keyboard in the review queue"),
    ActionSpec(
        "next_pane", "Next pane", ("F6",), "Move the keyboard to the next pane: queue, page, fields, line items"
    ),
    ActionSpec("previous_pane", "Previous pane", ("Shift+F6",), "Move the keyboard to the previous pane"),
    ActionSpec(
        "apply_fix",
        "Apply the offered fix",
        ("Ctrl+Shift+F",),
        "Make the edit the first failed rule offers (the button beside it above the fields)",
    ),
    ActionSpec("add_row", "Add row", ("Ins",), "Add a line item below the current one", "items"),
    ActionSpec("delete_row", "Delete row", ("Ctrl+Del",), "Delete the current line item", "items"),
    ActionSpec("split_row", "Split row", ("Ctrl+Shift+S",), "Split the current line item in two", "items"),
    ActionSpec(
        "merge_rows", "Merge with next", ("Ctrl+Shift+M",), "Merge the current line item with the next", "items"
    ),
    ActionSpec("open_next", "Next document", ("Ctrl+N",), "Leave this document undecided and open the next one"),
    ActionSpec("help", "Keyboard shortcuts", ("F1",), "Show this list"),
)


IN_A_FIELD = (
    ("Esc", "Drop what was typed in the field: its value again"),
    ("Alt+Down", "Open the field's alternatives, to take one with the arrow keys and Enter"),
    ("Click, Ctrl+click, drag", "On the page: take a word, add a word, take every word in a box (on a scan, read "
     "the box again) into the field that has the keyboard"),
)  # fmt: skip
"""Keys an editor or the page takes, not the window: listed with the window's."""


def shortcut_text(spec: ActionSpec) -> str:
    seen: list[str] = []
    for s in spec.shortcuts:
        if s == "Shift+Backtab" or ("Enter" in s and s.replace("Enter", "Return") in spec.shortcuts):
            continue  # the same key as another in the list
        text = QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText)
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def make_actions(parent: QWidget, scopes: dict[str, QWidget], supervisor: bool) -> dict[str, QAction]:
    """A QAction per row of :data:`ACTIONS`, added to ``parent``, or to the widget ``scopes`` names for its scope
    (the field panel for "fields", the line-item table's view for "items")."""
    made: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, parent)
        action.setObjectName(f"action-{spec.name}")
        action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        action.setToolTip(f"{spec.help} ({shortcut_text(spec)})")
        if spec.scope == "items":  # the table alone: in a cell's editor Ctrl+Del deletes a word, not the row
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            scopes[spec.scope].addAction(action)
        elif spec.scope != "window":
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            scopes[spec.scope].addAction(action)
        else:
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            parent.addAction(action)
        if spec.supervisor_only and not supervisor:
            action.setEnabled(False)
            action.setVisible(False)
        made[spec.name] = action
    return made


class ShortcutsDialog(QDialog):
    """F1: every shortcut, generated from the same table as the actions."""

    def __init__(self, supervisor: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        specs = [s for s in ACTIONS if supervisor or not s.supervisor_only]
        rows = [(shortcut_text(spec), spec.help) for spec in specs] + list(IN_A_FIELD)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Keys", "What they do"])
        self.table.verticalHeader().hide()
        for row, (keys, help_text) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(help_text))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)  # a long line wraps, never cut off with "..."
        self.table.resizeRowsToContents()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(580, 640)
