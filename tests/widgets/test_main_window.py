"""The main window: files, recent list, drag and drop, mask menu, undo keys, settings."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from inpaint_desktop.document import masking
from inpaint_desktop.document.image_io import load_image
from inpaint_desktop.widgets.main_window import MainWindow


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    path = tmp_path / "holiday.png"
    Image.fromarray(arr).save(path)
    return path, arr


@pytest.fixture
def window(qtbot, isolated_settings, monkeypatch):
    w = MainWindow()
    # pytest-qt closes the window before fixtures tear down: answer "discard" then.
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    qtbot.addWidget(w)
    w.resize(900, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_open_image_shows_it(window, photo):
    path, arr = photo
    assert window.open_path(str(path))
    assert window.doc is not None and (window.doc.width, window.doc.height) == (120, 90)
    assert np.array_equal(window.doc.composite(), arr)
    assert "holiday.png" in window.windowTitle()
    assert window.recent_files()[0] == str(path)


@pytest.mark.parametrize("content", [b"", b"this is not an image", None])
def test_bad_file_reports_and_keeps_current_work(window, photo, tmp_path, content):
    path, _ = photo
    window.open_path(str(path))
    doc = window.doc
    bad = tmp_path / "broken.jpg"
    if content is None:  # a truncated JPEG
        Image.fromarray(np.zeros((200, 200, 3), np.uint8) + 90).save(tmp_path / "full.jpg")
        data = (tmp_path / "full.jpg").read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    else:
        bad.write_bytes(content)
    assert not window.open_path(str(bad))
    assert window.doc is doc
    assert "broken.jpg" in window.last_error and "\n" not in window.last_error
    assert "broken.jpg" in window.statusBar().currentMessage()


def test_missing_project_parts_report_error(window, tmp_path):
    import zipfile

    bad = tmp_path / "bad.inpaint"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("project.json", '{"format": "inpaint-desktop-project", "version": 1}')
    assert not window.open_path(str(bad))
    assert window.doc is None and "bad.inpaint" in window.last_error


def test_project_round_trip_restores_layers_and_mask(window, photo, tmp_path):
    path, arr = photo
    window.open_path(str(path))
    window.layers_panel.duplicate_action.trigger()
    window.mask_op(masking.select_all)
    assert window.isWindowModified()
    project = tmp_path / "work.inpaint"
    assert window._save_project_to(str(project))
    assert not window.isWindowModified()
    names = [la.name for la in window.doc.layers]
    window.set_document(None)
    assert window.open_path(str(project))
    assert [la.name for la in window.doc.layers] == names
    assert (window.doc.mask == 255).all()
    assert window.project_path == str(project)


def test_export_writes_png_and_never_overwrites_the_source(window, photo, tmp_path):
    path, arr = photo
    window.open_path(str(path))
    before = path.read_bytes()
    assert not window.export_to(str(path))
    assert path.read_bytes() == before and window.last_error
    out = tmp_path / "out.png"
    assert window.export_to(str(out))
    assert np.array_equal(load_image(out).pixels, arr)
    jpg = tmp_path / "out.jpg"
    assert window.export_to(str(jpg), quality=80)
    assert load_image(jpg).pixels.shape == arr.shape


def test_mask_menu_operations_are_undoable_with_keys(window, photo, qtbot):
    window.open_path(str(photo[0]))
    window.canvas.setFocus()
    window.select_all_action.trigger()
    assert (window.doc.mask == 255).all()
    window.invert_action.trigger()
    assert not window.doc.mask.any()
    qtbot.keyClick(window.canvas, Qt.Key_Z, Qt.ControlModifier)
    assert (window.doc.mask == 255).all()
    qtbot.keyClick(window.canvas, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert not window.doc.mask.any()
    qtbot.keyClick(window.canvas, Qt.Key_Z, Qt.ControlModifier)
    qtbot.keyClick(window.canvas, Qt.Key_Y, Qt.ControlModifier)
    assert not window.doc.mask.any()
    window.doc.mask[40:50, 50:70] = 255  # as if painted
    assert window.mask_op(masking.grow, -3)
    assert window.doc.mask[41, 60] == 0 and window.doc.mask[45, 60] == 255


def test_nothing_to_change_pushes_nothing(window, photo):
    window.open_path(str(photo[0]))
    window.clear_mask_action.trigger()
    assert window.undo_stack.count() == 0


def test_brush_stroke_through_window_is_one_undo_step(window, photo, qtbot):
    window.open_path(str(photo[0]))
    window.canvas.set_tool("brush")
    window.canvas.set_brush_size(10)
    c = window.canvas
    start = c.map_from_image(QPointF(20, 45)).toPoint()
    end = c.map_from_image(QPointF(100, 45)).toPoint()
    qtbot.mousePress(c, Qt.LeftButton, pos=start)
    for t in np.linspace(0, 1, 8):
        p = QPointF(start + (end - start) * float(t))
        ev = QMouseEvent(QMouseEvent.MouseMove, p, c.mapToGlobal(p), Qt.NoButton,
                         Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(c, ev)
    qtbot.mouseRelease(c, Qt.LeftButton, pos=end)
    assert window.doc.mask[45, 60] == 255
    assert window.undo_stack.count() == 1
    assert window.isWindowModified()


def test_drop_a_file_opens_it(window, photo, qtbot):
    path, _ = photo
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.doc is not None, timeout=3000)
    assert Path(window.doc.source_path).name == "holiday.png"


def test_unsaved_changes_are_asked_about(window, photo, monkeypatch):
    window.open_path(str(photo[0]))
    window.select_all_action.trigger()
    monkeypatch.setattr(window, "ask_save_changes", lambda: QMessageBox.Cancel)
    assert not window.open_path(str(photo[0]))
    assert window.undo_stack.count() == 1  # the work is still there
    monkeypatch.setattr(window, "ask_save_changes", lambda: QMessageBox.Discard)
    assert window.open_path(str(photo[0]))
    assert window.undo_stack.count() == 0


def test_close_with_unsaved_changes_can_be_cancelled(window, photo, monkeypatch):
    window.open_path(str(photo[0]))
    window.select_all_action.trigger()
    monkeypatch.setattr(window, "ask_save_changes", lambda: QMessageBox.Cancel)
    assert not window.close()
    assert window.isVisible()
    monkeypatch.setattr(window, "ask_save_changes", lambda: QMessageBox.Discard)
    assert window.close()
    assert not window.jobs.worker._thread.isRunning()


def test_geometry_and_recent_files_are_remembered(qtbot, isolated_settings, photo):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(760, 760)  # above the minimum height (docks and two tool bar rows)
    w.show()
    w.open_path(str(photo[0]))
    assert w.close()
    w2 = MainWindow()
    qtbot.addWidget(w2)
    assert (w2.width(), w2.height()) == (760, 760)
    assert w2.recent_files() == [str(photo[0])]
    assert w2.recent_menu.actions()[0].text() == "holiday.png"


def test_zoom_actions_and_status(window, photo):
    window.open_path(str(photo[0]))
    window.actual_size_action.trigger()
    assert window.canvas.zoom() == pytest.approx(1.0)
    assert window.zoom_label.text() == "100 %"
    window.zoom_in_action.trigger()
    assert window.canvas.zoom() > 1.0


def test_tool_shortcuts_switch_tools(window, photo, qtbot):
    window.open_path(str(photo[0]))
    window.canvas.setFocus()
    for key, name in ((Qt.Key_L, "lasso"), (Qt.Key_E, "eraser"), (Qt.Key_M, "rectangle"),
                      (Qt.Key_P, "polygon"), (Qt.Key_B, "brush")):
        qtbot.keyClick(window.canvas, key)
        assert window.canvas.tool_name() == name
        assert window.tool_actions[name].isChecked()
    size = window.canvas.brush_size()
    qtbot.keyClick(window.canvas, Qt.Key_BracketRight)
    assert window.canvas.brush_size() > size
    assert window.tool_options.size_box.value() == window.canvas.brush_size()


def test_undo_during_a_stroke_ends_it_first(window, photo, qtbot):
    window.open_path(str(photo[0]))
    window.select_all_action.trigger()
    window.clear_mask_action.trigger()  # two steps to undo already
    c = window.canvas
    c.set_tool("brush")
    start = c.map_from_image(QPointF(20, 45)).toPoint()
    end = c.map_from_image(QPointF(60, 45))
    qtbot.mousePress(c, Qt.LeftButton, pos=start)
    QApplication.sendEvent(c, QMouseEvent(QMouseEvent.MouseMove, end, c.mapToGlobal(end),
                                          Qt.NoButton, Qt.LeftButton, Qt.NoModifier))
    assert window.doc.mask.any()
    window.undo_action.trigger()
    assert not window.doc.mask.any() and window.undo_stack.index() == 2
    qtbot.mouseRelease(c, Qt.LeftButton, pos=end.toPoint())
    assert window.undo_stack.count() == 3  # the release adds nothing more
    window.redo_action.trigger()
    assert window.doc.mask.any()
    assert "Brush" in window.undo_action.text()


def camera_jpeg(path, orientation=6):
    """A camera-like JPEG: make, date, GPS position, and a sideways orientation."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0132] = "2021:06:05 14:03:00"
    exif[0x0112] = orientation
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 30.0, 0.0), 3: "E", 4: (4.0, 53.0, 0.0)})
    arr = np.random.default_rng(3).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(arr).save(path, exif=exif.tobytes(), quality=95)
    return path


def on_next_modal(handler):
    """Run handler(dialog) once the next modal dialog's event loop runs. A failing handler
    still closes the dialog, so that the test fails instead of hanging."""
    from PySide6.QtCore import QTimer

    def run():
        dialog = QApplication.activeModalWidget()
        try:
            handler(dialog)
        finally:
            if dialog is not None and dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, run)


def export_via_dialog(window, qtbot, monkeypatch, out, strip: bool):
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))

    def answer(dialog):
        assert dialog.strip_box.isEnabled()
        if dialog.strip_box.isChecked() != strip:
            qtbot.mouseClick(dialog.strip_box, Qt.LeftButton,
                             pos=QPoint(8, dialog.strip_box.height() // 2))
        qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)

    on_next_modal(answer)
    window.export_action.trigger()


def test_exif_survives_project_and_export_and_location_can_be_stripped(
        window, tmp_path, qtbot, monkeypatch):
    src = camera_jpeg(tmp_path / "IMG_0001.jpg")
    assert window.open_path(str(src))
    assert (window.doc.width, window.doc.height) == (40, 60)  # turned upright
    window.select_all_action.trigger()
    project = tmp_path / "work.inpaint"
    assert window._save_project_to(str(project))
    window.set_document(None)
    assert window.open_path(str(project))

    for name, strip in (("kept.jpg", False), ("stripped.jpg", True)):
        export_via_dialog(window, qtbot, monkeypatch, tmp_path / name, strip)
        with Image.open(tmp_path / name) as im:
            exif = im.getexif()
            assert exif[0x010F] == "TestCam" and exif[0x0132] == "2021:06:05 14:03:00"
            assert exif[0x0112] == 1  # the pixels are upright already
            assert bool(exif.get_ifd(0x8825)) == (not strip)


def inside_window(window, widget) -> bool:
    """Shown, and wholly inside the window (not clipped away, not behind an overflow)."""
    if not widget.isVisible():
        return False
    top_left = widget.mapTo(window, widget.rect().topLeft())
    bottom_right = widget.mapTo(window, widget.rect().bottomRight())
    return window.rect().contains(top_left) and window.rect().contains(bottom_right)


def test_every_tools_options_visible_at_1280_by_820(qtbot, isolated_settings, photo,
                                                     monkeypatch):
    from PySide6.QtWidgets import QToolBar, QToolButton

    from inpaint_desktop.commands import push_edit

    w = MainWindow()  # no saved geometry: the default size
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)  # shortcuts need it active
    assert (w.width(), w.height()) == (1280, 820)
    w.open_path(str(photo[0]))
    opts = w.tool_options
    expected = {
        "brush": [opts.size_box, opts.hardness, opts.color_button, opts.opacity],
        "eraser": [opts.size_box, opts.hardness, opts.color_button, opts.opacity],
        "lasso": [opts.color_button, opts.opacity],
        "polygon": [opts.color_button, opts.opacity],
        "rectangle": [opts.color_button, opts.opacity],
        "object": [opts.color_button, opts.opacity],
        "wand": [opts.tolerance, opts.contiguous, opts.color_button, opts.opacity],
        "hint": [opts.hint_button],
    }
    keys = {"brush": Qt.Key_B, "eraser": Qt.Key_E, "lasso": Qt.Key_L, "polygon": Qt.Key_P,
            "rectangle": Qt.Key_M, "object": Qt.Key_O, "wand": Qt.Key_W, "hint": Qt.Key_C}
    w.canvas.setFocus()
    for name, widgets in expected.items():
        qtbot.keyClick(w.canvas, keys[name])
        assert w.canvas.tool_name() == name
        QApplication.processEvents()  # the tool bar lays itself out again
        for widget in widgets:
            assert inside_window(w, widget), (name, widget.toolTip())
        assert inside_window(w, opts.keys_label) and opts.keys_label.text().strip()
        if name != "hint":
            assert not opts.hint_button.isVisible()  # only the active tool's options
    for bar in w.findChildren(QToolBar):
        ext = bar.findChild(QToolButton, "qt_toolbar_ext_button")
        assert ext is None or not ext.isVisible(), f"{bar.windowTitle()} overflows"

    toolbar = w.findChild(QToolBar, "tools")
    undo_button = toolbar.widgetForAction(w.undo_action)
    push_edit(w.undo_stack, w.doc, masking.select_all(w.doc),
              "Opacity of 'Colorize 2 (Hint colorizer (default))' and much more text")
    qtbot.wait(0)
    assert undo_button.width() <= 48
    assert "Opacity of 'Colorize 2" in undo_button.toolTip()
    assert "Ctrl+Z" in undo_button.toolTip()
    for bar in w.findChildren(QToolBar):
        ext = bar.findChild(QToolButton, "qt_toolbar_ext_button")
        assert ext is None or not ext.isVisible(), f"{bar.windowTitle()} overflows"


def test_tooltips_name_shortcuts_and_modifiers(window):
    assert "Ctrl+Z" in window.undo_action.toolTip()
    assert "Ctrl+Shift+Z" in window.redo_action.toolTip()
    assert "(L)" in window.tool_actions["lasso"].toolTip()
    assert "Ctrl (or Alt) subtracts" in window.tool_actions["lasso"].toolTip()
    assert "Ctrl (or Alt)+click" in window.tool_actions["hint"].toolTip()
    assert "Ctrl+E" in window.export_action.toolTip()


def test_help_lists_the_real_shortcuts_searchably(window, qtbot):
    from PySide6.QtGui import QKeySequence

    from inpaint_desktop.widgets.help_dialog import ShortcutsDialog

    window.invert_action.setShortcut(QKeySequence("Ctrl+Alt+J"))  # read from the actions
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window.canvas, Qt.Key_F1)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    rows = dialog.visible_rows()
    assert ("Edit", "Undo", "Ctrl+Z") in rows
    assert ("Mask", "Invert mask", "Ctrl+Alt+J") in rows
    assert ("Tools", "Lasso", "L") in rows
    assert any("Ctrl (or Alt) subtracts" in keys for _m, _c, keys in rows)
    assert not any(menu.startswith("File > Open recent") for menu, _c, _k in rows)
    qtbot.keyClicks(dialog.search, "ctrl+d")
    assert dialog.visible_rows() == [("Mask", "Clear mask", "Ctrl+D")]
    dialog.search.clear()
    qtbot.keyClicks(dialog.search, "grow mask")
    assert [c for _m, c, _k in dialog.visible_rows()] == ["Grow mask"]


def test_about_names_versions_and_folders(window, trainer_env):
    from importlib import metadata

    from PySide6.QtCore import qVersion

    from inpaint_desktop.widgets.help_dialog import AboutDialog

    models_dir, runs_dir = trainer_env
    window.about_action.trigger()
    dialog = window.findChild(AboutDialog)
    text = dialog.label.text()
    assert qVersion() in text and metadata.version("torch") in text
    assert metadata.version("inpaint-desktop") in text
    assert str(models_dir) in text and str(runs_dir) in text


def test_import_and_export_mask(window, photo, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window.open_path(str(photo[0]))
    strokes = np.zeros((90, 120, 4), np.uint8)  # white strokes on a transparent layer
    strokes[20:40, 30:70] = 255
    Image.fromarray(strokes, "RGBA").save(tmp_path / "strokes.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(tmp_path / "strokes.png"), ""))
    window.import_mask_action.trigger()
    expected = np.zeros((90, 120), np.uint8)
    expected[20:40, 30:70] = 255
    assert np.array_equal(window.doc.mask, expected)
    assert window.undo_stack.count() == 1  # one step
    window.undo_action.trigger()
    assert not window.doc.mask.any()
    window.redo_action.trigger()

    Image.fromarray(np.full((60, 80), 255, np.uint8)).save(tmp_path / "small.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(tmp_path / "small.png"), ""))
    window.import_mask_action.trigger()
    assert "small.png" in window.last_error and "80 x 60" in window.last_error
    assert "120 x 90" in window.last_error
    assert np.array_equal(window.doc.mask, expected) and window.undo_stack.count() == 1

    window.doc.mask[50:52, :] = 128  # soft values survive as grays
    out = tmp_path / "exported"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.export_mask_action.trigger()
    from inpaint_desktop.document.image_io import load_mask

    assert np.array_equal(load_mask(tmp_path / "exported.png"), window.doc.mask)


def test_paste_as_new_image_then_as_layer_and_copy(window, qtbot):
    from PySide6.QtGui import QImage

    rng = np.random.default_rng(5)
    pasted = np.ascontiguousarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8))
    image = QImage(pasted.data, 40, 30, 120, QImage.Format_RGB888).copy()
    QApplication.clipboard().setImage(image)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key_V, Qt.ControlModifier)  # no picture open: new image
    assert window.doc is not None and np.array_equal(window.doc.composite(), pasted)
    assert window.isWindowModified() and not window.undo_stack.isClean()

    small = np.ascontiguousarray(np.full((10, 20, 3), 200, np.uint8))
    QApplication.clipboard().setImage(QImage(small.data, 20, 10, 60,
                                             QImage.Format_RGB888).copy())
    qtbot.keyClick(window.canvas, Qt.Key_V, Qt.ControlModifier)  # open: a layer
    assert [la.name for la in window.doc.layers] == ["Background", "Pasted"]
    assert window.doc.layers[1].bbox == (10, 10, 30, 20)  # centred
    assert window.undo_stack.count() == 1
    assert "new layer" in window.statusBar().currentMessage()

    qtbot.keyClick(window.canvas, Qt.Key_C, Qt.ControlModifier)
    copied = QApplication.clipboard().image().convertToFormat(QImage.Format_RGB888)
    assert (copied.width(), copied.height()) == (40, 30)
    from inpaint_desktop.canvas.render import array_view

    assert np.array_equal(array_view(copied, 3), window.doc.composite())
    window.undo_action.trigger()
    assert len(window.doc.layers) == 1


@pytest.mark.parametrize("kind, op, value", [("grow", masking.grown, 5),
                                             ("shrink", lambda m, v: masking.grown(m, -v), 3),
                                             ("feather", masking.feathered, 6)])
def test_grow_shrink_feather_preview_live(window, photo, qtbot, kind, op, value):
    from inpaint_desktop.widgets.mask_preview import MaskAdjustDialog

    window.open_path(str(photo[0]))
    window.doc.mask[30:60, 40:80] = 255  # as if painted
    original = window.doc.mask.copy()
    repaints = []
    window.doc.add_listener(lambda change: repaints.append(change.mask))
    action = {"grow": window.grow_action, "shrink": window.shrink_action,
              "feather": window.feather_action}[kind]

    action.trigger()
    dialog = window.findChild(MaskAdjustDialog)
    qtbot.waitExposed(dialog)
    dialog.spin.selectAll()
    qtbot.keyClicks(dialog.spin, str(value))
    # the canvas already shows the result, and nothing is in the undo history yet
    assert np.array_equal(window.doc.mask, op(original, value)) and repaints[-1]
    assert window.undo_stack.count() == 0
    qtbot.mouseClick(dialog.cancel_button, Qt.LeftButton)
    assert np.array_equal(window.doc.mask, original) and window.undo_stack.count() == 0

    action.trigger()
    dialog = window.findChildren(MaskAdjustDialog)[-1]
    qtbot.waitExposed(dialog)
    dialog.spin.selectAll()
    qtbot.keyClicks(dialog.spin, str(value))
    qtbot.keyClick(dialog.spin, Qt.Key_Up)  # the arrow keys preview too
    assert np.array_equal(window.doc.mask, op(original, value + 1))
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    result = op(original, value + 1)
    assert np.array_equal(window.doc.mask, result) and window.undo_stack.count() == 1
    window.undo_action.trigger()
    assert np.array_equal(window.doc.mask, original)
    window.redo_action.trigger()
    assert np.array_equal(window.doc.mask, result)
