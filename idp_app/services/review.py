"""Review: corrections, confirmations, approval (refused while a rule fails, unless overridden) and rejection.

Every change a clerk makes is a :class:`~idp_app.domain.Correction`, checked against the field's value type,
stored as a training pair and logged. Applying ``correction.inverted()`` undoes it through the same path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extractors.geometry import BBox
from idp_app.db.engine import Database
from idp_app.db.models import CorrectionRow, Document, FieldRow, utcnow
from idp_app.db.models import Reason as ReasonRow
from idp_app.domain import Correction, CorrectionKind, DocumentStatus
from idp_app.errors import (
    IllegalTransitionError,
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
    RuleFailedError,
    StaleValueError,
)
from idp_app.services import audit, lifecycle, line_items, vendors
from idp_app.services.documents import build_view, field_view, last_export, load_document
from idp_app.services.evaluate import current_values, evaluate, summarise, text_of
from idp_app.services.faults import pause_point
from idp_app.services.policy import PolicyStore
from idp_app.services.queue import holding
from idp_app.services.routing import REOPENED, RoutingPolicy
from idp_app.services.storage import FileStore
from idp_app.services.users import Permission, User, acting_user
from idp_app.services.values import LINE_ITEM_TYPES, field_type, normalise, schema_types, typed_currency
from idp_app.services.views import DocumentView, FieldView

log = logging.getLogger(__name__)

REOPENABLE = frozenset(
    {DocumentStatus.APPROVED.value, DocumentStatus.AUTO_APPROVED.value, DocumentStatus.EXPORTED.value}
)
"""What a supervisor may send back to the review queue."""


def _bbox_list(b: object) -> list[float] | None:
    return b.to_list(3) if isinstance(b, BBox) else None


def _confirmed(s: Session, doc: Document, name: str, line: int | None, value: str | None) -> bool:
    """Whether the clerk confirmed this field with this value since the document was last extracted."""
    found = s.execute(
        select(CorrectionRow.id)
        .where(
            CorrectionRow.document_id == doc.id,
            CorrectionRow.field_name == name,
            CorrectionRow.kind == CorrectionKind.CONFIRMATION.value,
            CorrectionRow.new_value == value,
            CorrectionRow.line_item_index.is_(None) if line is None else CorrectionRow.line_item_index == line,
            *([CorrectionRow.created_at >= doc.extracted_at] if doc.extracted_at else []),
        )
        .limit(1)
    ).first()
    return found is not None


def _same(value_type: str, given: str | None, current: str | None) -> bool:
    if (given or None) == (current or None):
        return True
    try:
        return normalise(value_type, given) == current
    except InvalidValueError:
        return False


def _check_field(s: Session, doc: Document, name: str, line_item_index: int | None) -> None:
    """Refuse a field the document's schema does not have, a line-item column that does not exist, and a row
    beyond the next one (rows are added one at a time, so none is left empty)."""
    if line_item_index is None:
        known = schema_types(doc.doc_type or "invoice") or schema_types("invoice")
        if name not in known and not any(r.name == name and r.row < 0 for r in doc.fields):
            kind = doc.doc_type or "invoice"
            article = "an" if kind[0] in "aeiou" else "a"
            raise InvalidValueError(f"{article} {kind} has no field {name!r}: one of {', '.join(known)}")
        return
    if name not in LINE_ITEM_TYPES:
        raise InvalidValueError(f"line items have no column {name!r}: one of {', '.join(LINE_ITEM_TYPES)}")
    rows = s.execute(select(func.max(FieldRow.row)).where(FieldRow.document_id == doc.id)).scalar_one()
    after_last = 0 if rows is None or rows < 0 else rows + 1
    if not 0 <= line_item_index <= after_last:
        raise InvalidValueError(
            f"line item {line_item_index + 1} does not exist: line items count from 1 (as the window, idp show and "
            f"the export count them), and {after_last + 1} adds one"
        )


class ReviewService:
    def __init__(self, db: Database, policy: RoutingPolicy | PolicyStore, store: FileStore) -> None:
        self._db = db
        self._policies = PolicyStore.of(policy)
        self._store = store
        self.after_approval: list[Callable[[int], None]] = []
        """Called with the document id once an approval is committed (e.g. the vendor memory learns it).
        A failing listener is logged; it never undoes or fails the approval."""
        self.after_reopen: list[Callable[[int], None]] = []
        """Called with the document id once a reopening is committed (the vendor memory forgets the document)."""

    # -- corrections ---------------------------------------------------------------------------------------

    @property
    def _policy(self) -> RoutingPolicy:
        return self._policies.current

    def correct(
        self,
        doc_id: int,
        field_name: str,
        text: str | None,
        user: User | str,
        *,
        line_item_index: int | None = None,
        seconds_spent: float = 0.0,
    ) -> FieldView:
        """Set a field to what the clerk typed (the CLI's way in); builds and applies the Correction."""
        with self._db.read() as s:
            row = self._row(s, doc_id, field_name, line_item_index)
            old_value = row.value if row else None
            old_box = row.bbox_pt if row else None
            page = row.page if row else None
        return self.apply(
            Correction(
                document_id=doc_id,
                field_name=field_name,
                old_value=old_value,
                new_value=text,
                old_bbox_pt=BBox.from_list(old_box) if old_box else None,
                new_bbox_pt=BBox.from_list(old_box) if old_box else None,
                page=page,
                user=user if isinstance(user, str) else user.name,
                seconds_spent=seconds_spent,
                line_item_index=line_item_index,
            )
        )

    @staticmethod
    def _row(s: Session, doc_id: int, name: str, line_item_index: int | None) -> FieldRow | None:
        row_index = -1 if line_item_index is None else line_item_index
        return s.execute(
            select(FieldRow).where(FieldRow.document_id == doc_id, FieldRow.name == name, FieldRow.row == row_index)
        ).scalar_one_or_none()

    def apply(self, correction: Correction) -> FieldView:
        """Apply one correction (or confirmation) to a claimed document; returns the field as it is now.

        The new value is checked and normalised by the field's value type (``InvalidValueError`` with a message
        otherwise). ``correction.old_value`` must be the field's current value (``StaleValueError`` otherwise),
        which keeps undo (``apply(c.inverted())``) exact.
        """
        c = correction
        with self._db.write() as s:
            actor = acting_user(s, c.user, Permission.REVIEW)
            doc = holding(s, c.document_id, actor.name)
            line = c.line_item_index is not None
            _check_field(s, doc, c.field_name, c.line_item_index)
            value_type = field_type(doc.doc_type, c.field_name, line_item=line)
            if c.kind is CorrectionKind.CONFIRMATION:
                new_value = None  # the stored value is confirmed as it is (below), whatever rules it was stored under
            else:
                try:
                    new_value = normalise(value_type, c.new_value)
                except InvalidValueError:
                    if not c.undo:
                        raise
                    new_value = c.new_value  # taken back to a value stored before, under rules since made stricter
            if value_type == "amount" and c.kind is CorrectionKind.CORRECTION and not c.undo:
                self._same_currency(s, doc, c.field_name, c.new_value)
                if c.field_name != "unit_price":  # a unit price may be finer than the currency's smallest unit
                    self._minor_units(s, doc, c.field_name, new_value)
            row = self._row(s, doc.id, c.field_name, c.line_item_index)
            current = row.value if row else None
            if not _same(value_type, c.old_value, current):
                raise StaleValueError(f"{c.field_name} is now {current!r}, not {c.old_value!r}: reload the document")
            if c.kind is CorrectionKind.CONFIRMATION:
                if row is None or current is None:
                    raise InvalidValueError(f"{c.field_name} has no value to confirm")
                new_value = current
            if row is None:
                row = FieldRow(
                    document_id=doc.id,
                    name=c.field_name,
                    row=-1 if c.line_item_index is None else c.line_item_index,
                    predicted_value=None,
                    predicted_text="",
                    confidence=0.0,
                    corrected=False,
                )
                s.add(row)
            new_box = c.new_bbox_pt
            typed = c.kind is CorrectionKind.CORRECTION and not c.undo and not c.source_token_ids
            if (
                typed
                and new_box == c.old_bbox_pt
                and row.predicted_bbox_pt
                and _same(value_type, new_value, row.predicted_value)
            ):
                new_box = BBox.from_list(row.predicted_bbox_pt)  # back to what was read: where it was read
            elif typed and new_box == c.old_bbox_pt and not _same(value_type, new_value, current):
                # another value typed over the old one: it is not printed in the old one's box (a box kept would
                # teach vendor memory a wrong place; where the typed value is printed, memory looks up itself)
                new_box = None
            if c.kind is CorrectionKind.CORRECTION:
                row.value = new_value
                if new_box is not None or c.old_bbox_pt is not None:
                    row.bbox_pt = _bbox_list(new_box)
                    row.page = c.page if new_box is not None else row.page
                row.corrected = (row.value, row.bbox_pt) != (row.predicted_value, row.predicted_bbox_pt)
            # a person looked at it: confirmed or set, even back to what was read; an undo back to what was read
            # leaves it as it was before: checked only if the clerk had confirmed it
            row.checked = not (c.undo and not row.corrected) or _confirmed(
                s, doc, c.field_name, c.line_item_index, row.value
            )
            s.add(
                CorrectionRow(
                    document_id=doc.id,
                    field_name=c.field_name,
                    line_item_index=c.line_item_index,
                    kind=c.kind.value,
                    old_value=current,
                    new_value=new_value,
                    old_bbox_pt=_bbox_list(c.old_bbox_pt),
                    new_bbox_pt=_bbox_list(new_box),
                    page=c.page,
                    source_token_ids=list(c.source_token_ids),
                    user=actor.name,
                    seconds_spent=c.seconds_spent,
                    created_at=self._db.now(s),  # as the extraction it follows (server's clock on PostgreSQL)
                )
            )
            self._refresh_summary(doc)
            s.flush()
            audit.append(
                s,
                actor.name,
                c.kind.value,
                doc.id,
                field=c.field_name,
                row=c.line_item_index,
                old=current,
                new=new_value,
                new_bbox_pt=_bbox_list(c.new_bbox_pt),
            )
            doc = load_document(s, doc.id)
            review = evaluate(s, doc, self._policy)
            row = self._row(s, doc.id, c.field_name, c.line_item_index)
            assert row is not None
            state = review.states.get(c.field_name) if not line else None
            return field_view(row, doc.doc_type, self._policy, state)

    def _same_currency(self, s: Session, doc: Document, name: str, typed: str | None) -> None:
        """An amount typed with a currency other than the document's is refused: it would be stored as a number in
        the document's currency."""
        given = typed_currency(typed)
        currency = self._row(s, doc.id, self._policy.name("currency"), None)
        held = currency.value if currency is not None else None
        if given and held is not None and held not in given:
            shown = next(iter(given)) if len(given) == 1 else " or ".join(sorted(given))
            raise InvalidValueError(
                f"{typed!r} is in {shown} but the document's currency is {held}: correct the currency first, or give "
                f"the {name.replace('_', ' ')} without one"
            )

    def _minor_units(self, s: Session, doc: Document, name: str, value: str | None) -> None:
        """An amount with more decimals than the document's currency has (12.345 euros) is refused."""
        from babel.numbers import get_currency_precision

        currency = self._row(s, doc.id, self._policy.name("currency"), None)
        if value is None or currency is None or currency.value is None:
            return
        digits = get_currency_precision(currency.value)
        exponent = Decimal(value).normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > digits:
            raise InvalidValueError(
                f"{value} has {-exponent} decimals but {currency.value} amounts have {digits}: give the "
                f"{name.replace('_', ' ')} as printed"
            )

    def _refresh_summary(self, doc: Document) -> None:
        """Keep the document's searchable columns (vendor, invoice number, total) in step with its fields."""
        fields, _ = current_values(doc, self._policy)
        summarise(doc, fields, self._policy)
        doc.updated_at = utcnow()

    def edit_line_items(
        self, doc_id: int, user: User | str, op: str, row: int, other: int | None = None
    ) -> DocumentView:
        """Add (at ``row``), delete, split (a new empty row after ``row``) or merge (``other`` into ``row``)
        line-item rows of a claimed document; returns the document as it is now."""
        return self.edit_line_items_kept(doc_id, user, op, row, other)[0]

    def edit_line_items_kept(
        self, doc_id: int, user: User | str, op: str, row: int, other: int | None = None
    ) -> tuple[DocumentView, line_items.LineItemRows, line_items.LineItemRows]:
        """:meth:`edit_line_items`, with the rows as stored right before and right after the edit (in its
        transaction): what :meth:`restore_line_items` takes it back with."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REVIEW)
            doc = holding(s, doc_id, actor.name)
            before = line_items.rows_of(s, doc.id)
            line_items.edit(s, doc.id, actor.name, op, row, other)
            after = line_items.rows_of(s, doc.id)
            s.expire_all()
            return build_view(s, load_document(s, doc_id), self._store, self._policy), before, after

    def line_item_rows(self, doc_id: int) -> line_items.LineItemRows:
        """The document's line-item rows as stored now."""
        with self._db.read() as s:
            return line_items.rows_of(s, doc_id)

    def restore_line_items(
        self, doc_id: int, user: User | str, before: line_items.LineItemRows, after: line_items.LineItemRows
    ) -> DocumentView:
        """Take a row edit back: the rows as ``before`` held them, while they still show what ``after`` (taken
        right after the edit, see :meth:`edit_line_items_kept`) showed (``StaleValueError`` otherwise); returns the
        document as it is now."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REVIEW)
            doc = holding(s, doc_id, actor.name)
            line_items.restore(s, doc.id, actor.name, before, after)
            s.expire_all()
            return build_view(s, load_document(s, doc_id), self._store, self._policy)

    # -- decisions -----------------------------------------------------------------------------------------

    def approve(self, doc_id: int, user: User | str, override_reason: str | None = None) -> None:
        """Approve a claimed document. Refused while a blocking rule fails, unless a supervisor overrides
        with a reason. Unchanged fields are stored as confirmations; the vendor register learns the vendor."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REVIEW)
            doc = holding(s, doc_id, actor.name)
            doc = load_document(s, doc.id)
            review = evaluate(s, doc, self._policy)
            blocking = [r for r in review.failed_rules if r.blocks_approval]
            fields, _ = current_values(doc, self._policy)
            empty = [n for n, (_, required) in schema_types(doc.doc_type or "invoice").items()
                     if required and not text_of(fields, n)]  # fmt: skip
            override = (override_reason or "").strip() or None
            if override is not None and not actor.can(Permission.OVERRIDE):
                raise PermissionDeniedError(f"{actor.name} is a {actor.role}: only a supervisor may override rules")
            if (blocking or empty) and override is None:
                why = [r.message for r in blocking] + [f"required field {n} is empty" for n in empty]
                raise RuleFailedError(f"document {doc_id} cannot be approved while a rule fails: {'; '.join(why)}")
            now = self._db.now(s)
            corrected = set(
                s.execute(
                    select(CorrectionRow.field_name, CorrectionRow.line_item_index).where(
                        CorrectionRow.document_id == doc.id,
                        *([CorrectionRow.created_at >= doc.extracted_at] if doc.extracted_at else []),
                    )
                )
            )
            for row in doc.fields:
                key = (row.name, None if row.row < 0 else row.row)
                if row.value is not None:
                    row.checked = True  # approved as it stands: every value is confirmed
                if row.value is not None and key not in corrected and not row.corrected:
                    s.add(
                        CorrectionRow(
                            document_id=doc.id,
                            field_name=row.name,
                            line_item_index=key[1],
                            kind=CorrectionKind.CONFIRMATION.value,
                            old_value=row.value,
                            new_value=row.value,
                            old_bbox_pt=row.bbox_pt,
                            new_bbox_pt=row.bbox_pt,
                            page=row.page,
                            source_token_ids=[],
                            user=actor.name,
                            seconds_spent=0.0,
                            created_at=now,
                        )
                    )
            n = self._policy.name
            vendor = vendors.register(
                s,
                text_of(fields, n("vendor_name")),
                text_of(fields, n("vendor_vat_id")),
                text_of(fields, n("vendor_iban")),
                text_of(fields, n("vendor_address")),
            )
            doc.vendor_id = vendor.id if vendor else None
            doc.decided_at = utcnow()
            doc.decided_by = actor.name
            # a reason given where nothing failed overrode nothing: it is not kept as an override
            doc.override_reason = override if (blocking or empty) else None
            if (blocking or empty) and override is not None:
                rules = [r.code for r in blocking] + (["missing_field"] if empty else [])
                messages = [r.message for r in blocking] + ([f"required empty: {', '.join(empty)}"] if empty else [])
                audit.append(
                    s, actor.name, "override", doc.id, reason=override, rules=rules, messages=messages, empty=empty
                )
            pause_point("review.approve")
            lifecycle.transition(s, doc, DocumentStatus.APPROVED, actor.name)
        for listener in self.after_approval:
            try:
                listener(doc_id)
            except Exception:
                log.exception("after approving document %s, %r failed", doc_id, listener)

    def reopen(self, doc_id: int, user: User | str, reason: str) -> None:
        """Send an approved (or auto-approved) document back to the review queue, with a reason (supervisors):
        a value it lacks for export, or a mistake seen after approval. The reason is one of the document's routing
        reasons, so the clerk who opens it reads it. An exported document reopens too (a value found wrong in the
        books): the reason names the batch it went out in, and its next export says it replaces that one.
        Rejected documents stay as they are."""
        if not reason or not reason.strip():
            raise InvalidValueError("reopening needs a reason (--reason)")
        with self._db.write() as s:
            actor = acting_user(s, user)
            if not actor.can(Permission.OVERRIDE):
                raise PermissionDeniedError(f"{actor.name} is a {actor.role} and may not reopen documents")
            doc = s.get(Document, doc_id, with_for_update=True)
            if doc is None:
                raise NotFoundError(f"no document {doc_id}")
            if doc.status not in REOPENABLE:
                raise IllegalTransitionError(
                    f"document {doc_id} is {doc.status}: only approved and exported documents reopen"
                )
            exported = last_export(s, doc_id) if doc.status == DocumentStatus.EXPORTED.value else None
            lifecycle.transition(s, doc, DocumentStatus.NEEDS_REVIEW, actor.name, reason=reason.strip())
            # the reasons are the rules failing now (the vendor may be known by now), and the supervisor's
            failing = evaluate(s, load_document(s, doc_id), self._policy).failed_rules
            for old in list(doc.reasons):
                s.delete(old)
            doc.reasons.clear()
            for r in failing:
                doc.reasons.append(ReasonRow(code=r.code, message=r.message, fields=list(r.fields), risk=r.risk))
            after = f" after its export in batch {exported.get('batch', '?')}" if exported is not None else ""
            doc.reasons.append(
                lifecycle.reason_of_a_person(REOPENED, f"reopened by {actor.name}{after}: {reason.strip()}")
            )
            doc.risk = sum(r.risk for r in doc.reasons)
            doc.priority = -doc.risk
            doc.decided_at = None
            doc.decided_by = None
            doc.override_reason = None  # the next approval overrides anew, or not at all
        for listener in self.after_reopen:
            try:
                listener(doc_id)
            except Exception:
                log.exception("after reopening document %s, %r failed", doc_id, listener)

    def reject(self, doc_id: int, user: User | str, reason: str) -> None:
        """Reject a claimed document; or dismiss a failed one (a file that cannot be read: corrupt, encrypted, not
        a document), which needs no claim but the right to re-extract (supervisors), and leaves the failed list."""
        if not reason or not reason.strip():
            raise InvalidValueError("a rejection needs a reason (--reason)")
        with self._db.write() as s:
            failed = s.get(Document, doc_id, with_for_update=True)
            if failed is not None and failed.status == DocumentStatus.FAILED.value:
                actor, doc = acting_user(s, user, Permission.REEXTRACT), failed
            else:
                actor = acting_user(s, user, Permission.REVIEW)
                doc = holding(s, doc_id, actor.name)
            doc.reject_reason = reason.strip()
            doc.decided_at = utcnow()
            doc.decided_by = actor.name
            lifecycle.transition(s, doc, DocumentStatus.REJECTED, actor.name, reason=reason.strip())
