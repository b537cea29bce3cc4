"""The page view against bare models: boxes in scene points, colours from review states, word capture."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from pytestqt.qtbot import QtBot

from extractors.document import TokenSource
from extractors.geometry import BBox
from idp_app.domain import ReviewState
from tests.ui.factories import PAGE_H, PAGE_W, make_doc, make_page, white_renderer, with_state
from ui.page_view import PageView, Z, token_tooltip
from ui.palette import STATE_COLOURS
from ui.rendering import PageImageSource
from ui.tasks import TaskRunner


def _view(qtbot: QtBot, images: PageImageSource | None = None) -> PageView:
    view = PageView(images)
    qtbot.addWidget(view)
    view.resize(700, 900)
    view.show()
    return view


def test_field_boxes_are_keyed_by_name_at_their_scene_coords(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.set_document(make_doc())
    assert set(view.field_items) == {"invoice_number", "invoice_date", "total_amount", "vendor_name"}
    rect = view.field_items["total_amount"].sceneBoundingRect()
    # the pen is cosmetic: the item's rect is the box itself, in points
    r = view.field_items["total_amount"].rect()
    assert (r.left(), r.top(), r.right(), r.bottom()) == (430, 700, 500, 716)
    assert rect.contains(QPointF(465, 708))
    assert view.field_items["total_amount"].zValue() == Z.FIELDS


def test_box_colour_follows_review_state(qtbot: QtBot) -> None:
    view = _view(qtbot)
    doc = make_doc()
    view.set_document(doc)
    assert view.field_items["invoice_number"].pen().color() == QColor(STATE_COLOURS[ReviewState.OK])
    assert view.field_items["invoice_date"].pen().color() == QColor(STATE_COLOURS[ReviewState.CHECK])
    assert view.field_items["total_amount"].pen().color() == QColor(STATE_COLOURS[ReviewState.ERROR])
    missing = view.field_items["vendor_name"]
    assert missing.pen().style() == Qt.PenStyle.DashLine
    assert missing.rect().left() == 50 and missing.rect().right() == 200
    view.update_document(with_state(doc, "invoice_date", ReviewState.OK))
    assert view.field_items["invoice_date"].pen().color() == QColor(STATE_COLOURS[ReviewState.OK])


def test_click_on_a_word_maps_to_its_token(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.set_document(make_doc())
    view.set_zoom(1.5)
    view.centerOn(200, 60)
    target = view.mapFromScene(QPointF(175, 48))
    with qtbot.waitSignal(view.tokensClicked) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=target)
    tokens, additive = blocker.args
    assert [t.text for t in tokens] == ["INV-1001"]
    assert additive is False
    with qtbot.waitSignal(view.tokensClicked) as blocker:
        qtbot.mouseClick(
            view.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            pos=view.mapFromScene(QPointF(100, 48)),
        )
    assert [t.text for t in blocker.args[0]] == ["Invoice"]
    assert blocker.args[1] is True


def test_rubber_band_selects_the_words_inside(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.set_document(make_doc())
    view.set_zoom(1.0)
    view.centerOn(300, 400)
    start = view.mapFromScene(QPointF(45, 35))
    end = view.mapFromScene(QPointF(112, 130))
    with qtbot.waitSignal(view.regionSelected) as blocker:
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(view.viewport(), QPoint(start.x() + 20, start.y() + 20))
        qtbot.mouseMove(view.viewport(), end)
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    page, box, tokens = blocker.args
    assert page == 0
    assert isinstance(box, BBox)
    assert abs(box.x0 - 45) < 2 and abs(box.y1 - 130) < 2
    assert sorted(t.text for t in tokens) == ["ACME", "Date:", "Invoice"]


def test_hovering_a_word_shows_text_and_confidence(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.set_document(make_doc(scanned=False))
    # the scene shows the tooltip of the topmost item that has one: the word, even inside a field's box
    tips = [i.toolTip() for i in view.items_at_scene(QPointF(120, 77)) if i.toolTip()]
    assert tips and tips[0].startswith("2024-03-15") and "97%" in tips[0]
    ocr_word = make_page(source=TokenSource.OCR).tokens[4]
    assert token_tooltip(ocr_word) == "2024-03-15\nOCR confidence 81%"


def test_selected_field_is_emphasised(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.set_document(make_doc())
    view.set_zoom(3.0)
    view.select_field("total_amount")
    item = view.field_items["total_amount"]
    assert item.pen().widthF() > view.field_items["invoice_number"].pen().widthF()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.intersects(item.sceneBoundingRect())


def test_page_image_is_scaled_into_points_and_cached(qtbot: QtBot, images: PageImageSource) -> None:
    view = _view(qtbot, images)
    doc = make_doc()
    view.set_document(doc)
    qtbot.waitUntil(lambda: view.page_image_dpi > 0, timeout=5000)
    dpi = view.page_image_dpi
    assert (doc.path, 0, dpi) in images.cache
    page_items = [i for i in view.scene().items() if i.zValue() == Z.PAGE]
    assert page_items and abs(page_items[0].sceneBoundingRect().width() - 595) < 1.0
    # opening it again paints at once, from the cache
    view.set_document(None)
    view.set_document(doc)
    assert view.page_image_dpi == dpi


def test_missing_file_shows_a_message_in_place_of_the_page(qtbot: QtBot, images: PageImageSource) -> None:
    view = _view(qtbot, images)
    view.set_document(make_doc(load_error="The file /x/doc.pdf is missing."))
    assert "missing" in view.message()
    assert view.field_items == {}


def test_screenshot_shows_state_colours_at_box_positions(qtbot: QtBot, images: PageImageSource) -> None:
    view = _view(qtbot, images)
    view.resize(640, 900)
    doc = make_doc()
    view.set_document(doc)
    view.set_zoom(1.0)
    qtbot.waitUntil(lambda: view.page_image_dpi > 0, timeout=5000)
    view.centerOn(297, 421)
    image = view.grab().toImage()

    def pixel(x: float, y: float) -> QColor:
        p = view.mapFromScene(QPointF(x, y))
        return image.pixelColor(p)

    def tinted_towards(c: QColor, state: ReviewState) -> bool:
        want = QColor(STATE_COLOURS[state])
        white = QColor("white")
        return (
            sum(abs(a - b) for a, b in zip(c.getRgb()[:3], want.getRgb()[:3], strict=True))
            < sum(abs(a - b) for a, b in zip(white.getRgb()[:3], want.getRgb()[:3], strict=True)) * 0.9
        )

    assert pixel(300, 400) == QColor("white")  # empty paper
    assert tinted_towards(pixel(175, 48), ReviewState.OK)
    assert tinted_towards(pixel(125, 77), ReviewState.CHECK)
    assert tinted_towards(pixel(465, 708), ReviewState.ERROR)
    edge = pixel(140, 700)  # the OK box's outline is green, the error box's red
    assert edge == QColor("white")
    assert tinted_towards(pixel(430, 708), ReviewState.ERROR)


def test_a_page_read_turned_is_shown_upright_under_its_boxes(qtbot: QtBot, runner: TaskRunner) -> None:
    """A scan fed in sideways is rendered as in the file, then turned as its page says, so boxes sit on words."""

    def file_renderer(path: str, page_index: int, dpi: float) -> QImage:
        image = white_renderer(path, page_index, dpi)  # portrait, as in the file
        painter = QPainter(image)
        painter.fillRect(0, 0, 40, 20, QColor("black"))  # the file's top-left corner
        painter.end()
        return image

    images = PageImageSource(runner, file_renderer)
    view = _view(qtbot, images)
    doc = make_doc()
    sideways = replace(doc.pages[0], width_pt=PAGE_H, height_pt=PAGE_W, upright_turn=90)
    view.set_document(replace(doc, pages=(sideways,), page_sizes_pt=((PAGE_H, PAGE_W),)))
    qtbot.waitUntil(lambda: view.page_image_dpi > 0, timeout=5000)
    item = next(i for i in view.scene().items() if i.zValue() == Z.PAGE)
    rect = item.sceneBoundingRect()
    assert abs(rect.width() - PAGE_H) < 1.0 and abs(rect.height() - PAGE_W) < 1.0
    shown = item.pixmap().toImage()  # type: ignore[attr-defined]
    # turned clockwise, the file's top-left corner is the page's top-right
    assert shown.pixelColor(shown.width() - 3, 3) == QColor("black")
    assert shown.pixelColor(3, 3) == QColor("white")
