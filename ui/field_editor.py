"""One field's editor: value with its alternatives, confidence, evidence, and input refused with a reason."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QWidget,
)
from shiboken6 import Shiboken

from extractors.geometry import BBox
from idp_app.domain import ReviewState
from idp_app.services.values import PARTY_SEPARATOR, typed_currency
from ui.model import FieldKind, FieldView
from ui.palette import state_label

ValueCheck = Callable[[str, str], str]
"""Turn what the clerk typed into the field's stored form, or raise ValueError saying what is wrong."""

LIKELY_ABSENT = 0.5
"""A field reported missing is called absent only where that is more likely than not (its confidence is the
chance that the document prints none); at or below, it is "not found" (0.5: nothing is known)."""
PASSED = "\u2713"
FAILED = "\u2717"

# Keys that belong to the window (undo, redo, approve, reject) even while an editor has the focus.
_WINDOW_KEYS = (
    QKeySequence("Ctrl+Z"),
    QKeySequence("Ctrl+Shift+Z"),
    QKeySequence("Ctrl+Y"),
    QKeySequence("Ctrl+Return"),
    QKeySequence("Ctrl+Enter"),
    QKeySequence("Ctrl+Shift+R"),
)

_LIST_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
"""Keys a combo box takes as a choice from its list: in a field they would replace the value unasked."""


class FieldEditor(QFrame):
    """Edit one field. Enter commits (or confirms) it; a value in the wrong form is refused with the reason."""

    committed = Signal(str, str, object, object)
    """Field name, new value in stored form, the box it came from (BBox or None), and its page (or None)."""
    confirmed = Signal(str)
    """Enter on an unchanged value: the clerk accepts the field as it is."""
    focused = Signal(str)
    refused = Signal(str, str)
    """Field name and the reason a typed value was refused."""

    def __init__(self, view: FieldView, check: ValueCheck, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"field-{view.name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._check = check
        self._view = view
        self.name = view.name
        self.leaving = False
        """True while what was typed is saved as the keyboard leaves the field (Tab, Shift+Tab, a click)."""
        self._current = False

        self.title = QLabel(view.label)
        self.title.setObjectName("fieldTitle")
        self.badge = QLabel()
        self.badge.setObjectName("fieldBadge")
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # no completion from the alternatives: their labels carry a confidence ("1.00   (0%)"), and a value typed
        # that begins like one would be completed into that label
        self.combo.setCompleter(None)  # type: ignore[arg-type]
        self.combo.setObjectName(f"editor-{view.name}")
        self.combo.setMinimumWidth(160)
        self.suffix = QLabel()
        self.confidence = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.bar.setMaximumWidth(90)
        self.evidence = QLabel()
        self.evidence.setWordWrap(True)
        self.evidence.setObjectName("fieldEvidence")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("fieldError")
        self.error.hide()

        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setVerticalSpacing(2)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.confidence)
        head.addWidget(self.bar)
        head.addWidget(self.badge)
        grid.addLayout(head, 0, 0, 1, 2)
        grid.addWidget(self.combo, 1, 0)
        grid.addWidget(self.suffix, 1, 1)
        grid.addWidget(self.evidence, 2, 0, 1, 2)
        grid.addWidget(self.error, 3, 0, 1, 2)

        line = self.combo.lineEdit()
        assert line is not None
        self.line = line
        line.installEventFilter(self)
        self.combo.installEventFilter(self)
        self.combo.activated.connect(self._alternative_chosen)
        line.textEdited.connect(lambda _t: self.clear_error())
        self.set_view(view)

    # -- showing -------------------------------------------------------------------------------------------
    def set_view(self, view: FieldView, currency: str = "", *, keep_typing: bool = True) -> None:
        """Show ``view``; with ``keep_typing``, what the clerk is typing in this editor stays."""
        self._view = view
        focused = self.combo.hasFocus()
        # a value the core refused stays shown with its reason, wherever the keyboard is, until the clerk mends it
        editing = keep_typing and self.line.isModified() and (focused or bool(self.error_text()))
        # what the keyboard has here survives the list being filled again (which sets the text of its first
        # item): the clerk's typing and its cursor, or the whole value selected on entering the field (typing
        # then replaces it; it was appended to the value once the saved field before came back)
        typed, cursor = self.combo.currentText(), self.line.cursorPosition()
        selected_from, selected = self.line.selectionStart(), len(self.line.selectedText())
        all_selected = bool(typed) and selected == len(typed)
        if not keep_typing:
            self.clear_error()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(view.text, None)
        for alt in view.value.alternatives:
            alt_value = PARTY_SEPARATOR.join(alt.value) if isinstance(alt.value, tuple) else alt.value
            self.combo.addItem(f"{alt_value}   ({alt.confidence:.0%})", alt)
        self.combo.setCurrentIndex(0)
        if editing:
            self.combo.setEditText(typed)
            self.line.setModified(True)
            self.line.setCursorPosition(cursor)
            if selected:  # what the clerk selected, to type over
                self.line.setSelection(selected_from, selected)
        else:
            self.combo.setEditText(view.text)
            self.line.setModified(False)
            if focused and (all_selected or not typed):
                self.line.selectAll()
            elif not focused:
                self.line.setCursorPosition(0)  # a value wider than its box shows its start (an IBAN's country)
        self.combo.blockSignals(False)
        placeholder = {
            FieldKind.DATE: "YYYY-MM-DD",  # a hint at the form; other kinds show nothing that looks like data
            FieldKind.LIST: "one; another; ...",
        }.get(view.kind, "")
        self.line.setPlaceholderText(placeholder)
        self.suffix.setText(currency if view.kind is FieldKind.AMOUNT else "")
        conf = view.value.confidence
        if view.value.found:
            self.confidence.setText(f"{conf:.0%}")
            self.confidence.setToolTip("How likely the value is right")
            self.bar.setValue(round(conf * 100))
        elif view.state is ReviewState.OK and conf > LIKELY_ABSENT:  # the document most likely has none: say so
            self.confidence.setText("absent")
            self.confidence.setToolTip(f"The document has no such field (how likely: {conf:.0%})")
            self.bar.setValue(0)
        else:
            self.confidence.setText("not found")
            self.confidence.setToolTip(f"How likely the document has no such field: {conf:.0%}")
            self.bar.setValue(0)
        self.badge.setText(state_label(view.state))
        self._restyle()
        bits = list(view.value.evidence)
        bits += [f"{PASSED} {r}" for r in view.passed_rules]
        bits += [f"{FAILED} {r}" for r in view.failed_rules]
        self.evidence.setText("   ".join(bits))
        self.evidence.setVisible(bool(bits))

    @property
    def view(self) -> FieldView:
        return self._view

    @property
    def state(self) -> ReviewState:
        return self._view.state

    def text(self) -> str:
        return self.combo.currentText()

    def set_text(self, text: str) -> None:
        self.combo.setEditText(text)
        self.line.setModified(True)

    def focus_editor(self) -> None:
        self.combo.setFocus(Qt.FocusReason.OtherFocusReason)
        self.line.selectAll()

    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    def set_current(self, current: bool) -> None:
        self._current = current
        self._restyle()

    @property
    def current(self) -> bool:
        return self._current

    def _restyle(self) -> None:
        """Switch the properties the panel's style sheet keys on (no style sheet per editor: that is slow)."""
        state = self._view.state.value
        current = "true" if self._current else "false"
        if self.property("state") == state and self.property("current") == current:
            return
        self.setProperty("state", state)
        self.setProperty("current", current)
        self.badge.setProperty("state", state)
        for w in (self, self.badge):
            w.style().unpolish(w)
            w.style().polish(w)

    # -- editing -------------------------------------------------------------------------------------------------
    def commit(self) -> bool:
        """Check and hand on the typed value. Returns False (and shows why) when the value is refused."""
        typed = self.text().strip()
        if typed == self._view.text:
            self.clear_error()
            self.confirmed.emit(self.name)
            return True
        try:
            value = self._check(self._view.schema_type, typed) if typed else ""
        except ValueError as exc:
            self.show_error(str(exc))
            return False
        self.clear_error()
        if value and value in (self._view.text, self._view.value.value) and not typed_currency(typed):
            # the value already there, typed in another form ("10.866,33" over 10866.33): the clerk confirms it;
            # typed with a currency ("$1,300.00" over 1300.00 euros), it goes to the core, which checks that
            self.combo.setEditText(self._view.text)
            self.line.setModified(False)
            self.confirmed.emit(self.name)
            return True
        # as typed: the core normalises it again and refuses what a form check cannot see (an amount typed in
        # another currency than the document's: "$1,300.00" on a euro invoice)
        self.committed.emit(self.name, typed if value else "", None, None)
        return True

    def show_error(self, reason: str) -> None:
        self.error.setText(reason)
        self.error.show()
        self.refused.emit(self.name, reason)

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def _alternative_chosen(self, index: int) -> None:
        alt = self.combo.itemData(index)
        if alt is None:
            return
        value = PARTY_SEPARATOR.join(alt.value) if isinstance(alt.value, tuple) else alt.value
        box: BBox | None = alt.bbox_pt
        self.combo.setEditText(value)
        self.clear_error()
        self.committed.emit(self.name, value, box, alt.page)

    def revert(self) -> None:
        """Drop what was typed and not handed on: the stored value again, no error."""
        self.combo.setEditText(self._view.text)
        self.line.setModified(False)
        self.clear_error()

    def has_unsaved_text(self) -> bool:
        """Whether the clerk typed something here that is not the stored value and was not handed on."""
        return self.line.isModified() and self.text().strip() != self._view.text

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            self.focused.emit(self.name)
        elif event.type() == QEvent.Type.FocusOut and isinstance(event, QFocusEvent):
            # leaving a field with Tab or the mouse saves what was typed (or shows why not); the list opening is
            # no leaving
            if not Shiboken.isValid(self.line):
                return False  # the editor is being destroyed (its window closed): nothing to save from it
            if event.reason() != Qt.FocusReason.PopupFocusReason and self.has_unsaved_text():
                self.leaving = True  # saved on the way out: the keyboard goes where Tab or the mouse sends it
                try:
                    if self.commit():
                        self.line.setModified(False)
                finally:
                    self.leaving = False
        elif event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            combo = QKeySequence(event.keyCombination())
            if any(combo.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in _WINDOW_KEYS):
                event.ignore()
                return True
        elif event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain and watched is self.line:
                self.commit()
                return True
            # Esc reaches the combo box or its line, as the focus lies (the box's own Esc handling drops it)
            at_editor = watched in (self.line, self.combo)
            if event.key() == Qt.Key.Key_Escape and plain and at_editor and self.has_unsaved_text():
                self.revert()  # what was typed is dropped: the field shows its value again
                return True
            if event.key() in _LIST_KEYS and not event.modifiers() & Qt.KeyboardModifier.AltModifier:
                return True  # an arrow key never takes an alternative: Alt+Down opens the list to pick one
        return super().eventFilter(watched, event)
