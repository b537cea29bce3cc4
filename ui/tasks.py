"""The one way the window runs work off the GUI thread.

:class:`TaskRunner` runs a callable on a :class:`QThreadPool` and calls ``on_done(result)`` or
``on_error(exc)`` back on the GUI thread. Workers never touch a widget: they return plain values (a
``QImage`` is fine, a ``QPixmap`` is not), and the callbacks, which run on the GUI thread, update the window.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot


class _Relay(QObject):
    """Lives on the GUI thread; its signals are emitted by workers and delivered queued."""

    finished = Signal(int, bool, object)
    progressed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, ident: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._ident = ident
        self._fn = fn
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # every failure is handed back to the GUI thread, never lost
            self._relay.finished.emit(self._ident, False, exc)
        else:
            self._relay.finished.emit(self._ident, True, result)


@dataclass(slots=True)
class _Pending:
    on_done: Callable[[Any], None] | None
    on_error: Callable[[Exception], None] | None
    on_progress: Callable[..., None] | None = None
    long: bool = False
    """Long work (retraining) runs on its own thread and does not count as busy: corrections never wait for it."""


class TaskRunner(QObject):
    """Run callables off the GUI thread; deliver their results on it.

    ``error`` is emitted for a failure that has no ``on_error`` callback, so that the window can show it.
    """

    error = Signal(str)
    idle = Signal()

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._serial = QThreadPool(self)
        self._serial.setMaxThreadCount(1)
        self._long = QThreadPool(self)
        self._long.setMaxThreadCount(1)
        self._relay = _Relay()
        self._relay.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._relay.progressed.connect(self._report, Qt.ConnectionType.QueuedConnection)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        *,
        serial: bool = False,
    ) -> int:
        """Run ``fn()`` on a worker thread. Returns a ticket number.

        ``serial`` work (saving corrections, approving) runs one at a time in the order submitted.
        """
        ident = next(self._ids)
        self._pending[ident] = _Pending(on_done, on_error)
        (self._serial if serial else self._pool).start(_Job(ident, fn, self._relay))
        return ident

    def submit_reporting(
        self,
        fn: Callable[[Callable[..., None]], Any],
        on_progress: Callable[..., None],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> int:
        """Like :meth:`submit` for long work that reports how far it is: ``fn(report)`` runs on a worker and
        each ``report(*args)`` it makes reaches ``on_progress(*args)`` on the GUI thread, before ``on_done``."""
        ident = next(self._ids)
        self._pending[ident] = _Pending(on_done, on_error, on_progress, long=True)
        relay = self._relay

        def report(*args: Any) -> None:
            relay.progressed.emit(ident, args)

        self._long.start(_Job(ident, lambda: fn(report), relay))
        return ident

    @property
    def busy(self) -> bool:
        """Whether short work (loading, saving) is still out; long work does not count."""
        return any(not p.long for p in self._pending.values())

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every worker has finished (tests, benchmarks, closing the window).

        Results are still delivered through the event loop afterwards.
        """
        pools = (self._serial, self._pool, self._long)
        return all([bool(pool.waitForDone(msecs)) for pool in pools])

    @Slot(int, object)
    def _report(self, ident: int, args: object) -> None:
        pending = self._pending.get(ident)
        if pending is not None and pending.on_progress is not None:
            assert isinstance(args, tuple)
            pending.on_progress(*args)

    @Slot(int, bool, object)
    def _deliver(self, ident: int, ok: bool, payload: object) -> None:
        pending = self._pending.pop(ident, None)
        if pending is not None:
            if ok:
                if pending.on_done is not None:
                    pending.on_done(payload)
            else:
                assert isinstance(payload, Exception)
                if pending.on_error is not None:
                    pending.on_error(payload)
                else:
                    self.error.emit(str(payload) or type(payload).__name__)
        if pending is not None and not pending.long and not self.busy:
            self.idle.emit()
