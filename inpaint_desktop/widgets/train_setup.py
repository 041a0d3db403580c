"""The set-up page of the Train dialog: photos, what to improve, base model, budget, name.

Choosing a folder starts a trainer ``--scan`` in the background (a QProcess, like training),
which counts the usable photos; Start stays disabled, with the reason beside it, until the
scan says there are enough. Unfinished runs (stopped, interrupted) are listed for Resume.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inpaint_desktop.data_folders import models_dir, runs_dir
from inpaint_desktop.workers.training_process import TrainingProcess
from inpaint_desktop.workers.training_runs import (
    NAME_SUFFIXES,
    RunFolder,
    RunSpec,
    free_name,
    name_problem,
    name_taken,
    scan_args,
    unfinished_runs,
)

BUDGETS = (  # label, minutes (None: a number of steps)
    ("1 minute", 1), ("5 minutes", 5), ("15 minutes", 15), ("30 minutes", 30), ("1 hour", 60),
    ("2 hours", 120), ("4 hours", 240), ("8 hours", 480), ("A number of steps", None),
)
DEFAULT_BUDGET = 2  # 15 minutes
LEARNING_RATES = (None, 1e-3, 5e-4, 2e-4, 1e-4, 5e-5)
DEFAULT_NAME = "my-photos"
SCAN_DELAY_MS = 350  # wait for a pause in typing before looking at a folder
RUN_ROLE = Qt.UserRole + 1
MIN_VAL_PHOTOS = 8  # the trainer's default held-out count, which its scan assumes
MIN_TRAIN_PHOTOS = 2


class TrainSetup(QWidget):
    startRequested = Signal(object)  # list[RunSpec]
    resumeRequested = Signal(object)  # RunSpec
    closeRequested = Signal()

    def __init__(self, command: list[str] | None = None, parent=None):
        super().__init__(parent)
        self.runs_dir = runs_dir()
        self.models_dir = models_dir()
        self.training = False  # a run is active: Start and Resume wait for it
        self.scans: dict[str, dict] = {}  # task -> the scan event, or {"error": message}
        self._scanning: tuple[str, str] | None = None  # (folder, task)
        self.scanner = TrainingProcess(command, self)
        self.scanner.finished.connect(self._on_scan_finished)
        self._scan_timer = QTimer(self)
        self._scan_timer.setSingleShot(True)
        self._scan_timer.setInterval(SCAN_DELAY_MS)
        self._scan_timer.timeout.connect(self.start_scans)
        self._name_edited = False
        self._build()
        self.refresh()

    # --- construction ------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel("Teach erasing, colorizing or damage detection the look of your own "
                       "photos. The photos stay on this computer; the new model is added "
                       "beside the bundled one, which is never changed.")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.form = form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.ExpandingFieldsGrow)  # combos keep their width
        layout.addLayout(form)

        self.photos_edit = QLineEdit()
        self.photos_edit.setPlaceholderText("A folder of your colour photos (sub-folders too)")
        self.photos_edit.textChanged.connect(self._on_folder_changed)
        self.browse_button = QPushButton("Choose...")
        self.browse_button.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.photos_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow("&Photos:", row)
        self.photos_edit.setObjectName("photos")
        form.labelForField(row).setBuddy(self.photos_edit)

        self.scan_label = QLabel()
        self.scan_label.setWordWrap(True)
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.details_button.setAutoRaise(True)
        self.details_button.toggled.connect(self._show_details)
        self.details_list = QListWidget()
        self.details_list.setMaximumHeight(110)
        self.details_list.hide()
        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scan_label, 1)
        scan_row.addWidget(self.details_button, 0, Qt.AlignTop)
        scan_box = QVBoxLayout()
        scan_box.addLayout(scan_row)
        scan_box.addWidget(self.details_list)
        form.addRow("", scan_box)

        self.erase_radio = QRadioButton("&Erasing")
        self.colorize_radio = QRadioButton("&Colorizing")
        self.both_radio = QRadioButton("&Both (two runs, one after the other)")
        self.both_radio.setToolTip("Erasing, then colorizing")
        self.detect_radio = QRadioButton("&Damage detection")
        self.detect_radio.setToolTip("The detector of Restore old photo and Mask > Detect "
                                     "damage")
        self.task_group = QButtonGroup(self)
        row = QHBoxLayout()
        for button in (self.erase_radio, self.colorize_radio, self.both_radio,
                       self.detect_radio):
            self.task_group.addButton(button)
            row.addWidget(button)
        row.addStretch(1)
        self.erase_radio.setChecked(True)
        self.task_group.buttonToggled.connect(self._on_task_changed)
        form.addRow("Improve:", row)
        self.detect_note = QLabel(
            "Scratches, dust, cracks, stains and tears are drawn onto your photos, and the "
            "detector learns to find them. Scans of your old photos in good condition teach "
            "it best (gray or colour): damage already on a photo is not marked, so it would "
            "learn to pass over it.")
        self.detect_note.setWordWrap(True)
        self.detect_note.setEnabled(False)  # greyed: a remark
        form.addRow("", self.detect_note)

        self.base_combos: dict[str, QComboBox] = {}
        for task, label in (("inpaint", "Erasing starts from:"),
                            ("colorize", "Colorizing starts from:"),
                            ("detect", "Detection starts from:")):
            combo = QComboBox()
            combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
            self.base_combos[task] = combo
            form.addRow(label, combo)

        self.budget_combo = QComboBox()
        for label, minutes in BUDGETS:
            self.budget_combo.addItem(label, minutes)
        self.budget_combo.setCurrentIndex(DEFAULT_BUDGET)
        self.budget_combo.currentIndexChanged.connect(self._on_budget_changed)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 10_000_000)
        self.steps_spin.setValue(2000)
        self.steps_spin.setSuffix(" steps")
        self.steps_spin.setGroupSeparatorShown(True)
        self.budget_note = QLabel()
        self.budget_note.setEnabled(False)  # greyed: a remark
        row = QHBoxLayout()
        row.addWidget(self.budget_combo)
        row.addWidget(self.steps_spin)
        row.addWidget(self.budget_note, 1)
        form.addRow("&Train for:", row)
        form.labelForField(row).setBuddy(self.budget_combo)

        self.val_spin = QSpinBox()
        self.val_spin.setRange(5, 50)
        self.val_spin.setValue(10)
        self.val_spin.setSuffix(" %")
        self.val_spin.valueChanged.connect(self.update_state)
        self.val_note = QLabel()
        self.val_note.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.val_spin)
        row.addWidget(self.val_note, 1)
        form.addRow("&Held out:", row)
        form.labelForField(row).setBuddy(self.val_spin)
        self.val_spin.setToolTip("Photos kept out of training to measure the improvement "
                                 f"(at least {MIN_VAL_PHOTOS})")

        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(64)
        self.name_edit.textEdited.connect(self._on_name_edited)
        form.addRow("New model &name:", self.name_edit)

        self.advanced_button = QToolButton()
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setArrowType(Qt.RightArrow)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.toggled.connect(self._show_advanced)
        form.addRow(self.advanced_button)
        self.crop_spin = QSpinBox()
        self.crop_spin.setRange(32, 1024)
        self.crop_spin.setSingleStep(32)
        self.crop_spin.setSpecialValueText("automatic")
        self.crop_spin.setValue(32)  # the special value: the trainer's choice
        self.crop_spin.setSuffix(" px")
        self.crop_spin.setToolTip("Side of the square pieces cut from the photos for training")
        self.lr_combo = QComboBox()
        for lr in LEARNING_RATES:
            self.lr_combo.addItem("automatic" if lr is None else f"{lr:g}", lr)
        form.addRow("Crop size:", self.crop_spin)
        form.addRow("Learning rate:", self.lr_combo)

        self.runs_box = QGroupBox("Unfinished runs")
        runs_layout = QHBoxLayout(self.runs_box)
        self.runs_list = QListWidget()
        self.runs_list.setMaximumHeight(90)
        self.runs_list.currentItemChanged.connect(self.update_state)
        self.runs_list.itemDoubleClicked.connect(self.resume_selected)
        self.resume_button = QPushButton("&Resume")
        self.resume_button.clicked.connect(self.resume_selected)
        self.stop_run_button = QPushButton("Stop it")
        self.stop_run_button.setToolTip("Ask the run that trains in the background to stop")
        self.stop_run_button.clicked.connect(self.stop_background_run)
        buttons = QVBoxLayout()
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.stop_run_button)
        buttons.addStretch(1)
        runs_layout.addWidget(self.runs_list, 1)
        runs_layout.addLayout(buttons)
        layout.addWidget(self.runs_box)
        layout.addStretch(1)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.closeRequested)
        self.start_button = QPushButton("&Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        row = QHBoxLayout()
        row.addWidget(self.problem_label, 1)
        row.addWidget(self.close_button)
        row.addWidget(self.start_button)
        layout.addLayout(row)
        self._show_advanced(False)
        self._on_budget_changed()

    # --- state -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read what is on disk: learned models, unfinished runs, a free default name."""
        from models.learned import BUNDLED_PRIORITY, describe, discovered

        for task, combo in self.base_combos.items():
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for m in discovered():
                if m.kind != task:
                    continue
                where = "bundled" if m.priority >= BUNDLED_PRIORITY else "yours"
                combo.addItem(f"{m.name} ({where})", str(m.weights))
                combo.setItemData(combo.count() - 1, describe(m.card), Qt.ToolTipRole)
            combo.addItem("A new network (from scratch: needs hours)", None)
            index = combo.findData(keep) if keep else -1
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        if not self._name_edited:
            self.name_edit.setText(free_name(DEFAULT_NAME, self.runs_dir, self.models_dir,
                                             ("", *(f"-{s}" for s in NAME_SUFFIXES.values()))))
        self.refresh_runs()
        self._on_task_changed()

    def refresh_runs(self) -> None:
        selected = self.runs_list.currentItem()
        keep = selected.data(RUN_ROLE).name if selected is not None else None
        self.runs_list.clear()
        for run in unfinished_runs(self.runs_dir):
            item = QListWidgetItem(run.describe())
            item.setData(RUN_ROLE, run)
            item.setToolTip(f"{run.run_dir}\nphotos: {run.photos}")
            self.runs_list.addItem(item)
            if run.name == keep:
                self.runs_list.setCurrentItem(item)
        if self.runs_list.currentItem() is None and self.runs_list.count():
            self.runs_list.setCurrentRow(0)
        self.runs_box.setVisible(self.runs_list.count() > 0)
        self.update_state()

    def tasks(self) -> list[str]:
        if self.both_radio.isChecked():
            return ["inpaint", "colorize"]
        if self.detect_radio.isChecked():
            return ["detect"]
        return ["colorize"] if self.colorize_radio.isChecked() else ["inpaint"]

    def folder(self) -> str:
        return self.photos_edit.text().strip()

    def run_names(self) -> list[str]:
        base, tasks = self.name_edit.text().strip(), self.tasks()
        if len(tasks) == 1:
            return [base]
        return [f"{base}-{NAME_SUFFIXES[t]}" for t in tasks]

    def problem(self) -> str | None:
        """Why Start cannot be pressed now (None: it can)."""
        if self.training:
            return "A training run is in progress."
        folder = self.folder()
        if not folder:
            return "Choose a folder of your photos."
        if not Path(folder).is_dir():
            return "This folder does not exist."
        for task in self.tasks():
            scan = self.scans.get(task)
            if scan is None:
                return "Looking at your photos..."
            if "error" in scan:
                return f"Could not look at the photos: {scan['error']}"
            if not scan.get("ok"):
                photos, needed = scan.get("photos", 0), scan.get("needed", "more")
                what = " for colorizing" if task == "colorize" else ""
                return f"Only {photos} usable photos{what}: need at least {needed}."
        why = name_problem(self.name_edit.text().strip())
        if why:
            return why
        for name in self.run_names():
            if name_taken(name, self.runs_dir, self.models_dir):
                return (f'A model or run named "{name}" exists: choose another name '
                        "(or resume the run below).")
        return None

    def update_state(self, *_) -> None:
        self._show_scan()
        problem = self.problem()
        self.start_button.setEnabled(problem is None)
        self.problem_label.setText(problem or "")
        run = self.selected_run()
        background = run is not None and run.status == "background"
        self.resume_button.setEnabled(run is not None and not background and not self.training
                                      and Path(run.photos).is_dir())
        gone = run is not None and not Path(run.photos).is_dir()
        self.resume_button.setToolTip(f"The photos folder {run.photos} is gone" if gone else
                                      "Continue the selected run for the time chosen above")
        self.stop_run_button.setVisible(background)
        stopping = background and (run.run_dir / "STOP").exists()
        self.stop_run_button.setEnabled(not stopping)
        self.stop_run_button.setText("Stopping..." if stopping else "Stop it")
        self.val_note.setText(self._val_text())

    def _val_text(self) -> str:
        tasks = [t for t in self.tasks() if self.scans.get(t, {}).get("photos")]
        if not tasks:
            return "of the photos, to measure the improvement"
        task = max(tasks, key=self.val_count)
        count, photos = self.val_count(task), self.scans[task]["photos"]
        # The count is not always the percentage of the photos: say so, and why.
        share = round(photos * self.val_spin.value() / 100)
        why = ""
        if count > share:
            why = f" (rounded up from {self.val_spin.value()} % for a steadier score)"
        elif count < share:
            why = f" (fewer than {self.val_spin.value()} %: {MIN_TRAIN_PHOTOS} must train)"
        return f"= {count} of {photos} photos kept out of training{why}, to measure the " \
               "improvement"

    def val_count(self, task: str) -> int | None:
        photos = self.scans.get(task, {}).get("photos")
        if not isinstance(photos, int) or photos <= 0:
            return None
        # A handful of photos makes a noisy score: never fewer than the trainer's default,
        # while leaving it the two it needs to train on.
        share = round(photos * self.val_spin.value() / 100)
        return max(1, min(max(share, MIN_VAL_PHOTOS), photos - MIN_TRAIN_PHOTOS))

    def _show_scan(self) -> None:
        tasks, scans = self.tasks(), self.scans
        results = [scans[t] for t in tasks if t in scans and "error" not in scans[t]]
        self.details_list.clear()
        if not self.folder() or len(results) < len(tasks):
            busy = self._scanning is not None or self._scan_timer.isActive()
            self.scan_label.setText("Looking at your photos..." if busy and self.folder()
                                    else "")
            self.details_button.setVisible(False)
            return
        usable = max(r.get("photos", 0) for r in results)
        unreadable = max((r.get("unreadable") or [] for r in results), key=len)
        mono = (scans["colorize"].get("monochrome") or []) if "colorize" in tasks else []
        notes = []
        if unreadable:
            notes.append(f"{len(unreadable)} unreadable")
        if mono:
            notes.append(f"{len(mono)} monochrome skipped for colorizing")
        text = f"{usable} usable photo{'s' if usable != 1 else ''} found"
        self.scan_label.setText(text + (f" ({', '.join(notes)})" if notes else ""))
        root = Path(self.folder())
        for entries, what in ((unreadable, "unreadable"), (mono, "skipped for colorizing")):
            for entry in entries:
                path, reason = (list(entry) + ["", ""])[:2]
                try:
                    shown = str(Path(path).relative_to(root))
                except ValueError:
                    shown = str(path)
                self.details_list.addItem(f"{shown}: {reason} ({what})")
        self.details_button.setVisible(self.details_list.count() > 0)

    def _show_details(self, on: bool) -> None:
        self.details_button.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        self.details_list.setVisible(on)

    def _show_advanced(self, on: bool) -> None:
        self.advanced_button.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        self.form.setRowVisible(self.crop_spin, on)
        self.form.setRowVisible(self.lr_combo, on)

    def _on_task_changed(self, *_) -> None:
        tasks = self.tasks()
        for task, combo in self.base_combos.items():
            self.form.setRowVisible(combo, task in tasks)
        self.form.setRowVisible(self.detect_note, "detect" in tasks)
        self.photos_edit.setPlaceholderText(
            "A folder of your scans or photos (sub-folders too)" if "detect" in tasks else
            "A folder of your colour photos (sub-folders too)")
        self._on_budget_changed()
        self.start_scans()

    def _on_budget_changed(self, *_) -> None:
        minutes = self.budget_combo.currentData()
        self.steps_spin.setVisible(minutes is None)
        if minutes is not None and len(self.tasks()) > 1:
            self.budget_note.setText(f"{minutes / 2:g} minutes for each")
        elif minutes is None and len(self.tasks()) > 1:
            self.budget_note.setText("for each")
        else:
            self.budget_note.setText("")

    def _on_name_edited(self, _text: str) -> None:
        self._name_edited = True
        self.update_state()

    # --- scanning ------------------------------------------------------------------------
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of your photos", self.folder())
        if folder:
            self.photos_edit.setText(folder)
            self.start_scans()

    def _on_folder_changed(self, _text: str) -> None:
        self.scans.clear()
        self._scan_timer.start()
        self.update_state()

    def start_scans(self) -> None:
        """Scan the folder for each chosen task not scanned yet, one at a time."""
        self._scan_timer.stop()
        if not self.isVisible():
            return  # the dialog is hidden: showing it again calls this
        folder = self.folder()
        if self._scanning is not None and self._scanning[0] != folder:
            self.scanner.kill()  # an older folder: its answer is of no use any more
        if self.scanner.is_running() or not folder or not Path(folder).is_dir():
            self.update_state()
            return
        missing = [t for t in self.tasks() if t not in self.scans]
        if missing:
            self._scanning = (folder, missing[0])
            self.scanner.start(scan_args(missing[0], folder))
        self.update_state()

    def _on_scan_finished(self, result) -> None:
        scanned, self._scanning = self._scanning, None
        interrupted = isinstance(result, dict) and result.get("event") != "scan"
        if scanned is not None and scanned[0] == self.folder() and not interrupted:
            self.scans[scanned[1]] = result if isinstance(result, dict) else {"error": result}
        QTimer.singleShot(0, self, self.start_scans)  # the next task, or a newer folder
        self.update_state()

    def shutdown(self) -> None:
        self._scan_timer.stop()
        self._scanning = None
        self.scanner.kill()

    # --- start and resume ---------------------------------------------------------------
    def budget(self) -> tuple[float | None, int | None]:
        minutes = self.budget_combo.currentData()
        return (None, self.steps_spin.value()) if minutes is None else (float(minutes), None)

    def specs(self) -> list[RunSpec]:
        minutes, steps = self.budget()
        tasks = self.tasks()
        if minutes is not None:
            minutes /= len(tasks)  # the time chosen is for the whole request
        crop = self.crop_spin.value()
        out = []
        for task, name in zip(tasks, self.run_names()):
            out.append(RunSpec(
                task=task, photos=self.folder(), name=name, runs_dir=self.runs_dir,
                models_dir=self.models_dir, minutes=minutes, steps=steps,
                base=self.base_combos[task].currentData(),
                crop=None if crop == self.crop_spin.minimum() else crop,
                lr=self.lr_combo.currentData(), val_count=self.val_count(task)))
        return out

    def start(self) -> None:
        if self.problem() is None:
            self.startRequested.emit(self.specs())

    def selected_run(self) -> RunFolder | None:
        item = self.runs_list.currentItem()
        return item.data(RUN_ROLE) if item is not None else None

    def resume_selected(self, *_) -> None:
        run = self.selected_run()
        if run is None or not self.resume_button.isEnabled():
            return
        minutes, steps = self.budget()
        self.resumeRequested.emit(RunSpec(
            task=run.task, photos=run.photos, name=run.name, runs_dir=self.runs_dir,
            models_dir=self.models_dir, minutes=minutes, steps=steps, resume=True))

    def stop_background_run(self) -> None:
        run = self.selected_run()
        if run is not None:
            try:
                (run.run_dir / "STOP").touch()
            except OSError:
                pass
            self.update_state()
