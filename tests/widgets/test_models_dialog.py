"""Train > Models: the user's models can be renamed, deleted and exported; bundled ones not."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

import models.learned
from inpaint_desktop.model_files import ModelFileError, rename_model
from inpaint_desktop.widgets.models_dialog import ModelsDialog
from tests.widgets.fake_trainer import safetensors_bytes


def make_model(folder, name: str, task: str = "inpaint", **card) -> None:
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    data = safetensors_bytes()
    (folder / f"{name}.safetensors").write_bytes(data)
    arch = "ffc_unet" if task == "inpaint" else "hint_colorizer"
    (folder / f"{name}.json").write_text(json.dumps({
        "architecture": arch, "task": task, "name": name, "config": {},
        "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
        "weights": f"{name}.safetensors", "parameters": 2_500_000,
        "training": {"steps": 1200, "train_photos": 40},
        "metrics": {"val_last": {"val_psnr": 23.31}}, **card}))


@pytest.fixture
def folders(trainer_env, tmp_path, monkeypatch):
    user, _ = trainer_env
    bundled = tmp_path / "bundled"
    monkeypatch.setattr(models.learned, "bundled_folder", lambda: bundled)
    make_model(user, "album")
    make_model(user, "colours", task="colorize")
    make_model(bundled, "shipped")
    models.learned.discover()
    yield user, bundled
    monkeypatch.undo()  # the bundled folder first, then the registry is re-read


@pytest.fixture
def dialog(qtbot, folders):
    d = ModelsDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    changed = []
    d.modelsChanged.connect(lambda: changed.append(1))
    d.changed = changed
    return d


def rows(d) -> list[tuple[str, ...]]:
    t = d.table
    return [tuple(t.item(r, c).text() for c in range(4)) for r in range(t.rowCount())]


def test_lists_users_models_then_bundled_ones(dialog):
    assert rows(dialog) == [
        ("album", "erase", "FFC U-Net", "yours"),
        ("colours", "colorize", "Hint colorizer", "yours"),
        ("shipped", "erase", "FFC U-Net", "bundled (read-only)"),
    ]
    about = dialog.table.item(0, 4).text()
    assert "2.5 M parameters" in about and "trained 1200 steps" in about and "23.31" in about


def test_rename_by_editing_the_name(qtbot, dialog, folders):
    user, _ = folders
    assert dialog.select("album")
    qtbot.mouseClick(dialog.rename_button, Qt.LeftButton)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "album"
    qtbot.keyClick(editor, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(editor, "summer")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: bool(dialog.changed), timeout=3000)
    assert not (user / "album.safetensors").exists() and not (user / "album.json").exists()
    card = json.loads((user / "summer.json").read_text())
    assert card["name"] == "summer" and card["weights"] == "summer.safetensors"
    assert (user / "summer.safetensors").is_file()
    assert "summer" in {m.name for m in models.learned.discovered()}
    assert dialog.selected().name == "summer"


def test_rename_to_a_taken_name_is_refused(qtbot, dialog, folders):
    user, _ = folders
    dialog.select("album")
    dialog.table.item(dialog.table.currentRow(), 0).setText("colours")
    assert "exists already" in dialog.message.text()
    qtbot.waitUntil(lambda: rows(dialog)[0][0] == "album", timeout=3000)
    assert (user / "album.safetensors").is_file() and not dialog.changed
    with pytest.raises(ModelFileError):
        rename_model(user / "album.safetensors", "../escape")


def test_delete_asks_first(qtbot, dialog, folders, monkeypatch):
    user, _ = folders
    dialog.select("colours")
    monkeypatch.setattr(dialog, "confirm_delete", lambda name: False)
    qtbot.mouseClick(dialog.delete_button, Qt.LeftButton)
    assert (user / "colours.safetensors").exists()
    asked = []
    monkeypatch.setattr(dialog, "confirm_delete", lambda name: asked.append(name) or True)
    qtbot.mouseClick(dialog.delete_button, Qt.LeftButton)
    assert asked == ["colours"]
    assert not (user / "colours.safetensors").exists() and not (user / "colours.json").exists()
    assert [r[0] for r in rows(dialog)] == ["album", "shipped"] and dialog.changed


def test_export_copies_weights_and_card_and_never_overwrites(qtbot, dialog, tmp_path,
                                                             monkeypatch):
    out = tmp_path / "usb"
    out.mkdir()
    monkeypatch.setattr(dialog, "ask_export_folder", lambda: str(out))
    dialog.select("album")
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    assert sorted(p.name for p in out.iterdir()) == ["album.json", "album.safetensors"]
    assert "Exported" in dialog.message.text()
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    assert "already has" in dialog.message.text()


def test_bundled_models_are_read_only(qtbot, dialog, folders, tmp_path, monkeypatch):
    _, bundled = folders
    dialog.select("shipped")
    assert not dialog.rename_button.isEnabled() and not dialog.delete_button.isEnabled()
    assert "read-only" in dialog.rename_button.toolTip()
    item = dialog.table.item(dialog.table.currentRow(), 0)
    assert not item.flags() & Qt.ItemIsEditable
    qtbot.keyClick(dialog.table, Qt.Key_F2)  # the edit key does nothing on a bundled row
    assert not isinstance(QApplication.focusWidget(), QLineEdit)
    monkeypatch.setattr(dialog, "ask_export_folder", lambda: str(tmp_path))
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)  # a copy is fine
    assert (tmp_path / "shipped.safetensors").is_file()
    assert sorted(p.name for p in bundled.iterdir()) == ["shipped.json", "shipped.safetensors"]


def test_renaming_refreshes_the_engine_picker(qtbot, folders, isolated_settings, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from inpaint_desktop.widgets.main_window import MainWindow

    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    qtbot.addWidget(w)
    picker = w.engine_panel.inpainter
    assert picker.findData("album") >= 0
    w.models_action.trigger()
    d = w.models_dialog
    d.select("album")
    d.table.item(d.table.currentRow(), 0).setText("winter")
    qtbot.waitUntil(lambda: picker.findData("winter") >= 0, timeout=3000)
    assert picker.findData("album") < 0
