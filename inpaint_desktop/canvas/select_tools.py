"""Selection tools that look at the picture: Object selection (a box and clicks -> the object's
mask, `models.select`) and the Magic wand (similar colour).

Object selection:

- drag a box around an object: the object's mask goes into the mask layer, combined with the
  mask as the other selection tools do (the modifiers held at the press: none replaces,
  Shift adds, Ctrl or Alt subtracts, Shift+Ctrl or Shift+Alt intersects);
- then clicks refine that object: Shift+click adds what is under the click, Ctrl+click (or
  Alt+click) removes it; the object is selected again with all the clicks so far and put into
  the mask as the box was (so a refined object that was subtracted is still subtracted);
- a click without a box before it (or after other edits, or a plain click) selects the object
  under the click, in the mode of its modifiers.

Each gesture (a box, a click) is ONE undo step. Undoing a refinement and clicking again goes
on from the state that is back (the tool follows the undo stack), and any other edit ends the
refinement. The selection runs in the GUI thread under a busy cursor: a box on a 24 MP photo
takes about 0.4 s (bench/select_quality.py), too short for a job with progress and cancel.

Magic wand: a click selects the pixels of about the clicked colour (Tolerance, Contiguous in
the tool options), with the same modifiers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication

from inpaint_desktop.document.masking import REPLACE, combine, replace

from .tools import LEFT, SHIFT, SUBTRACT_KEYS, Pos, Tool, mode_for, outline_pens

DRAG_THRESHOLD = 4.0  # screen pixels: a press that moves less than this is a click


class _BusyCursor:
    def __enter__(self):
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)

    def __exit__(self, *exc):
        QApplication.restoreOverrideCursor()


class PictureTool(Tool):
    """Base of the tools that select from the picture: applies a selection to the mask as
    one undo step."""

    def _apply(self, selection: np.ndarray, mode: str, label: str) -> bool:
        doc = self._doc()
        new = combine(doc.mask, selection, mode)
        return self.view.apply_edit(replace(doc, new, label))

    def _pixel(self, pos: Pos) -> tuple[int, int] | None:
        doc = self._doc()
        x, y = math.floor(pos[0]), math.floor(pos[1])
        if doc is None or not (0 <= x < doc.width and 0 <= y < doc.height):
            return None
        return x, y

    def _top_command(self):
        stack = self.view.undo_stack()
        if stack is None or stack.index() == 0:
            return None
        return stack.command(stack.index() - 1)


@dataclass
class _State:
    positive: list = field(default_factory=list)
    negative: list = field(default_factory=list)
    selection: np.ndarray | None = None  # the object's mask after these clicks
    top: object = None  # the undo step on top after this state's edit
    revision: int = 0  # the document's revision then (without an undo stack)


@dataclass
class _Session:
    """An object being refined: its box (or None), the mode, the mask before it, states."""

    doc: object
    box: tuple[int, int, int, int] | None
    mode: str
    base: np.ndarray
    states: list[_State] = field(default_factory=list)


class ObjectSelectTool(PictureTool):
    name = "object"
    label = "Select object"

    def __init__(self, view):
        super().__init__(view)
        self._start: Pos | None = None
        self._end: Pos | None = None
        self._dragging = False
        self._press_mods = Qt.KeyboardModifier.NoModifier
        self._session: _Session | None = None
        self._selector = None

    @property
    def active(self) -> bool:
        return self._start is not None

    def selector(self):
        """The object selector (the registry's default), built on first use."""
        if self._selector is None:
            import models

            self._selector = models.get_selector(device="cpu")
        return self._selector

    def reset(self) -> None:
        """A new document: forget the object being refined."""
        self._session = None

    # --- mouse ------------------------------------------------------------------------
    def press(self, pos, button, modifiers) -> None:
        if button != LEFT or self._doc() is None or self.active:
            return
        self._start = self._end = pos
        self._dragging = False
        self._press_mods = modifiers

    def move(self, pos, buttons, modifiers) -> None:
        if not self.active or not buttons & LEFT:
            return
        if not self._dragging and math.dist(pos, self._start) * self.view.zoom() \
                < DRAG_THRESHOLD:
            return
        self._update_rect()
        self._dragging = True
        self._end = pos
        self._update_rect()

    def release(self, pos, button, modifiers) -> None:
        if button != LEFT or not self.active:
            return
        if not self._dragging and math.dist(pos, self._start) * self.view.zoom() \
                >= DRAG_THRESHOLD:
            self._dragging = True
        self._end = pos
        dragging, start, mods = self._dragging, self._start, self._press_mods
        box = self.rect()
        self.cancel()
        if dragging:
            self.select_box(box, mode_for(mods))
        else:
            self.click(start, mods)

    def cancel(self) -> None:
        if self.active:
            if self._dragging:
                self._update_rect()
            self._start = self._end = None
            self._dragging = False

    def finish(self) -> None:
        """Another tool or document: drop a drag, and end the refinement."""
        self.cancel()
        self._session = None

    def rect(self) -> tuple[int, int, int, int]:
        (ax, ay), (bx, by) = self._start, self._end
        return (math.floor(min(ax, bx)), math.floor(min(ay, by)), math.ceil(max(ax, bx)),
                math.ceil(max(ay, by)))

    def _update_rect(self) -> None:
        x0, y0, x1, y1 = self.rect()
        self.view.update_image_outline(QRectF(x0, y0, x1 - x0, y1 - y0))

    def paint_preview(self, painter: QPainter) -> None:
        if not self.active or not self._dragging:
            return
        x0, y0, x1, y1 = self.rect()
        for pen in outline_pens():
            painter.setPen(pen)
            painter.drawRect(QRectF(x0, y0, x1 - x0, y1 - y0))

    # --- what the gestures do -----------------------------------------------------------
    def select_box(self, box, mode: str = REPLACE) -> bool:
        """Select the object in `box` (image pixels) into the mask; a new refinement."""
        doc = self._doc()
        if doc is None:
            return False
        x0, y0, x1, y1 = box
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(doc.width, x1), min(doc.height, y1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return False  # a box (nearly) outside the picture
        session = _Session(doc, (x0, y0, x1, y1), mode, doc.mask.copy())
        return self._run(session, _State(), "Select object")

    def click(self, pos: Pos, modifiers) -> bool:
        """A click: refine the object being refined (Shift adds, Ctrl or Alt removes), or
        select the object under the click."""
        doc = self._doc()
        pixel = self._pixel(pos)
        if doc is None or pixel is None:
            return False
        point = (pixel[0] + 0.5, pixel[1] + 0.5)
        shift, sub = bool(modifiers & SHIFT), bool(modifiers & SUBTRACT_KEYS)
        state = self._current_state() if (shift or sub) else None
        if state is not None:
            s = self._session
            new = _State(list(state.positive), list(state.negative))
            (new.negative if sub and not shift else new.positive).append(point)
            if not new.positive and s.box is None:
                return False  # only "not this" clicks: nothing to select from
            return self._run(s, new, "Refine object selection", state.selection)
        session = _Session(doc, None, mode_for(modifiers), doc.mask.copy())
        return self._run(session, _State([point]), "Select object")

    def _current_state(self) -> _State | None:
        """The state of the object being refined that the document shows now (after an
        undo, an earlier one), or None when the refinement is over."""
        s = self._session
        doc = self._doc()
        if s is None or s.doc is not doc:
            return None
        stack = self.view.undo_stack()
        for i in range(len(s.states) - 1, -1, -1):
            st = s.states[i]
            if (stack is not None and st.top is self._top_command()) or \
                    (stack is None and st.revision == doc.revision):
                del s.states[i + 1:]
                return st
        self._session = None
        return None

    def _run(self, session: _Session, state: _State, label: str,
             previous: np.ndarray | None = None) -> bool:
        doc = session.doc
        image = self.view.picture()
        try:
            with _BusyCursor():
                selection = self.selector().select(image, box=session.box,
                                                   positive=state.positive,
                                                   negative=state.negative,
                                                   previous=previous)
        except ValueError as e:
            self.view.report(f"Object selection: {e}")
            return False
        state.selection = selection
        changed = self.view.apply_edit(replace(doc, combine(session.base, selection,
                                                            session.mode), label))
        if not selection.any():
            self.view.report("Object selection: nothing found there")
        state.top, state.revision = self._top_command(), doc.revision
        session.states.append(state)
        self._session = session
        return changed


class MagicWandTool(PictureTool):
    name = "wand"
    label = "Magic wand"

    def press(self, pos, button, modifiers) -> None:
        doc = self._doc()
        if button != LEFT or doc is None:
            return
        pixel = self._pixel(pos)
        if pixel is None:
            return
        from models.select import magic_wand

        with _BusyCursor():
            selection = magic_wand(self.view.picture(), pixel[0], pixel[1],
                                   self.view.wand_tolerance(), self.view.wand_contiguous())
        self._apply(selection, mode_for(modifiers), self.label)

