"""The clerk's review station: the queue, the page, the fields, wired to the review controller."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from extractors.document import Token, TokenSource
from extractors.geometry import BBox
from idp_app.services.ingest import SETTABLE_TYPES
from ui.actions import ShortcutsDialog, make_actions
from ui.backend import LineItemEdit, ReviewBackend
from ui.export import ExportControl
from ui.field_panel import FieldPanel
from ui.line_items import LineItemTable
from ui.model import DocumentView, UserSession, tokens_text
from ui.page_view import PageView
from ui.queue_view import QueueView
from ui.rendering import PageImageSource
from ui.retrain import RetrainControl
from ui.review import ReviewController
from ui.tasks import TaskRunner
from ui.thumbnails import ThumbnailStrip


class Prompts:
    """The questions the window asks; tests replace them with canned answers."""

    def ask_text(self, parent: QWidget, title: str, label: str) -> str | None:
        """One line of text (Enter gives it, Escape cancels)."""
        text, ok = QInputDialog.getText(parent, title, label)
        return text.strip() if ok else None  # "" where OK was pressed on nothing: the caller says why not

    def ask_choice(self, parent: QWidget, title: str, label: str, items: list[str], current: int) -> str | None:
        """One of ``items`` (Enter gives it, Escape cancels)."""
        item, ok = QInputDialog.getItem(parent, title, label, items, current, False)
        return item if ok else None

    def inform(self, parent: QWidget, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def show_shortcuts(self, parent: QWidget, supervisor: bool) -> None:
        ShortcutsDialog(supervisor, parent).exec()


class MainWindow(QMainWindow):
    def __init__(
        self,
        backend: ReviewBackend,
        user: UserSession,
        *,
        runner: TaskRunner | None = None,
        images: PageImageSource | None = None,
        prompts: Prompts | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"IDP Desk \u2014 {user.name} ({user.role})")
        self.backend = backend
        self.user = user
        self.runner = runner or TaskRunner(self)
        self.images = images or PageImageSource(self.runner, backend.render)
        self.prompts = prompts or Prompts()
        self.review = ReviewController(backend, self.runner, user, self)
        self._captured: dict[str, list[Token]] = {}
        self._said_about: int | None = None
        """The document the status bar message is about, if it is about one."""
        self._refused_since_done = False
        self._fit_on_open = False
        self.remember = True
        """Whether closing saves layout, zoom and filters (off for screenshots and benchmarks)."""

        self.queue = QueueView()
        self.page_view = PageView(self.images)
        self.thumbnails = ThumbnailStrip(self.images)
        self.fields = FieldPanel(backend.check_value)
        self.fields.issues.may_override = user.may_override
        self.line_items = LineItemTable(check=backend.check_value)
        self._build_layout()
        self.retraining = RetrainControl(
            backend, self.runner, user, self.statusBar(), lambda t, x: self.prompts.inform(self, t, x), self
        )
        self.actions_by_name = make_actions(
            self, {"fields": self.fields, "items": self.line_items.table}, user.may_override
        )
        self.actions_by_name["retrain"] = self.retraining.action
        self.exporting = ExportControl(
            backend, self.runner, user, self.statusBar(), lambda t, x: self.prompts.inform(self, t, x), self
        )
        self.actions_by_name["export"] = self.exporting.action
        report = QAction("Accuracy report\u2026", self)
        report.setObjectName("action-report")
        report.setToolTip("How right extraction was, as the clerks found it, and each clerk's work")
        report.setVisible(user.may_read_reports)
        report.setEnabled(user.may_read_reports)
        report.triggered.connect(self.show_report)
        self.actions_by_name["report"] = report
        self._connect()
        self._restore_settings()
        self.review.refresh_queue()
        self.retraining.refresh_version()

    # -- layout ------------------------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        middle = QWidget()
        pages = QHBoxLayout(middle)
        pages.setContentsMargins(0, 0, 0, 0)
        pages.setSpacing(0)
        pages.addWidget(self.thumbnails)
        pages.addWidget(self.page_view, 1)
        items_box = self.items_box = QGroupBox("Line items")
        items_layout = QVBoxLayout(items_box)
        items_layout.setContentsMargins(4, 4, 4, 4)
        items_layout.addWidget(self.line_items)
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("right-splitter")
        self.right.addWidget(self.fields)
        self.right.addWidget(items_box)
        self.right.setStretchFactor(0, 3)
        self.right.setStretchFactor(1, 1)
        self.right.setSizes([640, 280])  # the fields first: the item table scrolls
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main-splitter")
        self.splitter.addWidget(self.queue)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([480, 620, 500])
        self.setCentralWidget(self.splitter)
        who = self.user.name if self.user.name == self.user.role else f"{self.user.name} \u00b7 {self.user.role}"
        self.user_label = QLabel(who)
        self.zoom_label = QLabel("100 %")
        self.page_label = QLabel()
        for w in (self.page_label, self.zoom_label, self.user_label):
            self.statusBar().addPermanentWidget(w)
        self.resize(1500, 950)

    def _connect(self) -> None:
        r, a = self.review, self.actions_by_name
        r.documentOpened.connect(self._show_document)
        r.documentUpdated.connect(self._update_document)
        r.queueChanged.connect(self._queue_changed)
        r.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        r.correctionRefused.connect(self._correction_refused)
        r.openFailed.connect(self.page_view.show_notice)  # in the page's place while no document is open
        self.runner.error.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.queue.documentActivated.connect(lambda doc_id: self._leave_for(lambda: r.open(doc_id)))
        self.fields.fieldSelected.connect(self._field_selected)
        self.fields.valueCommitted.connect(lambda n, v, b, p: r.set_value(n, v, b, p))
        self.fields.fieldConfirmed.connect(r.confirm)
        self.fields.fixRequested.connect(lambda n, v: r.set_value(n, v))
        self.fields.overrideRequested.connect(lambda: self.approve(override=True))
        self.fields.reviewDone.connect(self._review_done)
        self.page_view.tokensClicked.connect(self._capture_tokens)
        self.page_view.regionSelected.connect(self._capture_region)
        self.page_view.fieldClicked.connect(lambda name: self.fields.set_current(name))
        self.page_view.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z:.0%}"))
        self.page_view.pageShown.connect(self._page_shown)
        self.thumbnails.pageChosen.connect(self.page_view.show_page)
        self.line_items.cellEdited.connect(r.set_cell)
        self.line_items.cellRefused.connect(
            lambda row, column, why: self._say_about_document(
                f"Row {row + 1}, {column.replace('_', ' ')} not saved: {why}", 10000
            )
        )
        self.line_items.cellSelected.connect(lambda page, box: self.page_view.highlight_box(box, page))
        self.line_items.rowAdded.connect(lambda row: r.edit_rows(LineItemEdit.ADD, row))
        self.line_items.rowDeleted.connect(lambda row: r.edit_rows(LineItemEdit.DELETE, row))
        self.line_items.rowSplit.connect(lambda row: r.edit_rows(LineItemEdit.SPLIT, row))
        self.line_items.rowsMerged.connect(lambda a_, b_: r.edit_rows(LineItemEdit.MERGE, a_, b_))
        r.rowsEdited.connect(self._rows_edited)

        a["next_field"].triggered.connect(lambda: self.fields.move_field(1))
        a["previous_field"].triggered.connect(lambda: self.fields.move_field(-1))
        a["accept_field"].triggered.connect(self.accept_field)
        a["approve"].triggered.connect(lambda: self.approve(override=False))
        a["approve_override"].triggered.connect(lambda: self.approve(override=True))
        a["reject"].triggered.connect(self.reject_document)
        a["set_type"].triggered.connect(self.set_document_type)
        a["undo"].triggered.connect(r.undo_stack.undo)
        a["redo"].triggered.connect(r.undo_stack.redo)
        a["zoom_in"].triggered.connect(self.page_view.zoom_in)
        a["zoom_out"].triggered.connect(self.page_view.zoom_out)
        a["zoom_reset"].triggered.connect(self.page_view.zoom_reset)
        a["fit_width"].triggered.connect(self.page_view.fit_width)
        a["next_page"].triggered.connect(lambda: self._turn_page(1))
        a["previous_page"].triggered.connect(lambda: self._turn_page(-1))
        a["focus_queue"].triggered.connect(lambda: self.queue.table.setFocus())
        a["next_pane"].triggered.connect(lambda: self.move_pane(1))
        a["previous_pane"].triggered.connect(lambda: self.move_pane(-1))
        a["apply_fix"].triggered.connect(self.apply_fix)
        a["add_row"].triggered.connect(self.line_items.add_button.click)
        a["delete_row"].triggered.connect(self.line_items.delete_button.click)
        a["split_row"].triggered.connect(self.line_items.split_button.click)
        a["merge_rows"].triggered.connect(self.line_items.merge_button.click)
        for name, button in (
            ("add_row", self.line_items.add_button),
            ("delete_row", self.line_items.delete_button),
            ("split_row", self.line_items.split_button),
            ("merge_rows", self.line_items.merge_button),
        ):
            button.setToolTip(a[name].toolTip())
        a["open_next"].triggered.connect(lambda: self._leave_for(r.open_next))
        a["help"].triggered.connect(lambda: self.prompts.show_shortcuts(self, self.user.may_override))
        r.undo_stack.canUndoChanged.connect(a["undo"].setEnabled)
        r.undo_stack.canRedoChanged.connect(a["redo"].setEnabled)
        a["undo"].setEnabled(False)
        a["redo"].setEnabled(False)
        self._build_menus()

    def _build_menus(self) -> None:
        a = self.actions_by_name
        groups = {
            "&Document": ("approve", "approve_override", "reject", "set_type", "open_next", "focus_queue"),
            "&Edit": ("undo", "redo", "accept_field", "next_field", "previous_field", "apply_fix"),
            "&Line items": ("add_row", "delete_row", "split_row", "merge_rows"),
            "&View": (
                "zoom_in",
                "zoom_out",
                "zoom_reset",
                "fit_width",
                "next_page",
                "previous_page",
                "next_pane",
                "previous_pane",
            ),
            "&Model": ("retrain", "report"),
            "E&xport": ("export",),
            "&Help": ("help",),
        }
        for title, names in groups.items():
            shown = [a[name] for name in names if a[name].isVisible()]
            if shown:  # a clerk sees no Model menu
                self.menuBar().addMenu(title).addActions(shown)

    def show_report(self) -> None:
        from ui.report_dialog import ReportDialog

        self.report_dialog = ReportDialog(self.backend, self.runner, self.user, self)
        self.report_dialog.show()

    # -- showing the document ---------------------------------------------------------------------------------
    @property
    def document(self) -> DocumentView | None:
        return self.review.doc

    def _say_about_document(self, text: str, ms: int) -> None:
        """A status message about the document open now: cleared when another one is opened, so that the clerk
        never reads one document's message on the next."""
        self.statusBar().showMessage(text, ms)
        self._said_about = self.review.doc.document_id if self.review.doc is not None else None

    def _show_document(self, doc: object) -> None:
        assert doc is None or isinstance(doc, DocumentView)
        shown = doc.document_id if doc is not None else None
        if self._said_about not in (None, shown) and self.statusBar().currentMessage():
            self.statusBar().clearMessage()
        self._said_about = None
        self._captured = {}
        zoom = self.page_view.zoom
        self.page_view.set_document(doc)
        if self._fit_on_open or self.page_view.fitting_width:
            self._fit_on_open = False
            self.page_view.fit_width()
        else:
            self.page_view.set_zoom(zoom)
        self.thumbnails.set_document(doc)
        self.fields.set_document(doc)
        self.line_items.set_items(
            doc.line_items if doc else (), doc.line_item_columns if doc else (), doc.line_item_types if doc else ()
        )
        self.items_box.setTitle(self._items_title(doc))
        # a contract has no item table; every other document may need rows added by hand
        self.items_box.setVisible(doc is not None and (bool(doc.line_item_columns) or doc.doc_type != "contract"))
        if doc is None:
            return
        self.queue.select_document(doc.document_id)
        if doc.load_error:
            self._say_about_document(f"{doc.load_error} Reject it with Ctrl+Shift+R.", 15000)
        current = self.fields.current
        if current is not None:
            self.page_view.select_field(current)
            self.fields.set_current(current)
            self.review.field_entered(current)
        for index in range(1, min(doc.page_count, 3)):  # the next pages, ready before they are asked for
            self.images.prefetch(doc.path, index, self.page_view.page_image_dpi or 110)

    def _update_document(self, doc: object) -> None:
        assert isinstance(doc, DocumentView)
        self.page_view.update_document(doc)
        self.fields.set_document(doc)
        self.line_items.set_items(doc.line_items, doc.line_item_columns, doc.line_item_types, keep_refused=True)
        self.items_box.setTitle(self._items_title(doc))
        if self.fields.current:
            self.page_view.select_field(self.fields.current)

    @staticmethod
    def _items_title(doc: DocumentView | None) -> str:
        if doc is None or doc.line_items:
            return f"Line items ({len(doc.line_items)})" if doc else "Line items"
        return "Line items: none found \u2014 add the rows the document lists with Add row"

    def _review_done(self) -> None:
        self._refused_since_done = False
        self._when_saved(self._say_review_done)  # the state after the last correction, not before it

    def _correction_refused(self, name: str, text: str, why: str) -> None:
        self._refused_since_done = True  # the refusal is what the clerk must read, not "every field reviewed"
        self.fields.forget_accepted(name)
        self.fields.show_refused(name, text, why)

    def _say_review_done(self) -> None:
        if self._refused_since_done:
            return
        doc = self.review.doc
        if doc is None or not doc.approval_blocked:
            self._say_about_document("Every field reviewed: Ctrl+Enter approves.", 8000)
            return
        then = "Ctrl+Shift+Enter approves with a reason" if self.user.may_override else "ask a supervisor"
        self._say_about_document(
            f"Every field reviewed, but approval is blocked: {self._blockers(doc)}. Correct it, or {then}.", 15000
        )

    @staticmethod
    def _blockers(doc: DocumentView) -> str:
        empty = [f"{f.label} is required and empty" for f in doc.empty_required]
        return "; ".join([*(i.message for i in doc.issues if i.blocking), *empty]) or "no rule fails"

    def _queue_changed(self, rows: list[object]) -> None:
        current = self.review.doc.document_id if self.review.doc else None
        self.queue.set_rows([r for r in rows if not isinstance(r, Exception)], current)  # type: ignore[misc]

    def _field_selected(self, name: str) -> None:
        self.page_view.select_field(name)
        self.review.field_entered(name)

    def _page_shown(self, index: int) -> None:
        doc = self.review.doc
        self.page_label.setText(f"page {index + 1} of {doc.page_count}" if doc else "")
        self.thumbnails.show_page(index)

    def _turn_page(self, step: int) -> None:
        doc = self.review.doc
        if doc is not None:
            target = self.page_view.page_index + step
            if 0 <= target < doc.page_count:
                self.page_view.show_page(target)

    # -- capture from the page --------------------------------------------------------------------------------
    def _capture_tokens(self, tokens: list[Token], additive: bool) -> None:
        name = self.fields.current
        if name is None or not tokens:
            self.statusBar().showMessage("Choose a field first, then click the words for it.", 5000)
            return
        if additive:  # words add up on one page: a field's box lies on one page
            before = [t for t in self._captured.get(name, []) if t.page == tokens[0].page]
            known = {(t.index, t.bbox_pt) for t in before}
            tokens = before + [t for t in tokens if (t.index, t.bbox_pt) not in known]
        self._captured[name] = list(tokens)
        self._put_tokens(name, tokens)

    def _capture_region(self, page: int, box: BBox, tokens: list[Token]) -> None:
        name = self.fields.current
        doc = self.review.doc
        if name is None or doc is None:
            self.statusBar().showMessage("Choose a field first, then draw a box around its value.", 5000)
            return
        if tokens and not any(t.source == TokenSource.OCR for t in tokens):
            self._captured[name] = list(tokens)  # a text layer's words are what the page says
            self._put_tokens(name, tokens)
            return
        # on a scan the box is read again: the page's OCR may have lost or misread what the clerk draws round
        # (a group of an IBAN); its words are kept where the new reading gives no value of the field's form
        self.statusBar().showMessage("Reading the text in the box\u2026")
        path, doc_id = doc.path, doc.document_id
        shown = doc.page(page)
        turn = shown.upright_turn if shown is not None else 0

        def done(found: object) -> None:
            assert isinstance(found, list)
            current = self.review.doc
            if current is None or current.document_id != doc_id:
                return
            if not found or not self._of_form(name, found):
                # the page's words where they are a value of the field's form; else, the box holding a label
                # beside the value ("VAT No. NL…"), the longest run of words of its form in the new reading, then
                # in the page's words; else the page's words (whose refusal shows), else the new reading
                whole = list(tokens) if tokens and self._of_form(name, tokens) else None
                part = whole or self._part_of_form(name, found) or self._part_of_form(name, tokens)
                found = part or list(tokens) or found
            if not found:
                self.statusBar().showMessage("No text found in the box.", 5000)
                return
            self.statusBar().clearMessage()
            self._captured[name] = list(found)
            self._put_tokens(name, found)

        self.runner.submit(lambda: self.backend.ocr_region(path, page, box, turn), done)

    def _part_of_form(self, name: str, tokens: list[Token]) -> list[Token] | None:
        """The longest run of ``tokens`` (the rightmost of equals: a value follows its label) that reads as a
        value of the field's form, if any."""
        n = len(tokens)
        for length in range(n - 1, 0, -1):  # the whole was tried already
            for start in range(n - length, -1, -1):
                if self._of_form(name, tokens[start : start + length]):
                    return tokens[start : start + length]
        return None

    def _of_form(self, name: str, tokens: list[Token]) -> bool:
        """Whether ``tokens`` read as a value of the field's form."""
        doc = self.review.doc
        f = doc.field(name) if doc else None
        if f is None:
            return False
        try:
            self.backend.check_value(f.schema_type, tokens_text(tokens))
        except ValueError:
            return False
        return True

    def _put_tokens(self, name: str, tokens: list[Token]) -> None:
        doc = self.review.doc
        f = doc.field(name) if doc else None
        editor = self.fields.editors.get(name)
        if f is None or editor is None:
            return
        text = tokens_text(tokens)
        box = BBox.union_of(t.bbox_pt for t in tokens)
        self.fields.put_text(name, text)
        try:
            value = self.backend.check_value(f.schema_type, text)
        except ValueError as exc:
            editor.show_error(str(exc))
            self.fields.set_current(name)  # the keyboard goes to the field, to type the value instead
            return
        editor.clear_error()  # an earlier click's refusal ("'2 décembre' is not a date") no longer holds
        self.review.set_value(name, value, box, tokens[0].page, tokens)
        self.fields.set_current(name)

    def _rows_edited(self, op: str, shown: int) -> None:
        """The keyboard on the row the edit made or took back (a row added: typing goes into it, not into the row
        before)."""
        rows = self.line_items.model.rowCount()
        if rows:
            self.line_items.select_cell(min(max(shown, 0), rows - 1), 0)
            self.line_items.table.setFocus()

    # -- keyboard ------------------------------------------------------------------------------------------------
    def _panes(self) -> list[QWidget]:
        panes: list[QWidget] = [self.queue.table, self.page_view]
        if self.review.doc is not None:
            panes.append(self.fields)
            if self.items_box.isVisible():
                panes.append(self.line_items.table)
        return panes

    def move_pane(self, step: int) -> None:
        """Put the keyboard in the next (step 1) or previous (-1) pane: queue, page, fields, line items."""
        panes = self._panes()
        focus = self.focusWidget()
        here = next((i for i, p in enumerate(panes) if focus is not None and (focus is p or p.isAncestorOf(focus))), -1)
        target = panes[(here + step) % len(panes)] if here >= 0 else panes[0 if step > 0 else -1]
        if target is self.fields:
            self.fields.set_current(self.fields.current or self.fields.next_needing_review(None))
            if self.fields.current is not None:
                return
            target = self.fields
        target.setFocus(Qt.FocusReason.TabFocusReason)
        if target is self.line_items.table and not self.line_items.table.currentIndex().isValid():
            self.line_items.select_cell(0, 0)

    def apply_fix(self) -> None:
        buttons = self.fields.issues.fix_buttons
        if self.review.doc is None or not buttons:
            self.statusBar().showMessage("No failed rule offers an edit.", 5000)
            return
        buttons[0].click()

    def accept_field(self) -> None:
        name = self.fields.current
        if name is not None:
            self.fields.editors[name].commit()

    def _when_saved(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once every correction handed to the core has come back."""
        if not self.runner.busy:
            fn()
            return

        def once() -> None:
            self.runner.idle.disconnect(once)
            fn()

        self.runner.idle.connect(once)

    def _save_typed(self) -> bool:
        """Hand on what the clerk typed in any field and did not save; False (the field shown, with why) when a
        typed value is refused."""
        name = self.fields.current
        current = self.fields.editors.get(name) if name else None
        if current is not None and current.text().strip() != current.view.text and not current.commit():
            return False
        for editor in list(self.fields.editors.values()):
            if editor is not current and editor.has_unsaved_text() and not editor.commit():
                self.fields.set_current(editor.name)
                return False
        refused = self.line_items.model.first_refused()
        if refused is not None:
            row, column, why = refused
            self.line_items.select_cell(row, self.line_items.model.columns.index(column))
            self.line_items.table.setFocus()
            self._say_about_document(f"Row {row + 1}, {column.replace('_', ' ')} is not saved: {why}", 10000)
            return False
        return True

    def _leave_for(self, go: Callable[[], None]) -> None:
        """Open another document once what the clerk typed here is saved; stay, with why, where it is refused."""
        if self.review.doc is not None and not self._save_typed():
            return
        self._when_saved(go)

    def approve(self, override: bool = False) -> None:
        if not self._save_typed():
            return
        self._when_saved(lambda: self._approve_now(override))

    def _approve_now(self, override: bool) -> None:
        doc = self.review.doc
        if doc is None:
            return
        if doc.load_error:
            self.statusBar().showMessage("A document that cannot be shown cannot be approved: reject it.", 8000)
            return
        if not doc.approval_blocked and not override:
            self.review.approve()
            return
        failing = self._blockers(doc)
        if not self.user.may_override:
            self.prompts.inform(
                self, "Approval blocked", f"Approval is blocked: {failing}.\nCorrect the fields, or ask a supervisor."
            )
            return
        reason = self.prompts.ask_text(self, "Approve with override", f"Failing: {failing}\n\nWhy approve anyway?")
        if reason and reason.strip():
            self.review.approve(override_reason=reason)
        elif reason is not None:  # OK with nothing typed: said, not passed over
            self.statusBar().showMessage("Not approved: an override needs a reason (kept in the audit log).", 8000)

    def reject_document(self) -> None:
        if self.review.doc is None:
            return
        reason = self.prompts.ask_text(self, "Reject document", "Why is this document rejected?")
        if reason and reason.strip():
            self._when_saved(lambda: self.review.reject(reason))
        elif reason is not None:
            self.statusBar().showMessage("Not rejected: a rejection needs a reason.", 8000)

    def set_document_type(self) -> None:
        doc = self.review.doc
        if doc is None:
            return
        types = list(SETTABLE_TYPES)
        current = types.index(doc.doc_type) if doc.doc_type in types else 0
        chosen = self.prompts.ask_choice(
            self,
            "Document type",
            f"This document was read as {doc.doc_type}. What is it?\n"
            "It is read again as that: its fields become that type's; values you set are kept where it has them.",
            types,
            current,
        )
        if chosen and chosen != doc.doc_type:
            self._when_saved(lambda: self.review.set_type(chosen))

    # -- settings --------------------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = QSettings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        for key, splitter in (("window/splitter", self.splitter), ("window/right", self.right)):
            state = s.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        saved_zoom = s.value("view/zoom", "fit")
        self._fit_on_open = saved_zoom == "fit"  # the first start fits the page's width
        try:
            zoom = 1.0 if self._fit_on_open else float(saved_zoom)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            zoom, self._fit_on_open = 1.0, True
        self.page_view.set_zoom(zoom)
        try:
            filters = json.loads(str(s.value("queue/filters", "{}")))
        except json.JSONDecodeError:
            filters = {}
        if isinstance(filters, dict):
            self.queue.set_filters(filters)

    def save_settings(self) -> None:
        if not self.remember:
            return
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("window/right", self.right.saveState())
        s.setValue("view/zoom", "fit" if self.page_view.fitting_width else self.page_view.zoom)
        s.setValue("queue/filters", json.dumps(self.queue.filters()))
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        doc = self.review.doc
        if doc is not None:
            self._save_typed()  # what was typed and is valid is kept; a refused value was never a value
            self.review.release_current()
        self.runner.wait(10_000)
        super().closeEvent(event)

    def action(self, name: str) -> QAction:
        return self.actions_by_name[name]
