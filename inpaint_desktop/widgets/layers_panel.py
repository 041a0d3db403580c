"""The Layers panel: the document's layers top-most first, with thumbnails, visibility,
opacity, rename, reorder and the layer operations. Every change is one undo step made by
`layer_ops` and pushed with `push_edit`; the panel only mirrors the Document."""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QEvent, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QDragLeaveEvent,
    QIcon,
    QImage,
    QPixmap,
    QStatusTipEvent,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inpaint_desktop.commands import push_edit, seal_top
from inpaint_desktop.document import Change, Document, Edit, Layer, layer_ops
from inpaint_desktop.document.geometry import intersect

THUMB_SIZE = 48
ID_ROLE = Qt.UserRole + 1
_CHECKER_CELL = 6
_CHECKER_LIGHT, _CHECKER_DARK = 255, 204


def thumbnail_rgb(layer: Layer, size: int = THUMB_SIZE) -> np.ndarray:
    """An RGB uint8 thumbnail of the layer's own pixels, at most `size` on its long side with
    the aspect kept, its alpha blended over a checkerboard. Samples a few points per thumbnail
    pixel, so it costs the same for a 24 MP layer as for a small one."""
    h, w = layer.height, layer.width
    scale = size / max(h, w)
    th, tw = max(1, round(h * scale)), max(1, round(w * scale))
    ss = 2 if scale < 0.5 else 1  # 2 x 2 samples per pixel when shrinking: less aliasing
    ys = ((np.arange(th * ss) + 0.5) * (h / (th * ss))).astype(np.intp)
    xs = ((np.arange(tw * ss) + 0.5) * (w / (tw * ss))).astype(np.intp)
    rgb = layer.pixels[ys[:, None], xs[None, :]].astype(np.float32)
    if layer.alpha is not None:
        a = layer.alpha[ys[:, None], xs[None, :]].astype(np.float32) * np.float32(1 / 255)
        rgb *= a[..., None]  # premultiplied, so that averaging below weights by coverage
    else:
        a = np.ones(rgb.shape[:2], np.float32)
    if ss > 1:
        rgb = rgb.reshape(th, ss, tw, ss, 3).mean(axis=(1, 3))
        a = a.reshape(th, ss, tw, ss).mean(axis=(1, 3))
    yy, xx = np.mgrid[0:th, 0:tw]
    checker = np.where((yy // _CHECKER_CELL + xx // _CHECKER_CELL) % 2 == 0,
                       _CHECKER_LIGHT, _CHECKER_DARK).astype(np.float32)
    out = rgb + checker[..., None] * (1.0 - a[..., None])
    return np.ascontiguousarray(np.clip(np.rint(out), 0, 255).astype(np.uint8))


def layer_thumbnail(layer: Layer, size: int = THUMB_SIZE, ratio: float = 1.0) -> QPixmap:
    """The thumbnail as a pixmap, rendered at `ratio` device pixels per pixel (HiDPI)."""
    rgb = thumbnail_rgb(layer, max(1, round(size * ratio)))
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()  # own the pixels
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


class _LayerList(QListWidget):
    """The list of layers. Drops are not moved by Qt: the panel turns a drop into a
    move_layer edit and rebuilds the list from the document."""

    layerDropped = Signal(str, int)  # layer id, list row before which it was dropped
    deletePressed = Signal()

    def event(self, e: QEvent) -> bool:
        # F2 and Delete belong to the list while it has focus, even if the main window
        # binds the same keys to window-wide shortcuts.
        if (e.type() == QEvent.ShortcutOverride and e.key() in (Qt.Key_F2, Qt.Key_Delete)
                and e.modifiers() == Qt.NoModifier):
            e.accept()
            return True
        return super().event(e)

    def keyPressEvent(self, e) -> None:
        if e.key() == Qt.Key_Delete and e.modifiers() == Qt.NoModifier:
            self.deletePressed.emit()
            e.accept()
            return
        super().keyPressEvent(e)

    def drop_row(self, pos: QPoint) -> int:
        """The list row (0..count) before which a drop at viewport position `pos` lands."""
        index = self.indexAt(pos)
        if not index.isValid():
            first = self.item(0)
            if first is not None and pos.y() < self.visualItemRect(first).top():
                return 0
            return self.count()
        rect = self.visualRect(index)
        return index.row() + (1 if pos.y() >= rect.center().y() else 0)

    def dropEvent(self, event) -> None:
        item = self.currentItem()
        if event.source() not in (self, None) or item is None:
            event.ignore()
            return
        row = self.drop_row(event.position().toPoint())
        # Not MoveAction: that would make QAbstractItemView remove the dragged row itself
        # (IgnoreAction is the one action that every drag allows).
        event.setDropAction(Qt.IgnoreAction)
        event.accept()
        # What QAbstractItemView does after a drop: stop auto-scroll, leave the drag state,
        # clear the drop indicator (its dragLeaveEvent does exactly that).
        super().dragLeaveEvent(QDragLeaveEvent())
        self.layerDropped.emit(item.data(ID_ROLE), row)


class LayersPanel(QWidget):
    """Dock contents: the layers of a Document (top-most first) and their operations."""

    currentLayerChanged = Signal(object)  # layer id (str) or None
    statusMessage = Signal(str)  # a refused operation's reason, also sent as a status tip

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._doc: Document | None = None
        self._stack: QUndoStack | None = None
        self._current_id: str | None = None
        self._emitted_id: str | None = None
        self._current_row = -1
        self._shown_ids: list[str] = []  # top-first ids the list shows
        self._list_stale = False  # the list rows may not match _shown_ids (after a drop)
        self._thumbs: dict[str, tuple[np.ndarray, np.ndarray | None, QIcon]] = {}
        self._dirty_thumbs: set[str] = set()
        self._pending_rebuild = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._flush)

        self._build_ui()
        self._make_actions()
        self._rebuild()

    # --- construction ---------------------------------------------------------------
    def _build_ui(self) -> None:
        self.opacity_slider = QSlider(Qt.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setToolTip("Opacity of the current layer")
        self.opacity_spin = QSpinBox()
        self.opacity_spin.setRange(0, 100)
        self.opacity_spin.setSuffix(" %")
        self.opacity_spin.setToolTip("Opacity of the current layer")
        self.opacity_slider.valueChanged.connect(self._on_opacity)
        self.opacity_slider.sliderReleased.connect(self._on_opacity_released)
        self.opacity_spin.valueChanged.connect(self.opacity_slider.setValue)
        opacity_label = QLabel("&Opacity")
        opacity_label.setBuddy(self.opacity_slider)

        self.list = _LayerList()
        self.list.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.DoubleClicked
                                  | QAbstractItemView.EditKeyPressed)
        self.list.setDragDropMode(QAbstractItemView.InternalMove)
        self.list.setDefaultDropAction(Qt.MoveAction)
        self.list.setDropIndicatorShown(True)
        self.list.setUniformItemSizes(True)
        self.list.setContextMenuPolicy(Qt.ActionsContextMenu)
        self.list.setToolTip("Layers, top-most first. Tick to show; double-click or F2 to "
                             "rename; drag to reorder.")
        self.list.currentItemChanged.connect(self._on_current_item)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.layerDropped.connect(self._on_drop, Qt.QueuedConnection)

        top = QHBoxLayout()
        top.addWidget(opacity_label)
        top.addWidget(self.opacity_slider, 1)
        top.addWidget(self.opacity_spin)
        self._buttons = QHBoxLayout()
        self._buttons.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addLayout(self._buttons)

    def _action(self, text: str, short: str, tip: str, slot, icon: QIcon | None = None,
                shortcut_hint: str = "") -> QAction:
        action = QAction(text, self)
        action.setIconText(short)
        action.setToolTip(tip + (f" ({shortcut_hint})" if shortcut_hint else ""))
        action.setStatusTip(tip)
        if icon is not None and not icon.isNull():
            action.setIcon(icon)
        action.triggered.connect(slot)
        self.addAction(action)
        self.list.addAction(action)
        return action

    def _make_actions(self) -> None:
        style = self.style()
        self.rename_action = self._action(
            "&Rename Layer...", "Rename", "Rename the current layer", self._rename,
            shortcut_hint="F2 or double-click")
        self.duplicate_action = self._action(
            "D&uplicate Layer", "Duplicate", "Duplicate the current layer", self._duplicate,
            QIcon.fromTheme("edit-copy"))
        self.delete_action = self._action(
            "&Delete Layer", "Delete", "Delete the current layer", self._delete,
            QIcon.fromTheme("edit-delete", style.standardIcon(QStyle.SP_TrashIcon)), "Del")
        self.move_up_action = self._action(
            "Move Layer &Up", "Up", "Move the current layer up", self._move_up,
            style.standardIcon(QStyle.SP_ArrowUp))
        self.move_down_action = self._action(
            "Move Layer Do&wn", "Down", "Move the current layer down", self._move_down,
            style.standardIcon(QStyle.SP_ArrowDown))
        self.merge_down_action = self._action(
            "&Merge Down", "Merge", "Merge the current layer into the layer below it",
            self._merge_down)
        self.flatten_action = self._action(
            "&Flatten Image", "Flatten", "Merge all visible layers into one (hidden layers "
            "are dropped)", self._flatten)
        self.list.deletePressed.connect(self.delete_action.trigger)
        self.buttons: dict[str, QToolButton] = {}
        for name in ("duplicate", "delete", "move_up", "move_down", "merge_down", "flatten"):
            action: QAction = getattr(self, f"{name}_action")
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonTextOnly if action.icon().isNull()
                                      else Qt.ToolButtonIconOnly)
            button.setAutoRaise(True)
            self.buttons[name] = button
            self._buttons.addWidget(button)
        self._buttons.addStretch(1)

    def layer_actions(self) -> list[QAction]:
        """The layer operations, for the main window's Layer menu (same actions as the
        panel's buttons and context menu, so they enable and disable together)."""
        return [self.rename_action, self.duplicate_action, self.delete_action,
                self.move_up_action, self.move_down_action, self.merge_down_action,
                self.flatten_action]

    # --- public API -----------------------------------------------------------------
    def set_document(self, doc: Document | None, undo_stack: QUndoStack | None) -> None:
        """Show `doc` (None: empty, disabled); edits go as undo steps onto `undo_stack`."""
        if self._doc is not None:
            self._doc.remove_listener(self._on_change)
        self._doc = doc
        self._stack = undo_stack
        self._shown_ids = []
        self._list_stale = True
        self._thumbs.clear()
        self._dirty_thumbs.clear()
        self._current_id = None
        self._current_row = -1
        if doc is not None:
            doc.add_listener(self._on_change)
        self._refresh_timer.stop()
        self._rebuild()

    def document(self) -> Document | None:
        return self._doc

    def current_layer_id(self) -> str | None:
        if self._doc is not None and self._current_id is not None \
                and not self._doc.has_layer(self._current_id):
            self._flush()  # the current layer just went away: catch up now
        return self._current_id

    def select_layer(self, layer_id: str) -> None:
        self._flush()
        if layer_id not in self._shown_ids:
            raise KeyError(f"no layer {layer_id!r}")
        self.list.setCurrentRow(self._shown_ids.index(layer_id))

    # --- document changes -----------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if not shiboken6.isValid(self):  # the panel was deleted without letting go
            if self._doc is not None:
                self._doc.remove_listener(self._on_change)
            return
        if change.layers:
            self._pending_rebuild = True
        elif change.mask or change.hints or change.bbox is None or self._doc is None:
            return  # mask painting and hints never touch the list or the thumbnails
        else:
            for la in self._doc.layers:
                if la.id in self._thumbs and intersect(la.bbox, change.bbox) is not None:
                    self._dirty_thumbs.add(la.id)
            if not self._dirty_thumbs:
                return
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _flush(self) -> None:
        """Apply the pending refresh now (a burst of changes costs one refresh)."""
        self._refresh_timer.stop()
        if self._pending_rebuild:
            self._rebuild()
        elif self._dirty_thumbs:
            self._refresh_thumbnails()

    def _refresh_thumbnails(self) -> None:
        if self._doc is None:
            self._dirty_thumbs.clear()
            return
        self.list.blockSignals(True)
        try:
            for row, lid in enumerate(self._shown_ids):
                if lid in self._dirty_thumbs and self._doc.has_layer(lid):
                    item = self.list.item(row)
                    if item is not None:
                        item.setIcon(self._thumbnail(self._doc.layer(lid), force=True))
        finally:
            self.list.blockSignals(False)
        self._dirty_thumbs.clear()

    def _thumbnail(self, layer: Layer, force: bool = False) -> QIcon:
        cached = self._thumbs.get(layer.id)
        if (not force and cached is not None and cached[0] is layer.pixels
                and cached[1] is layer.alpha):
            return cached[2]
        icon = QIcon(layer_thumbnail(layer, ratio=self.devicePixelRatioF()))
        self._thumbs[layer.id] = (layer.pixels, layer.alpha, icon)
        return icon

    def _choose_current(self, ids: list[str]) -> str | None:
        """After a change of the layer list: a layer that appeared (duplicate, add, undo of
        a delete) becomes current, else the current one stays, else the one below it."""
        old = set(self._shown_ids)
        new = [i for i in ids if i not in old]
        if new:
            return new[0]
        if self._current_id in ids:
            return self._current_id
        if not ids:
            return None
        return ids[min(max(self._current_row, 0), len(ids) - 1)]

    def _rebuild(self) -> None:
        """Make the list show the document's layers (in place when the order is unchanged)."""
        self._pending_rebuild = False
        layers = list(reversed(self._doc.layers)) if self._doc is not None else []
        ids = [la.id for la in layers]
        target = self._choose_current(ids)
        for lid in set(self._thumbs) - set(ids):
            del self._thumbs[lid]
        self.list.blockSignals(True)
        try:
            if ids != self._shown_ids or self._list_stale or self.list.count() != len(ids):
                self.list.clear()
                for _ in layers:
                    item = QListWidgetItem()
                    item.setFlags(Qt.ItemIsSelectable | Qt.ItemIsEnabled | Qt.ItemIsEditable
                                  | Qt.ItemIsUserCheckable | Qt.ItemIsDragEnabled)
                    self.list.addItem(item)
            for row, la in enumerate(layers):
                self._update_item(self.list.item(row), la)
            self.list.setCurrentRow(ids.index(target) if target is not None else -1)
        finally:
            self.list.blockSignals(False)
        self._shown_ids = ids
        self._list_stale = False
        self._dirty_thumbs.clear()
        self._set_current(target)

    def _update_item(self, item: QListWidgetItem, la: Layer) -> None:
        item.setData(ID_ROLE, la.id)
        if item.text() != la.name:
            item.setText(la.name)
        # Always set: a new item has no check state at all (no box shown) until it is set.
        item.setCheckState(Qt.Checked if la.visible else Qt.Unchecked)
        force = la.id in self._dirty_thumbs
        item.setIcon(self._thumbnail(la, force=force))
        info = f"{la.name}\n{la.width} × {la.height} px"
        if la.x or la.y:
            info += f" at {la.x}, {la.y}"
        info += f"\nopacity {round(la.opacity * 100)} %" + ("" if la.visible else ", hidden")
        item.setToolTip(info)

    # --- current layer and controls ---------------------------------------------------
    def _current_layer(self) -> Layer | None:
        doc, lid = self._doc, self._current_id
        if doc is None or lid is None or not doc.has_layer(lid):
            return None
        return doc.layer(lid)

    def _on_current_item(self, item: QListWidgetItem | None, _previous=None) -> None:
        self._set_current(None if item is None else item.data(ID_ROLE))

    def _set_current(self, layer_id: str | None) -> None:
        self._current_id = layer_id
        self._current_row = self.list.currentRow()
        self._sync_controls()
        if layer_id != self._emitted_id:
            self._emitted_id = layer_id
            self.currentLayerChanged.emit(layer_id)

    def _sync_controls(self) -> None:
        doc = self._doc
        layer = self._current_layer()
        n = len(doc.layers) if doc is not None else 0
        i = doc.index_of(layer.id) if layer is not None else -1
        self.setEnabled(doc is not None)
        has = layer is not None
        self.rename_action.setEnabled(has)
        self.duplicate_action.setEnabled(has)
        self.delete_action.setEnabled(has and n > 1)
        self.move_up_action.setEnabled(has and i < n - 1)
        self.move_down_action.setEnabled(has and i > 0)
        self.merge_down_action.setEnabled(has and i > 0)
        self.flatten_action.setEnabled(doc is not None and (n > 1 or (
            n == 1 and not _is_flat(doc.layers[0], doc))))
        self.opacity_slider.setEnabled(has)
        self.opacity_spin.setEnabled(has)
        value = round(layer.opacity * 100) if has else 100
        for w in (self.opacity_slider, self.opacity_spin):
            if w.value() != value:
                w.blockSignals(True)
                w.setValue(value)
                w.blockSignals(False)

    # --- edits ----------------------------------------------------------------------
    def _push(self, make) -> bool:
        """Make an edit with `make()` (a layer_ops call) and push it as one undo step."""
        doc = self._doc
        if doc is None:
            return False
        try:
            edit: Edit = make()
        except (ValueError, KeyError) as e:
            self._show_message(str(e))
            self._pending_rebuild = True  # put back what the list shows (e.g. a bad name)
            self._flush()
            return False
        if self._stack is not None:
            push_edit(self._stack, doc, edit)
        else:
            edit.apply(doc)
        self._flush()  # the panel's own edits show at once
        return True

    def _show_message(self, text: str) -> None:
        text = text[:1].upper() + text[1:]
        self.statusMessage.emit(text)
        QApplication.sendEvent(self, QStatusTipEvent(text))  # reaches the main window

    def _on_opacity_released(self) -> None:
        seal_top(self._stack)  # the next drag is its own undo step

    def _on_opacity(self, value: int) -> None:
        if self.opacity_spin.value() != value:
            self.opacity_spin.blockSignals(True)
            self.opacity_spin.setValue(value)
            self.opacity_spin.blockSignals(False)
        layer = self._current_layer()
        if layer is None or round(layer.opacity * 100) == value:
            return
        # Each step of a drag is pushed; EditCommand merges them into one undo step.
        self._push(lambda: layer_ops.set_props(self._doc, layer.id, opacity=value / 100))

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        doc = self._doc
        lid = item.data(ID_ROLE)
        if doc is None or lid is None or not doc.has_layer(lid):
            return
        layer = doc.layer(lid)
        visible = item.checkState() == Qt.Checked
        if visible != layer.visible:
            label = f"{'Show' if visible else 'Hide'} layer '{layer.name}'"
            self._push(lambda: layer_ops.set_props(doc, lid, label=label, visible=visible))
        elif item.text() != layer.name:
            name = item.text()
            if name.strip() == layer.name:
                self._pending_rebuild = True
                self._flush()
            else:
                self._push(lambda: layer_ops.rename_layer(doc, lid, name))

    def _on_drop(self, layer_id: str, row: int) -> None:
        doc = self._doc
        self._list_stale = True
        if doc is None or not doc.has_layer(layer_id) or layer_id not in self._shown_ids:
            self._pending_rebuild = True
            self._flush()
            return
        src = self._shown_ids.index(layer_id)
        dest_row = row - 1 if row > src else row
        to_index = len(doc.layers) - 1 - dest_row
        if to_index != doc.index_of(layer_id):
            self._push(lambda: layer_ops.move_layer(doc, layer_id, to_index))
        else:
            self._pending_rebuild = True
            self._flush()

    def _rename(self) -> None:
        self._flush()
        layer = self._current_layer()
        if layer is None or layer.id not in self._shown_ids:
            return
        if self.list.isVisible():
            item = self.list.item(self._shown_ids.index(layer.id))
            self.list.setFocus()
            self.list.editItem(item)
            return
        # From the main window's menu with the panel's dock closed: ask in a dialog.
        name, ok = QInputDialog.getText(self.window(), "Rename Layer", "Name:",
                                        text=layer.name)
        if ok and name.strip() != layer.name:
            self._push(lambda: layer_ops.rename_layer(self._doc, layer.id, name))

    def _duplicate(self) -> None:
        if self._current_id is not None:
            self._push(lambda: layer_ops.duplicate_layer(self._doc, self._current_id))

    def _delete(self) -> None:
        if self._current_id is not None:
            self._push(lambda: layer_ops.delete_layer(self._doc, self._current_id))

    def _move_by(self, step: int) -> None:
        layer = self._current_layer()
        if layer is None:
            return
        to_index = self._doc.index_of(layer.id) + step
        if not 0 <= to_index < len(self._doc.layers):
            self._show_message("the layer is already at the " + ("top" if step > 0
                                                                 else "bottom"))
            return
        self._push(lambda: layer_ops.move_layer(self._doc, layer.id, to_index))

    def _move_up(self) -> None:
        self._move_by(1)

    def _move_down(self) -> None:
        self._move_by(-1)

    def _merge_down(self) -> None:
        if self._current_id is not None:
            self._push(lambda: layer_ops.merge_down(self._doc, self._current_id))

    def _flatten(self) -> None:
        if self._doc is not None:
            self._push(lambda: layer_ops.flatten(self._doc))


def _is_flat(layer: Layer, doc: Document) -> bool:
    """True if flattening a document of just this layer would change nothing."""
    return (layer.alpha is None and layer.visible and layer.opacity >= 1.0
            and layer.bbox == doc.bbox)
