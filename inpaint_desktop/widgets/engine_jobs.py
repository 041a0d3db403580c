"""Erase, Colorize and damage detection as background jobs, and their results as undoable
document edits.

The controller snapshots what the job needs in the GUI thread (the flattened picture, the
mask, the hints), runs the engine on the inference thread, and turns the answer into ONE
undo step: a new result layer (plus, for Erase, the used part of the mask cleared). A
result whose picture changed meanwhile (layers edited, another document) is dropped; mask
painting during a job is fine and is kept. Detection only reports its confidence map
(`detected`): what it does to the mask is the Restore panel's business. Colour suggestions
(the colorizer's palette at a pixel) are quiet jobs: they come back as `suggested` and show
no progress bar (`workingChanged` leaves them out; `busyChanged` counts every job).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from inpaint_desktop.commands import EditCommand
from inpaint_desktop.document import CompoundEdit, Document, Layer, PixelEdit, diff_tiles
from inpaint_desktop.document.edits import InsertLayerEdit
from inpaint_desktop.workers.inference import InferenceThread, Job

HINT_UPDATE_DELAY_MS = 250  # wait for a pause in hint edits before colorizing again


@dataclass
class EngineChoice:
    inpainter: str | None = None  # None = the registry's default
    colorizer: str | None = None
    detector: str | None = None
    hd_strategy: str = "crop"
    crop_margin: int = 128
    texture: bool = True  # copy texture into large holes, where the engine can
    fsr_mix: bool = True  # mix FSR into the narrow parts of holes, where the engine can
    grow_px: int = 0  # Erase fills the mask grown by this much (the mask layer stays as it is)
    device: str = "auto"


_models_generation = 0  # bumped when model files change: a retrained model may reuse a name


def models_changed() -> None:
    global _models_generation
    _models_generation += 1


def _get_engine(engines: dict, kind: str, name: str | None, device: str):
    """Engines are built once per (kind, name, device) and kept by the worker thread."""
    import models

    key = (kind, name or "", device, _models_generation)
    for old in [k for k in engines if k[3] != key[3]]:
        del engines[old]  # built from files that may have changed since
    if key not in engines:
        get = {"inpaint": models.get_inpainter, "colorize": models.get_colorizer,
               "detect": models.get_detector}[kind]
        engines[key] = get(name, device=device)
    return engines[key]



def _picture_without(doc: Document, layer: Layer | None) -> np.ndarray:
    """The document's visible picture without `layer` (None: all layers)."""
    from inpaint_desktop.document.compose import composite

    below = doc.layers if layer is None else [la for la in doc.layers if la.id != layer.id]
    return composite(below, doc.bbox)


def _engine_hints(hints) -> list[tuple]:
    """Document hints as engines take them: (x, y, rgb, patch size or None = default)."""
    return [(h.x, h.y, tuple(h.rgb), h.size) for h in hints]


def _mask_bbox(mask: np.ndarray):
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


def _is_hint_command(cmd) -> bool:
    """A colour-hint edit (possibly with a colorization update attached already)."""
    edit = getattr(cmd, "edit", None)
    if isinstance(edit, CompoundEdit) and edit.edits:
        edit = edit.edits[0]
    return edit is not None and type(edit).__module__.endswith("hint_edits")


class EngineJobs(QObject):
    """Wires Erase / Colorize between the document, the undo stack and the inference thread."""

    message = Signal(str)  # status-bar text
    error = Signal(str)  # one-line failure for a dialog
    busyChanged = Signal(bool)
    progress = Signal(float, str)
    detected = Signal(object, str, object)  # job, engine label, uint8 confidence map
    suggested = Signal(object, object)  # job, list of (r, g, b): the colorizer's palette
    workingChanged = Signal(bool)  # a job that shows progress runs (not a quiet one)
    ended = Signal(object, bool)  # job, whether its result landed (False: failed, cancelled...)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.worker = InferenceThread(self)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.progress.connect(lambda job, f, m: self.progress.emit(f, m))
        self.worker.busyChanged.connect(self.busyChanged)
        self.worker.busyChanged.connect(self._update_working)
        self._working = False
        self.choice = EngineChoice()
        self.doc: Document | None = None
        self.stack: QUndoStack | None = None
        self.live_colorize = True  # re-colorize when hints change after a Colorize
        self._content_rev = 0  # bumped by changes of the picture (not of mask or hints)
        self._counter = itertools.count(1)
        self._hint_timer = QTimer(self)
        self._hint_timer.setSingleShot(True)
        self._hint_timer.setInterval(HINT_UPDATE_DELAY_MS)
        self._hint_timer.timeout.connect(self._recolorize)
        self._top_seen = None
        # The thread must stop before Qt destroys it, however the app ends.
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # --- document ------------------------------------------------------------------
    def set_document(self, doc: Document | None, stack: QUndoStack | None) -> None:
        self.worker.cancel_all()
        if self.doc is not None:
            self.doc.remove_listener(self._on_change)
        if self.stack is not None:
            self.stack.indexChanged.disconnect(self._on_index_changed)
        self.doc, self.stack = doc, stack
        if doc is not None:
            doc.add_listener(self._on_change)
        if stack is not None:
            stack.indexChanged.connect(self._on_index_changed)
            self._top_seen = None

    def _on_change(self, change) -> None:
        # Mask strokes and hints do not change the picture a running job works on.
        if change.bbox is not None and not (change.mask or getattr(change, "hints", False)):
            self._content_rev += 1

    def _on_index_changed(self, index: int) -> None:
        """A newly pushed hint edit (not an undo or redo) refreshes a live colorization."""
        stack = self.stack
        if stack is None or index != stack.count() or index == 0:
            return
        top = stack.command(index - 1)
        # A merge (wheel notches resizing one hint) changes the top command in place.
        seen = (top, getattr(top, "merges", 0))
        if seen == self._top_seen:
            return
        self._top_seen = seen
        if _is_hint_command(top):
            self.schedule_recolorize()

    # --- Erase -----------------------------------------------------------------------
    def erase(self, gray: bool = False, tag: str | None = None) -> bool:
        """Fill the masked area. `gray`: fill the photo's gray copy and keep the whole gray
        result as the layer (the restored old photo), not only the filled pixels."""
        doc = self.doc
        if doc is None:
            return False
        box = _mask_bbox(doc.mask)
        if box is None:
            self.message.emit("Paint a mask over what to erase first")
            return False
        choice = self.choice
        image, mask = doc.composite(), doc.mask.copy()
        user_mask = mask
        if gray:
            from models.restore import gray_rgb

            image = gray_rgb(image)
        elif choice.grow_px > 0:  # erase a little more than the selection (its soft rim)
            from inpaint_desktop.document.masking import grown

            mask = grown(mask, choice.grow_px)
            box = _mask_bbox(mask)
        from models.engine import NoContext, check_known_pixels, hole_threshold

        try:  # refused at once, before a job: nothing changes in the document
            check_known_pixels(mask, hole_threshold(mask, box))
        except NoContext as e:
            self.message.emit(f"Cannot erase: {e}")
            return False
        n = next(self._counter)

        def run(engines, cancel, progress):
            import models

            engine = _get_engine(engines, "inpaint", choice.inpainter, choice.device)
            if hasattr(engine, "card_texture"):  # a learned engine with the texture step
                engine.texture = engine.card_texture and choice.texture
            if hasattr(engine, "card_fsr_blend"):
                engine.fsr_blend = engine.card_fsr_blend if choice.fsr_mix else 0.0
            options = models.InpaintOptions(hd_strategy=choice.hd_strategy,
                                            crop_margin=choice.crop_margin)
            result = engine.inpaint(image, mask, options, cancel=cancel, progress=progress)
            return engine.label or engine.name, result

        job = Job(f"{'Fill' if gray else 'Erase'} {n}", run, revision=self._content_rev)
        job.kind, job.doc, job.mask, job.box = "erase", doc, mask, box
        job.user_mask = user_mask  # what the mask layer held: cleared when the result lands
        job.gray, job.tag = gray, tag
        self.worker.submit(job)
        self._update_working()
        self.message.emit("Erasing... (Esc cancels)")
        return True

    # --- Colorize ----------------------------------------------------------------------
    def colorize(self, live_layer: Layer | None = None, tag: str | None = None) -> bool:
        doc = self.doc
        if doc is None:
            return False
        # A live update colorizes the picture under its own layer, not the old result.
        image = _picture_without(doc, live_layer)
        hints = _engine_hints(doc.hints)
        choice = self.choice

        def run(engines, cancel, progress):
            engine = _get_engine(engines, "colorize", choice.colorizer, choice.device)
            result = engine.colorize(image, hints, cancel=cancel, progress=progress)
            return engine.label or engine.name, result

        n = next(self._counter) if live_layer is None else 0
        job = Job(f"Colorize {n}", run, revision=self._content_rev)
        job.kind, job.doc, job.live_layer, job.tag = "colorize", doc, live_layer, tag
        self.worker.submit(job)
        self._update_working()
        self.message.emit("Colorizing... (Esc cancels)")
        return True

    # --- Detect damage -------------------------------------------------------------------
    def detect(self, tag: str | None = None, mode: str = "replace") -> bool:
        """Run the damage detector on the visible picture; the answer comes as `detected`
        (`mode`, how the caller means to apply it to the mask, comes back on the job)."""
        doc = self.doc
        if doc is None:
            return False
        image = doc.composite()
        choice = self.choice

        def run(engines, cancel, progress):
            engine = _get_engine(engines, "detect", choice.detector, choice.device)
            return engine.label or engine.name, engine.detect(image, cancel, progress)

        job = Job(f"Detect damage {next(self._counter)}", run, revision=self._content_rev)
        job.kind, job.doc, job.tag, job.mode = "detect", doc, tag, mode
        self.worker.submit(job)
        self._update_working()
        self.message.emit("Looking for damage... (Esc cancels)")
        return True

    def hint_layer(self) -> Layer | None:
        """The colour layer that follows the hints (the document's, so that it is the same
        after the project is saved and reopened), or None."""
        return None if self.doc is None else self.doc.hint_layer()

    # --- Colour suggestions ---------------------------------------------------------------
    def suggest(self, index: int, count: int = 6) -> Job | None:
        """Ask the colorizer for its most likely colours at hint `index`'s pixel, given the
        other hints, off the GUI thread; the answer comes as `suggested` (only the newest
        request's: an older one still waiting is cancelled)."""
        doc = self.doc
        if doc is None or not 0 <= index < len(doc.hints):
            return None
        for job in self.worker.pending():
            if getattr(job, "kind", None) == "suggest":
                job.cancel.cancel()
        # the picture as the colorizer sees it: not its own result
        image = _picture_without(doc, self.hint_layer())
        hint = doc.hints[index]
        others = _engine_hints(h for i, h in enumerate(doc.hints) if i != index)
        x, y = hint.x, hint.y
        choice = self.choice

        def run(engines, cancel, progress):
            import models

            engine = _get_engine(engines, "colorize", choice.colorizer, choice.device)
            cancel.check()
            colours = engine.suggest_colours(image, others, x, y, count=count)
            # a colorizer without colour classes (the default regression net, levin): the
            # palette comes from the first one that has them
            fallback = [n for n in models.palette_colorizers() if n != engine.name]
            if not colours and fallback:
                engine = _get_engine(engines, "colorize", fallback[0], choice.device)
                cancel.check()
                colours = engine.suggest_colours(image, others, x, y, count=count)
            return [tuple(int(c) for c in rgb) for rgb in (colours or [])][:count]

        job = Job(f"Suggest colours {next(self._counter)}", run, revision=self._content_rev)
        job.kind, job.doc, job.quiet, job.index, job.pos = "suggest", doc, True, index, (x, y)
        self.worker.submit(job)
        self._update_working()
        return job

    def _update_working(self, *_) -> None:
        working = any(not getattr(j, "quiet", False) for j in self.worker.pending())
        if working != self._working:
            self._working = working
            self.workingChanged.emit(working)

    def is_working(self) -> bool:
        """A job that shows progress (Erase, Colorize, Detect) is running or waiting."""
        return self._working

    def schedule_recolorize(self) -> None:
        if self.live_colorize and self.hint_layer() is not None:
            self._hint_timer.start()

    def _recolorize(self) -> None:
        # Only the newest hints matter: drop queued live updates first.
        for job in self.worker.pending():
            if getattr(job, "live_layer", None) is not None:
                job.cancel.cancel()
        layer = self.hint_layer()
        if layer is not None:
            self.colorize(live_layer=layer)

    # --- results -------------------------------------------------------------------
    def cancel(self) -> None:
        self.worker.cancel_all()

    def is_busy(self) -> bool:
        return self.worker.is_busy()

    def _stale(self, job) -> str | None:
        if job.doc is not self.doc or self.stack is None:
            return "another photo is open"
        if job.revision != self._content_rev:
            return "the picture changed while it ran"
        return None

    def _on_finished(self, job, answer) -> None:
        self._update_working()
        if job.kind == "suggest":
            if job.doc is self.doc:  # the palette checks that its hint is still there
                self.suggested.emit(job, answer)
            self.ended.emit(job, job.doc is self.doc)
            return
        why = self._stale(job)
        if why is not None:
            self.message.emit(f"{job.title}: result dropped, {why}")
            self.ended.emit(job, False)
            return
        engine_label, result = answer
        if job.kind == "erase":
            self._paste_erase(job, engine_label, result)
        elif job.kind == "detect":
            self.detected.emit(job, engine_label, result)
        else:
            self._paste_colorize(job, engine_label, result)
        self.ended.emit(job, True)

    def _on_failed(self, job, message: str) -> None:
        self._update_working()
        if getattr(job, "quiet", False):  # no palette is no reason for a dialog
            self.message.emit(f"No colour suggestions: {message}")
        else:
            self.error.emit(f"{job.title} failed: {message}")
        self.ended.emit(job, False)

    def _on_cancelled(self, job) -> None:
        self._update_working()
        if getattr(job, "live_layer", None) is None and not getattr(job, "quiet", False):
            self.message.emit(f"{job.title} cancelled")
        self.ended.emit(job, False)

    def _paste_erase(self, job, engine_label: str, result: np.ndarray) -> None:
        doc = self.doc
        x0, y0, x1, y1 = job.box
        used = job.mask[y0:y1, x0:x1]
        # Opaque where the mask was painted (soft edges are already blended in `result`),
        # transparent elsewhere, so later edits of the layers below still show through.
        alpha = np.where(used > 0, 255, 0).astype(np.uint8)
        if getattr(job, "gray", False):  # the whole restored gray photo, opaque
            layer = Layer(name=f"{job.title} ({engine_label}, gray)", pixels=result)
        else:
            layer = Layer(name=f"{job.title} ({engine_label})",
                          pixels=np.ascontiguousarray(result[y0:y1, x0:x1]), alpha=alpha,
                          x=x0, y=y0)
        # Clear the part of the mask this erase used; strokes painted meanwhile stay.
        cleared = doc.mask.copy()
        cleared[getattr(job, "user_mask", job.mask) > 0] = 0
        edits = [InsertLayerEdit(layer, len(doc.layers))]
        patches = diff_tiles(doc.mask, cleared, job.box)
        if patches:
            edits.append(PixelEdit(doc.MASK, patches, label="Clear mask"))
        self.stack.push(EditCommand(doc, CompoundEdit(edits, label=job.title)))
        self.message.emit(f"{job.title}: done with {engine_label}")

    def _paste_colorize(self, job, engine_label: str, answer) -> None:
        doc = self.doc
        result, notes = answer.image, list(answer.notes)
        live = job.live_layer
        if live is not None:
            if not doc.has_layer(live.id):
                return
            patches = diff_tiles(live.pixels, result)
            if patches:
                self._attach_or_push(PixelEdit(live.id, patches, label="Update colorization"))
            return
        # On top, so it is the layer that follows the hints from now on (Document.hint_layer)
        layer = Layer(name=f"{job.title} ({engine_label})", pixels=result, follows_hints=True)
        self.stack.push(EditCommand(doc, InsertLayerEdit(layer, len(doc.layers),
                                                         label=job.title)))
        self.message.emit("; ".join([f"{job.title}: done with {engine_label}"] + notes))

    def _attach_or_push(self, edit: PixelEdit) -> None:
        """A live update joins the hint edit that caused it, so one undo takes back both."""
        stack = self.stack
        top = stack.command(stack.index() - 1) if stack.index() > 0 else None
        if top is not None and stack.index() == stack.count() and _is_hint_command(top):
            top.attach(edit)
        else:
            stack.push(EditCommand(self.doc, edit))
            top = stack.command(stack.index() - 1)
            self._top_seen = (top, getattr(top, "merges", 0))

    def shutdown(self) -> None:
        self._hint_timer.stop()
        self.set_document(None, None)
        self.worker.shutdown()
