"""The colour palette of the Colour hint tool: the colorizer's most likely colours at the pixel
just clicked, as swatches beside the hint colour button (ideepcolor's palette).

A click of the hint tool (a hint placed, picked or moved: CanvasView.hintClicked) asks the
current colorizer (`Colorizer.suggest_colours`) for that pixel, given the other hints, on the
inference thread (EngineJobs.suggest: a learned engine runs its network, 0.1 to 0.3 s; the
window never waits for it). When the answer comes and the hint is still selected where it
was, up to six swatches show; a click on one recolours the hint, one undo step, as the colour
button does. An engine without a colour distribution (the classical ones) answers [], and a
short note says so instead.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from inpaint_desktop.canvas.view import CanvasView
from inpaint_desktop.document.hints import rgb_to_hex
from inpaint_desktop.widgets.engine_jobs import EngineJobs

MAX_SWATCHES = 6
WAITING = "suggestions..."
NO_SUGGESTIONS = "no suggestions from this engine"


def _swatch_icon(rgb: tuple[int, int, int], side: int = 16) -> QIcon:
    pm = QPixmap(side, side)
    pm.fill(QColor(*rgb))
    painter = QPainter(pm)  # a gray frame: white and black swatches show on any bar
    painter.setPen(QColor(128, 128, 128))
    painter.drawRect(0, 0, side - 1, side - 1)
    painter.end()
    return QIcon(pm)


class HintPalette(QWidget):
    def __init__(self, canvas: CanvasView, jobs: EngineJobs, parent=None):
        super().__init__(parent)
        self.canvas, self.jobs = canvas, jobs
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(2)
        self.note = QLabel()
        self.note.setEnabled(False)  # drawn gray: a hint, not a control
        layout.addWidget(self.note)
        self.swatches: list[QToolButton] = []
        for i in range(MAX_SWATCHES):
            button = QToolButton()
            button.setAutoRaise(True)
            button.setIconSize(QSize(16, 16))
            button.clicked.connect(lambda _=False, i=i: self.pick(i))
            button.hide()
            layout.addWidget(button)
            self.swatches.append(button)
        self.colours: list[tuple[int, int, int]] = []
        self._index: int | None = None  # the hint the palette is for
        self._pos: tuple[float, float] | None = None  # where it was when asked
        self._job = None
        self.setToolTip("The colorizer's most likely colours at the hint just clicked: a "
                        "click on one gives the hint that colour")
        canvas.hintClicked.connect(self.request)
        canvas.hintSelected.connect(self._on_selected)
        jobs.suggested.connect(self._on_suggested)
        jobs.ended.connect(self._on_ended)

    # --- asking ----------------------------------------------------------------------------
    def request(self, index: int) -> None:
        """Ask the colorizer about hint `index`'s pixel (the tool just clicked it)."""
        doc = self.canvas.document()
        if doc is None or not 0 <= index < len(doc.hints):
            self.clear()
            return
        self._index, self._pos = index, (doc.hints[index].x, doc.hints[index].y)
        self._job = self.jobs.suggest(index, MAX_SWATCHES)
        self._show([], WAITING if self._job is not None else "")

    def refresh(self, *_) -> None:
        """Ask again for the same hint (another colorizer was chosen)."""
        if self._index is not None and self._still_valid():
            self.request(self._index)

    def clear(self) -> None:
        self._index = self._pos = self._job = None
        self._show([], "")

    def _still_valid(self) -> bool:
        doc = self.canvas.document()
        i = self._index
        return (doc is not None and i is not None and i < len(doc.hints)
                and self.canvas.selected_hint() == i
                and (doc.hints[i].x, doc.hints[i].y) == self._pos)

    # --- answers ---------------------------------------------------------------------------
    def _on_suggested(self, job, colours) -> None:
        if job is not self._job:
            return  # an older request's answer
        self._job = None
        if not self._still_valid():
            self.clear()
            return
        self._show(list(colours)[:MAX_SWATCHES], "" if colours else NO_SUGGESTIONS)

    def _on_ended(self, job, ok: bool) -> None:
        if job is self._job and not ok:  # failed or cancelled: nothing to show
            self._job = None
            self._show([], "")

    def _on_selected(self, index) -> None:
        if index != self._index:
            self.clear()  # another hint, or none: the palette was about the old one

    def _show(self, colours: list, note: str) -> None:
        self.colours = [tuple(int(c) for c in rgb) for rgb in colours]
        for button, rgb in zip(self.swatches, self.colours + [None] * MAX_SWATCHES,
                               strict=False):
            if rgb is None:
                button.hide()
                continue
            button.setIcon(_swatch_icon(rgb))
            button.setToolTip(f"{rgb_to_hex(rgb)}: give the hint this colour")
            button.show()
        self.note.setText("Suggested:" if self.colours else note)
        self.note.setToolTip("" if self.colours else self.toolTip())

    # --- choosing --------------------------------------------------------------------------
    def pick(self, i: int) -> bool:
        """Recolour the hint with swatch `i` (one undo step); False if it is gone."""
        if not 0 <= i < len(self.colours) or not self._still_valid():
            return False
        self.canvas.set_hint_color(QColor(*self.colours[i]))  # recolours the selected hint
        return True

    def sizeHint(self) -> QSize:  # room for the note or six swatches, so the bar stays put
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.fontMetrics().horizontalAdvance(NO_SUGGESTIONS)
                         + 12), hint.height())

