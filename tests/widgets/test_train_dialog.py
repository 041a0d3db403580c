"""Train > Fine-tune on my photos, driven with clicks and keys against the fake trainer."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import models.learned
from inpaint_desktop.widgets.train_dialog import (
    CANCEL_CLOSE,
    KEEP_TRAINING,
    STOP_TRAINING,
    TrainDialog,
    ask_close_while_training,
)
from inpaint_desktop.workers.training_process import running_processes
from inpaint_desktop.workers.training_runs import last_event, pid_alive


@pytest.fixture
def dialog(qtbot, trainer_env):
    d = TrainDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    yield d
    d.shutdown()


def click(qtbot, widget) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget
    qtbot.mouseClick(widget, Qt.LeftButton)


def choose_photos(qtbot, d, folder) -> None:
    s = d.setup
    qtbot.keyClicks(s.photos_edit, str(folder))
    qtbot.waitUntil(lambda: all(t in s.scans for t in s.tasks()), timeout=10000)


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(widget, text)


def choose_steps(qtbot, d, steps: int) -> None:
    s = d.setup
    s.budget_combo.setFocus()
    qtbot.keyClicks(s.budget_combo, "A")  # keyboard search: "A number of steps"
    assert s.budget_combo.currentData() is None and s.steps_spin.isVisible()
    type_into(qtbot, s.steps_spin, str(steps))
    assert s.steps_spin.value() == steps


def left_colour(view) -> tuple[int, int, int]:
    image = view.preview_label.pixmap().toImage()
    c = image.pixelColor(image.width() // 2, image.height() // 6)  # the input row
    return c.red(), c.green(), c.blue()


def finished(d) -> bool:
    return not d.is_training() and d.view.summary.isVisible()


def test_scan_counts_photos_and_start_waits_for_enough(qtbot, dialog, photos, monkeypatch):
    s = dialog.setup
    assert not s.start_button.isEnabled()
    assert "Choose a folder" in s.problem_label.text()
    choose_photos(qtbot, dialog, photos)
    assert s.scan_label.text() == "6 usable photos found (1 unreadable)"
    assert s.start_button.isEnabled()
    click(qtbot, s.both_radio)  # colorizing skips the black-and-white photo
    qtbot.waitUntil(lambda: "colorize" in s.scans, timeout=10000)
    assert s.scan_label.text() == ("6 usable photos found (1 unreadable, "
                                   "1 monochrome skipped for colorizing)")
    click(qtbot, s.details_button)
    details = [s.details_list.item(i).text() for i in range(s.details_list.count())]
    assert any(t.startswith("broken.jpg") for t in details)
    assert any("grandma.png" in t and "colorizing" in t for t in details)
    assert "= 4 of 6 photos kept out" in s.val_note.text()  # at least 8, but 2 must train

    monkeypatch.setenv("FAKE_TRAINER_NEEDED", "10")
    qtbot.keyClick(s.photos_edit, Qt.Key_Slash)  # another folder name: scanned afresh
    qtbot.keyClick(s.photos_edit, Qt.Key_Backspace)
    qtbot.waitUntil(lambda: all(t in s.scans for t in s.tasks()), timeout=10000)
    assert not s.start_button.isEnabled()
    assert "need at least 10" in s.problem_label.text()


def test_a_run_shows_progress_plot_preview_and_what_improved(qtbot, dialog, photos,
                                                             trainer_env, monkeypatch):
    models_dir, _ = trainer_env
    monkeypatch.setenv("FAKE_TRAINER_MINUTE", "0.1")  # "15 minutes" pass in 1.5 s
    s, v = dialog.setup, dialog.view
    assert s.budget_combo.currentText() == "15 minutes"
    choose_photos(qtbot, dialog, photos)
    with qtbot.waitSignal(dialog.modelsChanged, timeout=15000):
        click(qtbot, s.start_button)
        assert dialog.pages.currentWidget() is v
        qtbot.waitUntil(lambda: v.progress_bar.value() > 0, timeout=10000)
        assert "left" in v.time_label.text()
        assert "5 photos for training" in v.info.text()
        qtbot.waitUntil(lambda: v.preview_path is not None, timeout=10000)
        assert left_colour(v) == (200, 60, 60)
        assert "rows: masked input, result, truth" in v.preview_caption.text()
        # The trainer rewrites the same file: the newer picture must show, not a cached one.
        qtbot.waitUntil(lambda: "Step 12," in v.preview_caption.text(), timeout=10000)
        assert left_colour(v) == (60, 60, 200)
    qtbot.waitUntil(lambda: finished(dialog), timeout=10000)
    steps, losses = v.plot.loss_curve.getData()
    assert len(steps) >= 5 and np.all(np.diff(steps) > 0) and np.all(losses > 0)
    val_steps, psnr = v.plot.val_curve.getData()
    assert val_steps[0] == 0 and len(val_steps) >= 3 and psnr[-1] > psnr[0]
    summary = v.summary.text()
    assert "hole PSNR on your held-out photos: 22.4 -> " in summary
    assert "better" in summary and "“my-photos”" in summary
    assert v.progress_bar.value() == 1000
    assert "my-photos" in {m.name for m in models.learned.discovered()}
    assert (models_dir / "my-photos.safetensors").is_file()
    click(qtbot, v.close_button)
    assert not dialog.isVisible()


def test_stop_keeps_the_result_and_resume_continues_from_the_saved_step(
        qtbot, dialog, photos, trainer_env):
    _, runs_dir = trainer_env
    s, v = dialog.setup, dialog.view
    choose_photos(qtbot, dialog, photos)
    type_into(qtbot, s.name_edit, "album")
    click(qtbot, s.start_button)
    qtbot.waitUntil(lambda: v._step >= 6, timeout=10000)
    click(qtbot, v.stop_button)
    assert (runs_dir / "album" / "STOP").exists()
    qtbot.waitUntil(lambda: finished(dialog), timeout=10000)
    assert not running_processes()
    stopped_at = dialog.results[-1][1]["step"]
    assert f"Stopped at step {stopped_at}" in v.summary.text()
    assert "22.4 -> " in v.summary.text()
    assert (trainer_env[0] / "album.safetensors").is_file()

    click(qtbot, v.new_button)
    assert dialog.pages.currentWidget() is s
    assert s.runs_box.isVisible() and s.runs_list.count() == 1
    assert s.runs_list.item(0).text().startswith(f"album: erasing, step {stopped_at:,}, stopped")
    choose_steps(qtbot, dialog, stopped_at + 4)
    click(qtbot, s.resume_button)
    qtbot.waitUntil(lambda: finished(dialog), timeout=10000)
    argv = json.loads((runs_dir / "album" / "argv.json").read_text())
    assert "--resume" in argv
    assert f"continuing from step {stopped_at:,}" in v.info.text()
    assert dialog.results[-1][1]["step"] == stopped_at + 4
    assert v.plot.loss_curve.getData()[0][0] == stopped_at + 1
    click(qtbot, v.new_button)
    assert s.runs_list.count() == 0 and not s.runs_box.isVisible()  # finished: not listed


def test_a_trainer_error_is_shown(qtbot, dialog, photos, monkeypatch):
    choose_photos(qtbot, dialog, photos)
    monkeypatch.setenv("FAKE_TRAINER_ERROR", "cannot write the checkpoint (disk full)")
    click(qtbot, dialog.setup.start_button)
    qtbot.waitUntil(lambda: finished(dialog), timeout=10000)
    assert dialog.view.summary.text() == (
        "Erasing (“my-photos”) failed: cannot write the checkpoint (disk full)")
    assert dialog.view.new_button.isVisible()


def test_both_tasks_are_two_runs_one_after_the_other(qtbot, dialog, photos, trainer_env):
    models_dir, _ = trainer_env
    s, v = dialog.setup, dialog.view
    click(qtbot, s.both_radio)
    choose_photos(qtbot, dialog, photos)
    choose_steps(qtbot, dialog, 5)
    assert s.run_names() == ["my-photos-erase", "my-photos-colorize"]
    click(qtbot, s.start_button)
    assert "run 1 of 2" in v.title.text()
    qtbot.waitUntil(lambda: "run 2 of 2" in v.title.text(), timeout=10000)
    qtbot.waitUntil(lambda: finished(dialog), timeout=10000)
    summary = v.summary.text()
    assert "Erasing (“my-photos-erase”): hole PSNR" in summary
    assert "Colorizing (“my-photos-colorize”): PSNR on your held-out photos without hints" \
        in summary and "with 10 colour hints: 25.0 -> " in summary
    assert {"my-photos-erase", "my-photos-colorize"} <= \
        {m.name for m in models.learned.discovered()}
    assert len(v.plot.hints_curve.getData()[0]) > 0  # colorizing plots both held-out scores
    assert (models_dir / "my-photos-colorize.json").is_file()


def test_the_name_of_an_existing_model_is_refused(qtbot, dialog, photos, trainer_env):
    models_dir, _ = trainer_env
    models_dir.mkdir(parents=True)
    (models_dir / "mine.safetensors").write_bytes(b"")
    s = dialog.setup
    choose_photos(qtbot, dialog, photos)
    type_into(qtbot, s.name_edit, "mine")
    assert not s.start_button.isEnabled() and "“mine”" not in s.problem_label.text()
    assert 'named "mine" exists' in s.problem_label.text()
    type_into(qtbot, s.name_edit, "a/b")
    assert "letters, digits" in s.problem_label.text()


# --- the main window --------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, trainer_env, monkeypatch):
    from inpaint_desktop.widgets.main_window import MainWindow

    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.train_dialog is not None:
        w.train_dialog.shutdown()


def start_from_menu(qtbot, window, photos, steps: int | None = None) -> TrainDialog:
    window.train_action.trigger()
    d = window.train_dialog
    assert d.isVisible() and not d.isModal()
    choose_photos(qtbot, d, photos)
    if steps is not None:
        choose_steps(qtbot, d, steps)
    click(qtbot, d.setup.start_button)
    return d


def test_the_new_model_appears_in_the_engine_picker(qtbot, window, photos):
    picker = window.engine_panel.inpainter
    assert picker.findData("my-photos") < 0
    d = start_from_menu(qtbot, window, photos, steps=5)
    qtbot.waitUntil(lambda: finished(d), timeout=10000)
    assert picker.findData("my-photos") >= 0
    assert "my-photos" in picker.itemText(picker.findData("my-photos"))
    window.models_action.trigger()
    assert window.models_dialog.select("my-photos")


def test_a_hidden_training_shows_in_the_status_bar_and_a_click_shows_it(qtbot, window, photos):
    d = start_from_menu(qtbot, window, photos)
    button = window.training_button
    click(qtbot, d.view.hide_button)
    assert not d.isVisible()
    qtbot.waitUntil(lambda: button.isVisible() and "%" in button.text(), timeout=10000)
    assert button.text().startswith("Training my-photos: ")
    click(qtbot, button)
    assert d.isVisible()
    d.stop()
    qtbot.waitUntil(lambda: not d.is_training(), timeout=10000)
    assert not button.isVisible()


def test_closing_the_window_during_training_can_be_cancelled(qtbot, window, photos,
                                                             monkeypatch):
    d = start_from_menu(qtbot, window, photos)
    qtbot.waitUntil(lambda: d.view._step > 0, timeout=10000)
    asked = []
    monkeypatch.setattr(window, "ask_close_while_training",
                        lambda: asked.append(1) or CANCEL_CLOSE)
    assert not window.close()
    assert asked and window.isVisible() and d.is_training()
    d.stop()
    qtbot.waitUntil(lambda: not d.is_training(), timeout=10000)


def test_closing_the_window_can_stop_training_and_keep_the_result(qtbot, window, photos,
                                                                  trainer_env, monkeypatch):
    models_dir, runs_dir = trainer_env
    d = start_from_menu(qtbot, window, photos)
    qtbot.waitUntil(lambda: d.view._step > 2, timeout=10000)
    monkeypatch.setattr(window, "ask_close_while_training", lambda: STOP_TRAINING)
    assert not window.close()  # it closes once the trainer has saved
    assert (runs_dir / "my-photos" / "STOP").exists()
    assert not window.isVisible()
    qtbot.waitUntil(lambda: not running_processes(), timeout=10000)
    qtbot.waitUntil(lambda: window.jobs.worker._thread.isFinished(), timeout=10000)
    assert d.results[-1][1]["reason"] == "stop"
    assert (models_dir / "my-photos.safetensors").is_file()


def test_closing_the_window_can_keep_training_in_the_background(qtbot, window, photos,
                                                                trainer_env, monkeypatch):
    models_dir, runs_dir = trainer_env
    d = start_from_menu(qtbot, window, photos, steps=30)
    qtbot.waitUntil(lambda: d.view._step > 2, timeout=10000)
    monkeypatch.setattr(window, "ask_close_while_training", lambda: KEEP_TRAINING)
    assert not window.close()
    qtbot.waitUntil(lambda: window.jobs.worker._thread.isFinished(), timeout=10000)
    assert not running_processes() and d.background_pid
    # The detached process resumes the run and finishes it, with the app's window gone.
    log = runs_dir / "my-photos" / "background.log"
    qtbot.waitUntil(lambda: last_event(log, "done") is not None, timeout=15000)
    done = last_event(log, "done")
    assert done["reason"] == "steps" and done["step"] == 30
    assert json.loads((runs_dir / "my-photos" / "argv.json").read_text()).count("--resume") == 1
    qtbot.waitUntil(lambda: not pid_alive(d.background_pid), timeout=10000)


def test_the_close_question_can_be_answered(qtbot, window):
    def answer():
        box = QApplication.activeModalWidget()
        button = next(b for b in box.buttons() if b.text() == "Stop and keep the result")
        qtbot.mouseClick(button, Qt.LeftButton)

    QTimer.singleShot(50, answer)
    assert ask_close_while_training(window) == STOP_TRAINING


def test_hiding_the_dialog_stops_a_scan_and_showing_it_scans_again(qtbot, dialog, photos):
    s = dialog.setup
    s.photos_edit.setText(str(photos))
    s.start_scans()
    assert s.scanner.is_running()
    dialog.close()
    assert not running_processes()
    QApplication.processEvents()  # the finished scan's follow-up runs: nothing restarts
    assert not running_processes()
    dialog.show()
    qtbot.waitUntil(lambda: "inpaint" in s.scans, timeout=10000)
    assert s.start_button.isEnabled()


def test_a_flat_held_out_score_is_drawn_flat(qtbot):
    from inpaint_desktop.widgets.training_plot import MIN_SCORE_SPAN, TrainingPlot

    plot = TrainingPlot()
    qtbot.addWidget(plot)
    plot.add_val(0, 22.102)
    plot.add_val(10, 22.098)  # noise, not a fall
    lo, hi = plot.val_box.viewRange()[1]
    assert hi - lo >= MIN_SCORE_SPAN and lo < 22.098 and hi > 22.102
    plot.add_val(20, 24.0)  # a real rise gets the axis it needs
    lo, hi = plot.val_box.viewRange()[1]
    assert lo < 22.098 and 24.0 < hi < 24.5


def test_shortest_budget_is_a_minute_and_the_held_out_count_is_the_real_one(dialog):
    """Issue 20, item 18: a first try takes a minute; "10 %" of 20 photos holds out 8."""
    s = dialog.setup
    assert s.budget_combo.itemText(0) == "1 minute" and s.budget_combo.itemData(0) == 1
    assert s.budget_combo.currentText() == "15 minutes"  # the default stays
    s.scans = {"inpaint": {"photos": 20}}
    s.update_state()
    assert s.val_note.text().startswith(
        "= 8 of 20 photos kept out of training (rounded up from 10 % for a steadier score)")
    s.scans = {"inpaint": {"photos": 200}}
    s.update_state()
    assert s.val_note.text().startswith("= 20 of 200 photos kept out of training,")


# --- damage detection -------------------------------------------------------------------------


def test_damage_detection_fine_tunes_the_bundled_detector_and_reports_f1(
        qtbot, dialog, photos, trainer_env):
    from trainer.__main__ import parse_args

    models_dir, runs_dir = trainer_env
    s, v = dialog.setup, dialog.view
    click(qtbot, s.detect_radio)
    assert s.tasks() == ["detect"] and s.detect_note.isVisible()
    combo = s.base_combos["detect"]
    assert combo.isVisible() and combo.currentText() == "damage-detector (bundled)"
    assert not s.base_combos["inpaint"].isVisible() and not s.base_combos["colorize"].isVisible()
    choose_photos(qtbot, dialog, photos)  # the scan runs for the detect task
    assert s.scans["detect"]["task"] == "detect" and s.scans["detect"]["ok"]
    assert s.scan_label.text() == "6 usable photos found (1 unreadable)"
    choose_steps(qtbot, dialog, 9)
    with qtbot.waitSignal(dialog.modelsChanged, timeout=15000):
        click(qtbot, s.start_button)
        assert "(damage detection)" in v.title.text()
        qtbot.waitUntil(lambda: "held-out damage F1" in v.status_label.text(), timeout=10000)
        assert "(start 0.400; classical median 0.200)" in v.status_label.text()
    qtbot.waitUntil(lambda: finished(dialog), timeout=10000)
    assert "rows: damaged input, damage found, true damage" in v.preview_caption.text()

    argv = json.loads((runs_dir / "my-photos" / "argv.json").read_text())
    assert argv[argv.index("--task") + 1] == "detect"
    bundled = models.learned.bundled_folder() / "damage-detector.safetensors"
    assert argv[argv.index("--base") + 1] == str(bundled)
    assert parse_args(argv).task == "detect"  # the real trainer takes this command line
    # The plot and the status show F1 beside the classical median detector's.
    item = v.plot.getPlotItem()
    assert item.getAxis("right").labelText == "held-out damage F1"
    steps, f1 = v.plot.val_curve.getData()
    assert f1[0] == pytest.approx(0.4) and f1[-1] > f1[0] and np.all(f1 < 1)
    assert set(v.plot.baseline_curve.getData()[1]) == {0.2}
    lo, hi = v.plot.val_box.viewRange()[1]
    assert lo < 0.2 and hi > f1[-1]
    summary = v.summary.text()
    assert "Damage detection (“my-photos”): damage F1 on your held-out photos" in summary
    assert "0.400 -> 0.490 (+0.090, better)" in summary
    assert "the classical median detector: 0.200" in summary
    assert "“Detect with” list of the Restore old photo panel" in summary
    found = {m.name: m.kind for m in models.learned.discovered()}
    assert found["my-photos"] == "detect"
    assert (models_dir / "my-photos.safetensors").is_file()


def test_a_new_detector_is_offered_in_the_restore_panel(qtbot, window, photos):
    panel = window.restore_panel
    assert panel.detector.findData("my-photos") < 0
    window.train_action.trigger()
    d = window.train_dialog
    click(qtbot, d.setup.detect_radio)
    choose_photos(qtbot, d, photos)
    choose_steps(qtbot, d, 5)
    click(qtbot, d.setup.start_button)
    qtbot.waitUntil(lambda: finished(d), timeout=10000)
    index = panel.detector.findData("my-photos")
    assert index > 0  # the bundled detector stays the default, first
    assert window.jobs.choice.detector is None
    panel.detector.setCurrentIndex(index)
    assert window.jobs.choice.detector == "my-photos"  # what Detect damage runs


# --- a result below its base: "Install anyway?" -----------------------------------------------


def run_a_worse_one(qtbot, d, photos, monkeypatch, hide=False):
    monkeypatch.setenv("FAKE_TRAINER_WORSE", "1")
    choose_photos(qtbot, d, photos)
    choose_steps(qtbot, d, 5)
    click(qtbot, d.setup.start_button)
    if hide:
        click(qtbot, d.view.hide_button)
        assert not d.isVisible()
    qtbot.waitUntil(lambda: d.install_question is not None and d.install_question.isVisible(),
                    timeout=10000)
    return d.install_question


def test_a_worse_result_asks_and_yes_installs_it(qtbot, dialog, photos, trainer_env,
                                                 monkeypatch):
    models_dir, runs_dir = trainer_env
    box = run_a_worse_one(qtbot, dialog, photos, monkeypatch)
    assert box.windowTitle() == "Install anyway?"
    assert "“my-photos” scored below its base model" in box.text()
    assert "Hole PSNR: 21.90 dB for “my-photos”, 22.40 dB for its base model." in \
        box.informativeText()
    assert not (models_dir / "my-photos.safetensors").exists()  # the trainer kept it back
    assert "Not installed: its best held-out hole PSNR 21.90 dB is below its base " \
           "model's 22.40 dB." in dialog.view.summary.text()
    assert dialog.is_busy() and not dialog.view.new_button.isEnabled()
    with qtbot.waitSignal(dialog.modelsChanged, timeout=10000):
        click(qtbot, box.button(QMessageBox.Yes))
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10000)
    argv = json.loads((runs_dir / "my-photos" / "install-argv.json").read_text())
    assert "--install-only" in argv and "--install-anyway" in argv
    assert argv[argv.index("--name") + 1] == "my-photos"
    assert argv[argv.index("--models-dir") + 1] == str(models_dir)
    assert (models_dir / "my-photos.safetensors").is_file()
    assert "my-photos" in {m.name for m in models.learned.discovered()}
    assert "Installed anyway. The new model “my-photos” is in the “Erase with” list" in \
        dialog.view.summary.text()
    assert dialog.view.new_button.isEnabled()
    click(qtbot, dialog.view.new_button)
    assert dialog.setup.runs_list.count() == 0  # installed: nothing left to resume


def test_a_worse_result_asks_and_no_keeps_the_current_model(qtbot, dialog, photos,
                                                            trainer_env, monkeypatch):
    models_dir, runs_dir = trainer_env
    idle = []
    dialog.idle.connect(lambda: idle.append(1))
    box = run_a_worse_one(qtbot, dialog, photos, monkeypatch, hide=True)
    assert dialog.isVisible()  # hidden while it trained: it shows itself to ask
    assert not idle  # the question is still open
    click(qtbot, box.button(QMessageBox.No))
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10000)
    assert idle == [1]
    assert not (runs_dir / "my-photos" / "install-argv.json").exists()  # no install ran
    assert not (models_dir / "my-photos.safetensors").exists()
    assert "my-photos" not in {m.name for m in models.learned.discovered()}
    assert "Your current model stays in use" in dialog.view.summary.text()
    click(qtbot, dialog.view.new_button)
    s = dialog.setup
    assert s.runs_list.count() == 1
    assert "not installed (below its base)" in s.runs_list.item(0).text()


def test_a_worse_detector_asks_with_both_f1_scores(qtbot, dialog, photos, trainer_env,
                                                    monkeypatch):
    click(qtbot, dialog.setup.detect_radio)
    box = run_a_worse_one(qtbot, dialog, photos, monkeypatch)
    assert "Damage F1: 0.350 for “my-photos”, 0.400 for its base model." in \
        box.informativeText()
    click(qtbot, box.button(QMessageBox.Yes))
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10000)
    assert "“Detect with” list of the Restore old photo panel" in dialog.view.summary.text()
    assert {m.name: m.kind for m in models.learned.discovered()}["my-photos"] == "detect"


def test_closing_the_window_asks_nothing_about_a_worse_result(qtbot, window, photos,
                                                              trainer_env, monkeypatch):
    models_dir, _ = trainer_env
    monkeypatch.setenv("FAKE_TRAINER_WORSE", "1")
    d = start_from_menu(qtbot, window, photos)
    qtbot.waitUntil(lambda: d.view._step > 2, timeout=10000)
    monkeypatch.setattr(window, "ask_close_while_training", lambda: STOP_TRAINING)
    assert not window.close()
    qtbot.waitUntil(lambda: not running_processes(), timeout=10000)
    qtbot.waitUntil(lambda: window.jobs.worker._thread.isFinished(), timeout=10000)
    assert d.install_question is None and not d.isVisible() and not window.isVisible()
    assert not (models_dir / "my-photos.safetensors").exists()


def test_a_failed_install_anyway_says_why_and_keeps_the_current_model(
        qtbot, dialog, photos, trainer_env, monkeypatch):
    models_dir, runs_dir = trainer_env
    box = run_a_worse_one(qtbot, dialog, photos, monkeypatch)
    (runs_dir / "my-photos" / "not-installed.json").unlink()  # gone meanwhile
    click(qtbot, box.button(QMessageBox.Yes))
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10000)
    assert "Could not install it: the run " in dialog.view.summary.text()
    assert "Your current model stays in use." in dialog.view.summary.text()
    assert not (models_dir / "my-photos.safetensors").exists()
