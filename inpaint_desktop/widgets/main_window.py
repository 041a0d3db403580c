"""The main window: wiring of canvas, panels, menus, files and settings. No image logic here."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QToolButton,
)

from inpaint_desktop.canvas.view import CanvasView
from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import Document, hint_edits, masking
from inpaint_desktop.document.geometry import union
from inpaint_desktop.document.image_io import (
    OPEN_FILTER,
    ImageFileError,
    export_document,
    has_location,
    load_image,
)
from inpaint_desktop.document.project import PROJECT_EXTENSION, load_project, save_project
from inpaint_desktop.settings import settings
from inpaint_desktop.widgets import transfer
from inpaint_desktop.widgets.engine_jobs import EngineJobs
from inpaint_desktop.widgets.engine_panel import EnginePanel
from inpaint_desktop.widgets.export_dialog import ExportOptionsDialog, needs_options
from inpaint_desktop.widgets.help_dialog import (
    CANVAS_KEYS,
    AboutDialog,
    ShortcutsDialog,
    menu_rows,
    tool_rows,
)
from inpaint_desktop.widgets.hint_palette import HintPalette
from inpaint_desktop.widgets.history_panel import HistoryPanel
from inpaint_desktop.widgets.layers_panel import LayersPanel
from inpaint_desktop.widgets.mask_preview import MaskAdjustDialog
from inpaint_desktop.widgets.restore_panel import RestorePanel
from inpaint_desktop.widgets.shortcuts import set_tooltip
from inpaint_desktop.widgets.tool_options import TOOL_KEYS, ToolOptionsBar
from inpaint_desktop.widgets.transfer import MASK_FILTER

MAX_RECENT = 10
# Bumped when the tool bar layout changes: an older saved layout (the tool options in the
# main tool bar's row) is then ignored instead of restored.
STATE_VERSION = 1
TOOLS = (  # name, label, shortcut
    ("brush", "&Brush", "B"),
    ("eraser", "&Eraser", "E"),
    ("lasso", "&Lasso", "L"),
    ("polygon", "&Polygon lasso", "P"),
    ("rectangle", "&Rectangle", "M"),
    ("object", "&Object selection", "O"),
    ("wand", "Magic &wand", "W"),
    ("hint", "Colour &hint", "C"),
)
TOOLBAR_TEXT = {"object": "Object", "wand": "Wand"}  # short, so the tool bar fits 1280 px


class MainWindow(QMainWindow):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Inpaint Desktop")
        self.setAcceptDrops(True)
        self.doc: Document | None = None
        self.project_path: str | None = None
        self.last_error: str | None = None  # the last error shown (tests read it)
        self.train_dialog = None  # made on first use (it imports the plotting library)
        self.models_dialog = None
        self._close_approved = False  # closing waits for the trainer to save its result
        self.undo_stack = QUndoStack(self)
        # Bound methods, not lambdas: Qt drops them when the window is destroyed, while the
        # children (stack, canvas) may still emit on their way out.
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

        self.canvas = CanvasView(self)
        self.setCentralWidget(self.canvas)
        self.canvas.message.connect(self._show_status)
        self.layers_panel = LayersPanel()
        self.layers_panel.statusMessage.connect(self._show_status)
        self.history_panel = HistoryPanel()
        self.history_panel.set_undo_stack(self.undo_stack)
        self._add_dock("Layers", self.layers_panel, Qt.RightDockWidgetArea)
        self._add_dock("History", self.history_panel, Qt.RightDockWidgetArea)

        self.jobs = EngineJobs(self)
        self.jobs.message.connect(self._show_status)
        self.jobs.error.connect(self.report_error)
        self.jobs.workingChanged.connect(self._on_busy_changed)  # not the quiet palette
        self.jobs.progress.connect(self._on_progress)

        self._make_actions()
        self.engine_panel = EnginePanel(self.jobs, self.erase_action, self.colorize_action)
        self._add_dock("Erase and Colorize", self.engine_panel, Qt.RightDockWidgetArea)
        self._make_restore()
        self._make_menus()
        self.tool_options = ToolOptionsBar(self.canvas, self)
        self.hint_palette = HintPalette(self.canvas, self.jobs)  # beside the hint colour
        self.tool_options.add_options("hint", self.hint_palette)
        self.engine_panel.colorizer.currentIndexChanged.connect(self.hint_palette.refresh)
        self.addToolBarBreak(Qt.TopToolBarArea)  # a row of its own: never behind an overflow
        self.addToolBar(Qt.TopToolBarArea, self.tool_options)
        self._make_status_bar()
        self._restore_settings()
        self._update_enabled()

    # --- construction ---------------------------------------------------------------
    def _add_dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, tip: str | None = None,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        if tip:
            action.setStatusTip(tip)
        set_tooltip(action, detail=tip or "")
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _make_actions(self) -> None:
        a = self._action
        self.open_action = a("&Open...", self.open_dialog, QKeySequence.Open,
                             "Open a photo or an .inpaint project")
        self.save_action = a("&Save project", self.save_project, QKeySequence.Save,
                             "Save layers and mask as an .inpaint project")
        self.save_as_action = a("Save project &as...", self.save_project_as,
                                QKeySequence.SaveAs)
        self.export_action = a("&Export image...", self.export_dialog, "Ctrl+E",
                               "Save the flattened picture as PNG or JPEG")
        self.quit_action = a("&Quit", self.close, QKeySequence.Quit)
        self.import_mask_action = a("&Import mask...", self.import_mask_dialog, None,
                                    "Load a mask from a PNG: white = fill, black or "
                                    "transparent = keep")
        self.export_mask_action = a("Export &mask...", self.export_mask_dialog, None,
                                    "Save the mask as a PNG (white = fill), as the command "
                                    "line's --mask reads it")

        self.undo_action = a("&Undo", self.undo, QKeySequence.Undo)
        self.redo_action = a("&Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"])
        # Icons, so that the tool bar buttons stay small whatever the command's name; the
        # name is in the tooltip (and in the Edit menu).
        style = self.style()
        self.undo_action.setIcon(QIcon.fromTheme("edit-undo",
                                                 style.standardIcon(QStyle.SP_ArrowBack)))
        self.redo_action.setIcon(QIcon.fromTheme("edit-redo",
                                                 style.standardIcon(QStyle.SP_ArrowForward)))
        st = self.undo_stack
        st.canUndoChanged.connect(self.undo_action.setEnabled)
        st.canRedoChanged.connect(self.redo_action.setEnabled)
        st.undoTextChanged.connect(self._on_undo_text)
        st.redoTextChanged.connect(self._on_redo_text)
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        self.copy_action = a("&Copy image", self.copy_image, QKeySequence.Copy,
                             "Copy the picture as shown (visible layers, no mask)")
        self.paste_action = a("&Paste image", lambda: self.paste_image(), QKeySequence.Paste,
                              "Paste the clipboard's picture as a new layer (as a new image "
                              "when none is open)")
        self.paste_new_action = a("Paste as &new image", lambda: self.paste_image(True),
                                  "Ctrl+Shift+V", "Open the clipboard's picture on its own")

        self.tool_group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for name, label, key in TOOLS:
            act = a(label, lambda _=False, n=name: self.canvas.set_tool(n), key, checkable=True)
            if name in TOOLBAR_TEXT:
                act.setIconText(TOOLBAR_TEXT[name])
            set_tooltip(act, detail=TOOL_KEYS[name])
            self.tool_group.addAction(act)
            self.tool_actions[name] = act
        self.canvas.toolChanged.connect(self._on_tool_changed)
        self.tool_actions[self.canvas.tool_name()].setChecked(True)
        self.grow_brush_action = a("Larger brush", self.canvas.grow_brush, "]")
        self.shrink_brush_action = a("Smaller brush", self.canvas.shrink_brush, "[")

        self.clear_mask_action = a("&Clear mask", lambda: self.mask_op(masking.clear),
                                   "Ctrl+D")
        self.select_all_action = a("Mask &everything", lambda: self.mask_op(masking.select_all),
                                   QKeySequence.SelectAll)
        self.invert_action = a("&Invert mask", lambda: self.mask_op(masking.invert),
                               "Ctrl+Shift+I")
        self.grow_action = a("&Grow mask...", lambda: self.adjust_mask("grow"), None,
                             "Widen the mask, previewed live")
        self.shrink_action = a("&Shrink mask...", lambda: self.adjust_mask("shrink"), None,
                               "Narrow the mask, previewed live")
        self.feather_action = a("&Feather mask...", lambda: self.adjust_mask("feather"), None,
                                "Soften the mask's edge, previewed live")
        self.show_mask_action = a("&Show mask", self.canvas.set_mask_visible, "H",
                                  checkable=True)
        self.show_mask_action.setChecked(True)

        self.erase_action = a("&Erase", self.erase, ["Ctrl+Return", "Ctrl+Enter"],
                              "Fill the masked area from its surroundings")
        self.colorize_action = a("&Colorize", self.colorize, "Ctrl+K",
                                 "Colorize the picture (steered by colour hints)")
        self.clear_hints_action = a("Clear colour &hints", self.clear_hints, None,
                                    "Remove every colour hint")
        self.cancel_action = a("Cancel", self.jobs.cancel, "Esc", "Stop the running job")
        self.cancel_action.setEnabled(False)

        self.compare_action = a("Show &original (hold \\)", self.show_original, None,
                                "Compare with the photo as opened", checkable=True)

        self.zoom_in_action = a("Zoom &in", self.canvas.zoom_in, ["Ctrl++", "Ctrl+="])
        self.zoom_out_action = a("Zoom &out", self.canvas.zoom_out, "Ctrl+-")
        self.fit_action = a("&Fit to window", self.canvas.fit_to_window, "Ctrl+0")
        self.actual_size_action = a("&Actual size (100 %)", self.canvas.actual_size, "Ctrl+1")

        self.train_action = a("&Fine-tune on my photos...", self.open_train_dialog, None,
                              "Teach erasing and colorizing the look of your own photos")
        self.models_action = a("&Models...", self.open_models_dialog, None,
                               "Rename, delete or export your trained models")

        self.shortcuts_action = a("&Keyboard shortcuts...", self.open_shortcuts,
                                  QKeySequence.HelpContents, "Every command and its keys")
        self.about_action = a("&About Inpaint Desktop", self.open_about, None,
                              "Versions, and where your models and training runs are kept")

    def _make_restore(self) -> None:
        """Image > Restore old photo... (a dock, hidden until asked for) and Mask > Detect."""
        self.restore_panel = RestorePanel(self.jobs)
        self.restore_panel.statusMessage.connect(self._show_status)
        self.restore_dock = self._add_dock("Restore old photo", self.restore_panel,
                                           Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self.engine_panel.parentWidget(), self.restore_dock)
        self.restore_dock.hide()
        self.detect_action = self._action(
            "&Detect damage", self.detect_damage, None,
            "Mark scratches, dust and tears in the mask (Shift adds to the mask)")
        self.restore_action = self._action(
            "Restore &old photo...", self.show_restore_panel, None,
            "Detect damage, fill it on the gray photo, colorize")

    def detect_damage(self) -> bool:
        self._finish_tool()
        return self.restore_panel.detect()

    def show_restore_panel(self) -> None:
        self.restore_dock.show()
        self.restore_dock.raise_()

    def _make_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.open_action)
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.setObjectName("recent")
        m.addSeparator()
        m.addActions([self.save_action, self.save_as_action, self.export_action])
        m.addSeparator()
        m.addActions([self.import_mask_action, self.export_mask_action])
        m.addSeparator()
        m.addAction(self.quit_action)

        m = bar.addMenu("&Edit")
        m.addActions([self.undo_action, self.redo_action])
        m.addSeparator()
        m.addActions([self.copy_action, self.paste_action, self.paste_new_action])

        m = bar.addMenu("&Tools")
        m.addActions(list(self.tool_actions.values()))
        m.addSeparator()
        m.addActions([self.grow_brush_action, self.shrink_brush_action])

        m = bar.addMenu("&Mask")
        m.addActions([self.clear_mask_action, self.select_all_action, self.invert_action])
        m.addSeparator()
        m.addActions([self.grow_action, self.shrink_action, self.feather_action])
        m.addSeparator()
        m.addAction(self.show_mask_action)
        m.addSeparator()
        m.addAction(self.detect_action)

        m = bar.addMenu("&Image")
        m.addActions([self.erase_action, self.colorize_action, self.clear_hints_action,
                      self.cancel_action])
        m.addSeparator()
        m.addAction(self.restore_action)

        m = bar.addMenu("&Layer")
        m.addActions(self.layers_panel.layer_actions())

        m = bar.addMenu("T&rain")
        m.addActions([self.train_action, self.models_action])

        m = bar.addMenu("&View")
        m.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action,
                      self.actual_size_action])
        m.addSeparator()
        m.addAction(self.compare_action)
        m.addSeparator()
        for dock in self.findChildren(QDockWidget):
            m.addAction(dock.toggleViewAction())

        m = bar.addMenu("&Help")
        m.addActions([self.shortcuts_action, self.about_action])

        toolbar = self.addToolBar("Tools")
        toolbar.setObjectName("tools")
        toolbar.addActions([self.open_action, self.save_action, self.export_action])
        toolbar.addSeparator()
        toolbar.addActions([self.undo_action, self.redo_action])
        toolbar.addSeparator()
        toolbar.addActions(list(self.tool_actions.values()))
        toolbar.addSeparator()
        toolbar.addAction(self.show_mask_action)
        toolbar.addSeparator()
        toolbar.addActions([self.erase_action, self.colorize_action, self.compare_action])

    def _make_status_bar(self) -> None:
        sb = self.statusBar()
        self.pos_label = QLabel()
        self.size_label = QLabel()
        self.zoom_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMaximumWidth(160)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running Erase or Colorize (Esc)")
        self.cancel_button.clicked.connect(self.jobs.cancel)
        # Shown while a fine-tuning run trains with its dialog hidden; a click shows the dialog.
        self.training_button = QToolButton()
        self.training_button.setAutoRaise(True)
        self.training_button.setToolTip("Show the training")
        self.training_button.clicked.connect(self.open_train_dialog)
        for w in (self.training_button, self.progress_bar, self.cancel_button, self.pos_label,
                  self.size_label, self.zoom_label):
            sb.addPermanentWidget(w)
        self.training_button.hide()
        self.progress_bar.hide()
        self.cancel_button.hide()
        self.canvas.zoomChanged.connect(self._on_zoom_changed)
        self.canvas.cursorMoved.connect(self._on_cursor_moved)

    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 5000)

    def _on_undo_text(self, text: str) -> None:
        self._name_step(self.undo_action, "Undo", text)

    def _on_redo_text(self, text: str) -> None:
        self._name_step(self.redo_action, "Redo", text)

    @staticmethod
    def _name_step(action: QAction, verb: str, text: str) -> None:
        short = text if len(text) <= 40 else text[:39] + "…"  # the menu stays narrow
        action.setText(f"&{verb} {short}".strip())
        set_tooltip(action, f"{verb} {text}".strip())

    def undo(self) -> None:
        self._finish_tool()
        self.undo_stack.undo()

    def redo(self) -> None:
        self._finish_tool()
        self.undo_stack.redo()

    def _finish_tool(self) -> None:
        """Undo in the middle of a drag first ends the stroke, so it becomes its own step."""
        tool = self.canvas.tool()
        if tool is not None and tool.active:
            tool.finish()

    def _on_tool_changed(self, name: str) -> None:
        self.tool_actions[name].setChecked(True)

    def _on_busy_changed(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_action.setEnabled(busy)  # Esc goes to the canvas tools otherwise
        self.progress_bar.setValue(0)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(round(fraction * 100))
        if message:
            self.progress_bar.setFormat(f"%p %  {message}")

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _on_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %")

    def _on_cursor_moved(self, pos) -> None:
        self.pos_label.setText("" if pos is None else f"{pos[0]}, {pos[1]}")

    # --- settings -----------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state, STATE_VERSION)
        self._rebuild_recent_menu()

    def _save_settings(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(STATE_VERSION))

    def recent_files(self) -> list[str]:
        value = settings().value("recent", [])
        if isinstance(value, str):  # QSettings returns a lone string for a 1-item list
            value = [value]
        return [p for p in (value or []) if isinstance(p, str)]

    def _remember_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        recent = [path] + [p for p in self.recent_files() if p != path]
        settings().setValue("recent", recent[:MAX_RECENT])
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for path in recent:
            act = self.recent_menu.addAction(Path(path).name)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(recent))

    # --- documents and files ------------------------------------------------------------
    def set_document(self, doc: Document | None, project_path: str | None = None) -> None:
        self.undo_stack.clear()
        self.doc = doc
        self.project_path = project_path
        self.canvas.set_document(doc, self.undo_stack)
        self.layers_panel.set_document(doc, self.undo_stack)
        self.jobs.set_document(doc, self.undo_stack)
        self.restore_panel.set_document(doc)
        shown = project_path or (doc.source_path if doc else None)
        self.setWindowFilePath(shown or "")
        self.setWindowTitle(f"{Path(shown).name if shown else 'Untitled'}[*] - Inpaint Desktop"
                            if doc else "Inpaint Desktop")
        self.setWindowModified(False)
        self.size_label.setText(f"{doc.width} × {doc.height}" if doc else "")
        self._update_enabled()

    def _update_enabled(self) -> None:
        has = self.doc is not None
        for act in (self.save_action, self.save_as_action, self.export_action,
                    self.clear_mask_action, self.select_all_action, self.invert_action,
                    self.grow_action, self.shrink_action, self.feather_action,
                    self.erase_action, self.colorize_action, self.compare_action,
                    self.clear_hints_action, self.import_mask_action,
                    self.export_mask_action, self.copy_action, self.detect_action):
            act.setEnabled(has)

    def open_dialog(self) -> None:
        start = os.path.dirname(self.recent_files()[0]) if self.recent_files() else ""
        filt = f"{OPEN_FILTER};;Projects (*{PROJECT_EXTENSION});;All files (*)"
        path, _ = QFileDialog.getOpenFileName(self, "Open", start, filt)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open an image or a project; on failure say why and keep the current work."""
        if not self.confirm_discard():
            return False
        self.statusBar().showMessage(f"Opening {Path(path).name}...")
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            notes: list[str] = []
            if path.lower().endswith(PROJECT_EXTENSION):
                doc, project = load_project(path), path
            else:
                loaded = load_image(path)
                doc = Document.from_image(loaded.pixels, source_path=os.path.abspath(path),
                                          icc_profile=loaded.icc_profile, exif=loaded.exif)
                project, notes = None, loaded.notes
        except ImageFileError as e:
            self.report_error(str(e))
            return False
        except MemoryError:
            self.report_error(f"cannot open {Path(path).name}: not enough memory")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.set_document(doc, project)
        self.canvas.setFocus()
        self._remember_recent(path)
        message = f"Opened {Path(path).name}"
        self.statusBar().showMessage("; ".join([message] + notes), 10000)
        return True

    def save_project(self) -> bool:
        if self.doc is None:
            return False
        if self.project_path is None:
            return self.save_project_as()
        return self._save_project_to(self.project_path)

    def save_project_as(self) -> bool:
        if self.doc is None:
            return False
        base = self.project_path or self.doc.source_path or "untitled"
        default = str(Path(base).with_suffix(PROJECT_EXTENSION))
        path, _ = QFileDialog.getSaveFileName(self, "Save project", default,
                                              f"Projects (*{PROJECT_EXTENSION})")
        if not path:
            return False
        if not path.lower().endswith(PROJECT_EXTENSION):
            path += PROJECT_EXTENSION
        return self._save_project_to(path)

    def _save_project_to(self, path: str) -> bool:
        try:
            save_project(self.doc, path)
        except ImageFileError as e:
            self.report_error(str(e))
            return False
        self.project_path = path
        self.undo_stack.setClean()
        self.setWindowFilePath(path)
        self.setWindowTitle(f"{Path(path).name}[*] - Inpaint Desktop")
        self._remember_recent(path)
        self.statusBar().showMessage(f"Saved {Path(path).name}", 5000)
        return True

    def export_dialog(self) -> None:
        if self.doc is None:
            return
        src = Path(self.doc.source_path or self.project_path or "untitled.png")
        suffix = ".jpg" if src.suffix.lower() in (".jpg", ".jpeg") else ".png"
        default = str(src.with_name(f"{src.stem}-edited{suffix}"))
        path, _ = QFileDialog.getSaveFileName(
            self, "Export image", default, "PNG image (*.png);;JPEG image (*.jpg *.jpeg)")
        if not path:
            return
        s = settings()
        quality = int(s.value("export/quality", 92))
        strip = s.value("export/strip_location", False) in (True, "true")
        located = has_location(self.doc.exif)
        if needs_options(path, located):
            dialog = ExportOptionsDialog(path, quality=quality, has_location=located,
                                         strip_location=strip, parent=self)
            if dialog.exec() != QDialog.Accepted:
                return
            quality, strip = dialog.quality(), dialog.strip_location()
            s.setValue("export/quality", quality)
            if located:
                s.setValue("export/strip_location", strip)
        self.export_to(path, quality, strip_location=strip)

    def export_to(self, path: str, quality: int = 92, strip_location: bool = False) -> bool:
        try:
            export_document(self.doc, path, quality=quality, strip_location=strip_location)
        except ImageFileError as e:
            self.report_error(str(e))
            return False
        self.statusBar().showMessage(f"Exported {Path(path).name}", 5000)
        return True

    # --- masks and the clipboard -------------------------------------------------------------
    def import_mask_dialog(self) -> None:
        if self.doc is None:
            return
        start = os.path.dirname(self.doc.source_path or self.project_path or "")
        path, _ = QFileDialog.getOpenFileName(self, "Import mask", start,
                                              f"{MASK_FILTER};;{OPEN_FILTER}")
        if path:
            self._transfer(transfer.import_mask, self.doc, self.undo_stack, path)

    def export_mask_dialog(self) -> None:
        if self.doc is None:
            return
        src = Path(self.doc.source_path or self.project_path or "untitled.png")
        default = str(src.with_name(f"{src.stem}-mask.png"))
        path, _ = QFileDialog.getSaveFileName(self, "Export mask", default, MASK_FILTER)
        if path:
            self._transfer(transfer.export_mask, self.doc, path)

    def copy_image(self) -> bool:
        return self.doc is not None and self._transfer(transfer.copy_image, self.doc)

    def paste_image(self, as_new: bool = False) -> bool:
        """A new layer on the open picture; a new image when none is open (or asked for)."""
        try:
            pasted = transfer.clipboard_image()
        except ImageFileError as e:
            self.report_error(str(e))
            return False
        if pasted is None:
            self._show_status("The clipboard holds no picture")
            return False
        if self.doc is not None and not as_new:
            self._show_status(transfer.paste_as_layer(self.doc, self.undo_stack, *pasted))
            return True
        if not self.confirm_discard():
            return False
        self.set_document(transfer.new_document(*pasted))
        self.undo_stack.resetClean()  # no file holds it yet: closing asks to save it
        self.setWindowModified(True)
        h, w = pasted[0].shape[:2]
        self._show_status(f"Pasted a new {w} x {h} image")
        return True

    def _transfer(self, fn, *args) -> bool:
        try:
            message = fn(*args)
        except ImageFileError as e:
            self.report_error(str(e))
            return False
        self._show_status(message)
        return True

    def confirm_discard(self) -> bool:
        """True when it is fine to replace the current document (saved or discarded)."""
        if self.doc is None or self.undo_stack.isClean():
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.Save:
            return self.save_project()
        return answer == QMessageBox.Discard

    def ask_save_changes(self):
        name = Path(self.project_path or self.doc.source_path or "Untitled").name
        return QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {name} as a project?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)

    # --- training --------------------------------------------------------------------------
    def open_train_dialog(self):
        if self.train_dialog is None:
            from inpaint_desktop.widgets.train_dialog import TrainDialog

            self.train_dialog = TrainDialog(self)
            self.train_dialog.modelsChanged.connect(self._on_models_changed)
            self.train_dialog.process.progress.connect(self._on_training_progress)
            self.train_dialog.idle.connect(self.training_button.hide)
        self.train_dialog.show()
        self.train_dialog.raise_()
        self.train_dialog.activateWindow()
        return self.train_dialog

    def _on_training_progress(self, _line: dict) -> None:
        view, spec = self.train_dialog.view, self.train_dialog.current
        if spec is None:
            return
        text = f"Training {spec.name}: {view.progress_bar.value() / 10:.0f} %"
        if view.time_label.text():
            text += f", {view.time_label.text()}"
        self.training_button.setText(text)
        self.training_button.show()

    def open_models_dialog(self):
        if self.models_dialog is None:
            from inpaint_desktop.widgets.models_dialog import ModelsDialog

            self.models_dialog = ModelsDialog(self)
            self.models_dialog.modelsChanged.connect(self._on_models_changed)
        else:
            self.models_dialog.refresh()
        self.models_dialog.show()
        self.models_dialog.raise_()
        return self.models_dialog

    # --- help --------------------------------------------------------------------------------
    def open_shortcuts(self) -> ShortcutsDialog:
        rows = menu_rows(self.menuBar()) + tool_rows(self.tool_actions, TOOL_KEYS) + CANVAS_KEYS
        dialog = ShortcutsDialog(rows, self)  # built anew: it shows today's shortcuts
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
        dialog.search.setFocus()
        return dialog

    def open_about(self) -> AboutDialog:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _on_models_changed(self) -> None:
        self.engine_panel.refresh_engines()
        self.restore_panel.refresh_detectors()
        if self.models_dialog is not None and self.models_dialog.isVisible():
            self.models_dialog.refresh()

    def is_training(self) -> bool:
        return self.train_dialog is not None and self.train_dialog.is_training()

    def ask_close_while_training(self) -> str:
        """"background", "stop" or "cancel" (tests replace this, as ask_save_changes)."""
        from inpaint_desktop.widgets.train_dialog import ask_close_while_training

        return ask_close_while_training(self)

    def _training_allows_close(self) -> bool:
        """True to close now. Otherwise the trainer first saves its result (and, for the
        background, hands the run over to a detached process); the window closes after."""
        if not self.is_training():
            return True
        answer = self.ask_close_while_training()
        if answer not in ("background", "stop"):
            return False
        self._close_approved = True
        self.train_dialog.idle.connect(self.close)
        self.hide()
        self.train_dialog.hide()
        if answer == "background":
            self.train_dialog.continue_in_background()
        else:
            self.train_dialog.stop(closing=True)
        return False

    def report_error(self, message: str) -> None:
        """Show a one-line error without blocking (the window stays usable)."""
        self.last_error = message
        self.statusBar().showMessage(message, 15000)
        box = QMessageBox(QMessageBox.Warning, "Inpaint Desktop", message, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    # --- erase and colorize -------------------------------------------------------------
    def erase(self) -> bool:
        self._finish_tool()
        return self.jobs.erase()

    def colorize(self) -> bool:
        self._finish_tool()
        return self.jobs.colorize()

    def show_original(self, on: bool) -> None:
        """Before/after: show only the bottom layer (the photo as opened) in the view."""
        backing = self.canvas.backing()
        if backing is None or backing.base_only == bool(on):
            return
        backing.base_only = bool(on)
        box = None
        for layer in self.doc.layers[1:]:
            box = union(box, layer.bbox)
        if box is not None:
            backing.update_image(box)
            self.canvas.update()
        if self.compare_action.isChecked() != bool(on):
            self.compare_action.setChecked(bool(on))
        if on:
            self.statusBar().showMessage("Showing the original photo", 2000)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Backslash and not event.isAutoRepeat():
            self.show_original(True)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Backslash and not event.isAutoRepeat():
            self.show_original(False)
            return
        super().keyReleaseEvent(event)

    def clear_hints(self) -> bool:
        if self.doc is None:
            return False
        return push_edit(self.undo_stack, self.doc, hint_edits.clear_hints(self.doc))

    # --- mask operations ------------------------------------------------------------
    def mask_op(self, op, *args) -> bool:
        if self.doc is None:
            return False
        if not push_edit(self.undo_stack, self.doc, op(self.doc, *args)):
            self.statusBar().showMessage("The mask is unchanged", 3000)
            return False
        return True

    def adjust_mask(self, kind: str) -> MaskAdjustDialog | None:
        """Grow, shrink or feather, previewed on the canvas while the value changes."""
        if self.doc is None:
            return None
        self._finish_tool()
        key = f"mask/{kind}_px"
        dialog = MaskAdjustDialog(self.doc, self.undo_stack, kind,
                                  int(settings().value(key, 8)), self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: settings().setValue(key, dialog.value()))
        dialog.open()
        return dialog

    # --- window events ---------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            # Open after the drop returns, so the drag source is not kept waiting.
            QTimer.singleShot(0, lambda: self.open_path(files[0]))

    def _close_when_idle(self, busy: bool) -> None:
        if not busy:
            self.jobs.busyChanged.disconnect(self._close_when_idle)
            QTimer.singleShot(0, self.close)

    def closeEvent(self, event) -> None:
        if self._close_approved:
            if self.is_training():  # still saving its result: the window closes after
                event.ignore()
                return
        elif not self.confirm_discard() or not self._training_allows_close():
            event.ignore()
            return
        if self.jobs.is_busy():
            # Cancel the job and close once the inference thread has stopped (the engines
            # check the cancel token between model calls, well within a second). Waiting here
            # would freeze the window; closing now would destroy a running QThread.
            self._close_approved = True
            self.hide()
            self.jobs.busyChanged.connect(self._close_when_idle)
            self.jobs.cancel()
            event.ignore()
            return
        self._save_settings()
        self.jobs.shutdown()  # stops the (idle) inference thread
        if self.train_dialog is not None:
            self.train_dialog.shutdown()
        event.accept()
