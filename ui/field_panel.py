"""The field panel: the failed rules with their one-edit fixes, then an editor per field of the schema."""

from __future__ import annotations

import html
import itertools

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from idp_app.domain import ReviewState
from ui.field_editor import FieldEditor, ValueCheck
from ui.model import DocumentView, FieldKind, RuleIssue
from ui.palette import field_panel_style
from ui.values import check_value


class IssuesBox(QFrame):
    """What is wrong with the document, each failed rule in words, with a button for the edit that fixes it."""

    fixRequested = Signal(str, str)
    overrideRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("issues")
        self.may_override = False
        """Whether the user may approve despite a blocking rule (a supervisor): then the button shows."""
        self.override_button = QPushButton("Approve with override\u2026")
        self.override_button.setObjectName("override")
        self.override_button.clicked.connect(self.overrideRequested)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 6, 8, 6)
        self.fix_buttons: list[QPushButton] = []
        self.hide()

    def set_issues(self, issues: tuple[RuleIssue, ...], labels: dict[str, str]) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None and w is not self.override_button:
                w.deleteLater()
        self.fix_buttons = []
        for issue in issues:
            # the message over the whole width, its fix under it: side by side, a narrow window cut both short
            row = QVBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            mark = "\u2717" if issue.blocking else "\u26a0"
            text = QLabel(f"{mark} {issue.message}" + ("" if issue.blocking else " (approval still allowed)"))
            text.setWordWrap(True)
            text.setObjectName("issueText")
            text.setProperty("blocking", "true" if issue.blocking else "false")
            row.addWidget(text)
            holder = QWidget()
            holder.setLayout(row)
            if issue.has_fix:
                assert issue.fix_field is not None and issue.fix_value is not None
                label = labels.get(issue.fix_field, issue.fix_field)
                button = QPushButton(f"Set {label} to {issue.fix_value}")
                button.setObjectName(f"fix-{issue.rule}")
                field, value = issue.fix_field, issue.fix_value
                button.clicked.connect(lambda _=False, f=field, v=value: self.fixRequested.emit(f, v))
                row.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
                self.fix_buttons.append(button)
            self._layout.addWidget(holder)
        blocking = any(i.blocking for i in issues)
        if blocking and self.may_override:
            self._layout.addWidget(self.override_button, 0, Qt.AlignmentFlag.AlignRight)
        self.override_button.setVisible(blocking and self.may_override)
        self.setProperty("blocking", "true" if blocking else "false")
        self.style().unpolish(self)
        self.style().polish(self)
        self.setVisible(bool(issues))


class ReasonsLabel(QLabel):
    """Why the document is in review: a short bulleted list, the rest behind "and N more" (and in the tooltip)."""

    SHOWN = 3
    """Reasons shown before "and N more": with that line, at most four lines."""
    LONGEST = 120
    """Characters of one reason shown while folded; the tooltip has every word."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panelReasons")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.linkActivated.connect(self._toggle)
        self.reasons: tuple[str, ...] = ()
        self.expanded = False

    def set_reasons(self, reasons: tuple[str, ...]) -> None:
        if reasons != self.reasons:
            self.expanded = False
        self.reasons = reasons
        self.setToolTip("\n".join(f"\u2022 {r}" for r in reasons) if len(reasons) > 1 else "")
        self._show()
        self.setVisible(bool(reasons))

    def shown_reasons(self) -> list[str]:
        """The reasons as they are listed now (shortened while folded)."""
        if self.expanded or len(self.reasons) <= self.SHOWN + 1:
            return list(self.reasons)
        return [
            r if len(r) <= self.LONGEST else r[: self.LONGEST - 1].rstrip() + "\u2026"
            for r in self.reasons[: self.SHOWN]
        ]

    def _show(self) -> None:
        listed = self.shown_reasons()
        rest = len(self.reasons) - len(listed)
        lines = [f"\u2022&nbsp;{html.escape(r)}" for r in listed]
        if rest:
            lines.append(f'<a href="more">and {rest} more\u2026</a>')
        elif self.expanded:
            lines.append('<a href="less">show fewer</a>')
        self.setText("<b>In review because:</b><br>" + "<br>".join(lines) if self.reasons else "")

    def _toggle(self, _link: str = "") -> None:
        self.expanded = not self.expanded
        self._show()


class FieldPanel(QWidget):
    """All fields of the document under review; Enter accepts a field and moves to the next that needs review."""

    fieldSelected = Signal(str)
    valueCommitted = Signal(str, str, object, object)
    """Field name, new value, box (BBox or None), page (or None)."""
    fieldConfirmed = Signal(str)
    fixRequested = Signal(str, str)
    overrideRequested = Signal()
    reviewDone = Signal()
    """Enter on the last field that needed review: nothing is left to look at."""

    def __init__(self, check: ValueCheck = check_value, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self.editors: dict[str, FieldEditor] = {}
        self._order: list[str] = []
        self._current: str | None = None
        self._doc: DocumentView | None = None
        self._accepted: set[str] = set()
        """Fields the clerk accepted or corrected in this document: Enter does not come back to them, even where a
        failed rule keeps them red."""
        self.setStyleSheet(field_panel_style())

        self.heading = QLabel()
        self.heading.setObjectName("panelHeading")
        self.reasons = ReasonsLabel()
        self.issues = IssuesBox()
        self.issues.fixRequested.connect(self.fixRequested)
        self.issues.overrideRequested.connect(self.overrideRequested)
        self._body = QWidget()
        self._fields_layout = QVBoxLayout(self._body)
        self._fields_layout.setContentsMargins(0, 0, 0, 0)
        self._fields_layout.setSpacing(4)
        self._fields_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._body)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.reasons)
        layout.addWidget(self.issues)
        layout.addWidget(scroll, 1)

    # -- showing -------------------------------------------------------------------------------------------
    def set_document(self, doc: DocumentView | None) -> None:
        same = doc is not None and self._doc is not None and doc.document_id == self._doc.document_id
        # read again as another type (Ctrl+Shift+T): other fields, so the first needing review, as on opening
        same = same and doc is not None and self._doc is not None and doc.doc_type == self._doc.doc_type
        self._doc = doc
        self._arrange(doc, keep_typing=same)
        if doc is None:
            self.heading.clear()
            self.reasons.set_reasons(())
            self.issues.set_issues((), {})
            return
        self.heading.setText(f"{doc.name}  \u2014  {doc.doc_type}")
        self.reasons.set_reasons(doc.reasons)
        self.issues.set_issues(doc.issues, {f.name: f.label for f in doc.fields})
        if not same:
            self._accepted = set()
            first = self.next_needing_review(None) or (self._order[0] if self._order else None)
            self._current = None
            self.set_current(first, focus=False)
        # the issues above the fields may have grown or shrunk: once laid out, the current field is still in sight
        QTimer.singleShot(0, self, self._keep_current_in_sight)

    def _keep_current_in_sight(self) -> None:
        if self._current in self.editors:
            self._scroll.ensureWidgetVisible(self.editors[self._current])

    def _currency(self, doc: DocumentView) -> str:
        cur = doc.field("currency")
        return cur.text if cur is not None and cur.kind is FieldKind.CURRENCY else ""

    def _arrange(self, doc: DocumentView | None, *, keep_typing: bool) -> None:
        """One editor per field, in the document's order; editors of fields the last document had are reused."""
        views = {f.name: f for f in doc.fields} if doc else {}
        names = list(views)
        for name in [n for n in self.editors if n not in views or views[n].kind is not self.editors[n].view.kind]:
            gone = self.editors.pop(name)
            gone.setParent(None)
            gone.deleteLater()
        currency = self._currency(doc) if doc else ""
        for name, view in views.items():
            editor = self.editors.get(name)
            if editor is None:
                editor = FieldEditor(view, self._check)
                editor.focused.connect(self._editor_focused)
                editor.committed.connect(self._editor_committed)
                editor.confirmed.connect(self._editor_confirmed)
                self.editors[name] = editor
            editor.set_view(view, currency, keep_typing=keep_typing)
        if names != self._order:
            for name in names:
                self._fields_layout.removeWidget(self.editors[name])
            for i, name in enumerate(names):
                self._fields_layout.insertWidget(i, self.editors[name])
            for a, b in itertools.pairwise(names):
                QWidget.setTabOrder(self.editors[a].combo, self.editors[b].combo)
            self._order = names
        if self._current not in self.editors:
            self._current = None

    # -- the current field ----------------------------------------------------------------------------------
    @property
    def current(self) -> str | None:
        return self._current

    def set_current(self, name: str | None, *, focus: bool = True) -> None:
        if name is not None and name not in self.editors:
            return
        changed = name != self._current
        self._current = name
        for key, editor in self.editors.items():
            editor.set_current(key == name)
        if name is not None:
            editor = self.editors[name]
            self._scroll.ensureWidgetVisible(editor)
            if focus:
                editor.focus_editor()
        if changed and name is not None:
            self.fieldSelected.emit(name)

    def move_field(self, step: int) -> None:
        """Go to the next (step 1) or previous (step -1) field."""
        if not self._order:
            return
        i = self._order.index(self._current) if self._current in self._order else -step
        self.set_current(self._order[(i + step) % len(self._order)])

    def next_needing_review(self, after: str | None) -> str | None:
        """The next field after ``after`` whose review state is not OK and that the clerk has not accepted yet,
        wrapping round; None if there is none."""
        if self._doc is None or not self._order:
            return None
        start = self._order.index(after) + 1 if after in self._order else 0
        n = len(self._order)
        for k in range(n):
            name = self._order[(start + k) % n]
            if name == after or name in self._accepted:
                continue
            f = self._doc.field(name)
            if f is not None and f.state is not ReviewState.OK:
                return name
        return None

    def forget_accepted(self, name: str) -> None:
        """The core refused what the clerk gave for ``name``: Enter comes back to it."""
        self._accepted.discard(name)

    def show_refused(self, name: str, text: str, why: str) -> None:
        """The core refused ``text`` for ``name``: it stays in the field, with why, for the clerk to mend (whether
        or not the keyboard has moved on meanwhile); it is not saved, so approval waits for it."""
        editor = self.editors.get(name)
        if editor is not None and text:
            editor.set_text(text)
            editor.show_error(why)

    def put_text(self, name: str, text: str) -> None:
        """Show captured words in a field's editor (the capture itself is committed by the window)."""
        editor = self.editors.get(name)
        if editor is not None:
            editor.set_text(text)  # not saved yet: refused, it stays to be corrected, and approval waits for it

    # -- editor events ------------------------------------------------------------------------------------------
    def _editor_focused(self, name: str) -> None:
        if name != self._current:
            self.set_current(name, focus=False)

    def _editor_committed(self, name: str, value: str, box: object, page: object) -> None:
        self._accepted.add(name)
        self.valueCommitted.emit(name, value, box, page)
        self._advance(name)

    def _editor_confirmed(self, name: str) -> None:
        self._accepted.add(name)
        self.fieldConfirmed.emit(name)
        self._advance(name)

    def _leaving(self, name: str) -> bool:
        editor = self.editors.get(name)
        return editor is not None and editor.leaving

    def _advance(self, name: str) -> None:
        if self._leaving(name):
            return  # saved as Tab, Shift+Tab or a click left the field: the keyboard goes where the clerk sent it
        nxt = self.next_needing_review(name)
        if nxt is None:
            self.reviewDone.emit()
        else:
            self.set_current(nxt)
