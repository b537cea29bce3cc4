"""``python -m ui`` / ``idp-desk``: the clerk's review station.

Finds the data directory from ``--home`` or the environment (:meth:`AppConfig.from_env`), asks the user to log
in, and opens the review queue. ``--screenshot FILE`` saves a picture of the window once the first document is
shown and quits (for documentation; log-in then comes from ``IDP_DESK_USER`` / ``IDP_DESK_PASSWORD``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

APP_ORG = "IDP Desk"
APP_NAME = "idp-desk"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="idp-desk", description="IDP Desk review station")
    parser.add_argument("--home", type=Path, help="data directory (default: IDP_HOME or the user data directory)")
    parser.add_argument("--screenshot", type=Path, help="save the window as PNG once a document is shown, then quit")
    parser.add_argument("--size", default="1600x1000", help="window size for --screenshot, WIDTHxHEIGHT")
    parser.add_argument("--open", type=int, dest="open_id", help="open this document first (by id)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication, QDialog
    from sqlalchemy.exc import SQLAlchemyError

    from idp_app.config import AppConfig
    from idp_app.errors import AppError
    from idp_app.services import Workspace
    from ui.login import LoginDialog
    from ui.main_window import MainWindow
    from ui.model import UserSession
    from ui.services_backend import ServicesBackend
    from ui.tasks import TaskRunner

    env = dict(os.environ)
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM") or sys.platform != "linux"):
        print("idp-desk: no display to open a window on (DISPLAY is not set)", file=sys.stderr)
        return 2
    if args.home is not None:
        env["IDP_HOME"] = str(args.home)
    config = AppConfig.from_env(env)
    try:
        workspace = Workspace.open(config)
    except AppError as exc:
        print(f"idp-desk: {exc}", file=sys.stderr)
        return exc.exit_code
    except (OSError, SQLAlchemyError) as exc:
        print(f"idp-desk: cannot open the data in {config.home}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    QCoreApplication.setOrganizationName(APP_ORG)
    QCoreApplication.setApplicationName(APP_NAME)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    backend = ServicesBackend(workspace)
    runner = TaskRunner()
    runner.submit(lambda: backend.check_value("date", "2024-01-31"), None, lambda _e: None)  # load the date parser

    user: UserSession | None = None
    if args.screenshot is not None:
        try:
            user = backend.authenticate(env.get("IDP_DESK_USER", ""), env.get("IDP_DESK_PASSWORD", ""))
        except AppError as exc:
            print(f"idp-desk: {exc}", file=sys.stderr)
            return exc.exit_code
    else:
        dialog = LoginDialog(backend.authenticate, runner)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.session is None:
            workspace.close()
            return 0
        user = dialog.session

    window = MainWindow(backend, user, runner=runner)
    if args.screenshot is not None:
        window.remember = False
        width, _, height = args.size.partition("x")
        window.resize(int(width), int(height))
        _arrange_screenshot(window, args.screenshot, app.quit)
    window.show()
    if args.open_id is not None:
        window.review.open(args.open_id)
    else:
        window.review.open_next()
    if args.screenshot is not None:
        QTimer.singleShot(60_000, app.quit)
    code = app.exec()
    runner.wait()
    _prune(config)
    workspace.close()
    return int(code)


def _arrange_screenshot(window: object, path: Path, quit_app: Callable[[], None]) -> None:
    """Grab the window once a document is open and its page painted, then quit."""
    from PySide6.QtCore import QTimer

    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    done = {"armed": False}

    def shoot() -> None:
        if window.page_view.page_image_dpi == 0 and window.document is not None and not window.document.load_error:
            QTimer.singleShot(200, shoot)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(path), "PNG")
        print(f"saved {path}")
        QTimer.singleShot(0, quit_app)

    def opened(_doc: object) -> None:
        if not done["armed"]:
            done["armed"] = True
            QTimer.singleShot(1200, shoot)

    window.review.documentOpened.connect(opened)


def _prune(config: object) -> None:
    """Keep the cache to its limits on the way out, when no page is being shown: page images and the leftovers of
    interrupted writes (``idp cache prune`` also removes what other versions wrote)."""
    import logging

    from idp_app.config import AppConfig
    from idp_app.services.cache import prune_cache

    assert isinstance(config, AppConfig)
    try:
        prune_cache(config, versions=False)  # what is stale is judged by `idp cache prune`, see its module
    except OSError as exc:  # the next exit tries again
        logging.getLogger(__name__).warning("cache not pruned: %s", exc)


def run(argv: Sequence[str] | None = None) -> int:
    """:func:`main`, and Ctrl+C in the terminal that started it (at the login dialog, say) ends it quietly with
    the shell's status for an interrupt, as the command line does, not with a traceback."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print("idp-desk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(run())
