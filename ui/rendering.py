"""Page images: rendered off the GUI thread through the task runner and kept in a small LRU cache.

Workers produce ``QImage`` values (safe off the GUI thread); the GUI thread turns them into pixmaps.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage, QTransform

from ui.tasks import TaskRunner

Renderer = Callable[[str, int, float], QImage]
"""Render page ``index`` of the document at ``path`` at ``dpi``; runs on a worker thread."""

DPI_STEPS = (36, 72, 110, 150, 200, 300)


def dpi_for_scale(device_px_per_pt: float) -> int:
    """The smallest rendering resolution that is at least as sharp as the view needs (capped at 300 dpi)."""
    wanted = 72.0 * device_px_per_pt
    for step in DPI_STEPS:
        if step >= wanted * 0.95:
            return step
    return DPI_STEPS[-1]


def to_qimage(image: Any) -> QImage:
    """A QImage from what a renderer returns: a QImage, a PIL image or a numpy array (RGB or grey)."""
    if isinstance(image, QImage):
        return image
    if hasattr(image, "convert") and hasattr(image, "tobytes"):  # PIL
        rgb = image.convert("RGB")
        data = rgb.tobytes("raw", "RGB")
        q = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888)
        return q.copy()
    import numpy as np

    arr = np.ascontiguousarray(image)
    if arr.ndim == 2:
        q = QImage(arr.data, arr.shape[1], arr.shape[0], arr.strides[0], QImage.Format.Format_Grayscale8)
        return q.copy()
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        fmt = QImage.Format.Format_RGB888 if arr.shape[2] == 3 else QImage.Format.Format_RGBA8888
        q = QImage(arr.data, arr.shape[1], arr.shape[0], arr.strides[0], fmt)
        return q.copy()
    raise TypeError(f"cannot show a page image of type {type(image).__name__}")


def turned(image: QImage, turn: int) -> QImage:
    """``image`` turned clockwise by ``turn`` degrees (a page's ``upright_turn``)."""
    if not turn % 360:
        return image
    return image.transformed(QTransform().rotate(turn % 360))


def default_renderer(path: str, page_index: int, dpi: float) -> QImage:
    """Render with the readers' ``render_page``."""
    from extractors.readers import render_page

    return to_qimage(render_page(Path(path), page_index, dpi))


CacheKey = tuple[str, int, int]


class PageImageCache:
    """Least-recently-used page images, keyed by (path, page index, dpi). GUI thread only."""

    def __init__(self, max_items: int = 32) -> None:
        self._items: OrderedDict[CacheKey, QImage] = OrderedDict()
        self._max = max_items

    def get(self, key: CacheKey) -> QImage | None:
        image = self._items.get(key)
        if image is not None:
            self._items.move_to_end(key)
        return image

    def put(self, key: CacheKey, image: QImage) -> None:
        self._items[key] = image
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def best_available(self, path: str, page_index: int) -> tuple[int, QImage] | None:
        """The sharpest image already cached for a page, to show while a sharper one renders."""
        found = [(k[2], img) for k, img in self._items.items() if k[0] == path and k[1] == page_index]
        return max(found, key=lambda t: t[0]) if found else None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


class PageImageSource:
    """Fetch page images: from the cache at once, or rendered in the background and then cached."""

    def __init__(self, runner: TaskRunner, renderer: Renderer | None = None, cache: PageImageCache | None = None):
        self.runner = runner
        self.renderer: Renderer = renderer or default_renderer
        self.cache = cache or PageImageCache()
        self._in_flight: dict[CacheKey, list[Callable[[QImage], None]]] = {}

    def request(
        self,
        path: str,
        page_index: int,
        dpi: int,
        on_ready: Callable[[QImage], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> QImage | None:
        """Return the cached image now, or ``None`` and call ``on_ready`` once it is rendered."""
        key = (path, page_index, dpi)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        waiting = self._in_flight.get(key)
        if waiting is not None:
            waiting.append(on_ready)
            return None
        self._in_flight[key] = [on_ready]
        renderer = self.renderer

        def done(image: object) -> None:
            assert isinstance(image, QImage)
            self.cache.put(key, image)
            for callback in self._in_flight.pop(key, []):
                callback(image)

        def failed(exc: Exception) -> None:
            self._in_flight.pop(key, None)
            if on_error is not None:
                on_error(exc)

        self.runner.submit(lambda: renderer(path, page_index, dpi), done, failed)
        return None

    def prefetch(self, path: str, page_index: int, dpi: int) -> None:
        self.request(path, page_index, dpi, lambda _img: None, lambda _exc: None)
