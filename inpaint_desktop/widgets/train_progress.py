"""The running page of the Train dialog: progress and time left, the live plot, the latest
preview grid, and at the end the summary of what improved.

The held-out score is PSNR (erasing, colorizing) or, for damage detection, the F1 of the
damage found, shown beside the classical median detector's F1 of the same crops (the
"start" event's ``val_baselines``)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inpaint_desktop.widgets.training_plot import TrainingPlot
from inpaint_desktop.workers.training_runs import SCORE_KEYS, TASK_VERBS, RunSpec

PREVIEW_CAPTIONS = {"inpaint": "rows: masked input, result, truth",  # trainer/preview.py
                    "colorize": "rows: gray input (with hints), result, truth",
                    "detect": "rows: damaged input, damage found, true damage"}


def median_f1(baselines) -> float | None:
    """The classical median detector's held-out F1 in a run's ``val_baselines``."""
    median = baselines.get("median") if isinstance(baselines, dict) else None
    f1 = median.get("val_f1") if isinstance(median, dict) else None
    return float(f1) if isinstance(f1, (int, float)) else None


def duration_text(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class TrainProgress(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.spec: RunSpec | None = None
        self.preview_path: str | None = None
        self._preview = QPixmap()
        self._eta: tuple[float, float] | None = None  # (seconds left, when we were told)
        self._step = 0
        self._val_first: float | None = None
        self._val_text = ""
        self.baseline: float | None = None  # detection: the median detector's F1
        self._tick = QTimer(self)
        self._tick.setInterval(1000)  # count down between the trainer's progress lines
        self._tick.timeout.connect(self._show_time)

        layout = QVBoxLayout(self)
        self.title = QLabel()
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.info = QLabel()
        self.info.setEnabled(False)
        layout.addWidget(self.title)
        layout.addWidget(self.info)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setFormat("%p %")
        self.time_label = QLabel()
        self.time_label.setMinimumWidth(220)
        self.time_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.time_label)
        layout.addLayout(row)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)

        self.plot = TrainingPlot()
        self.plot.setMinimumSize(360, 220)
        self.preview_caption = QLabel()
        self.preview_caption.setEnabled(False)
        self.preview_label = QLabel()
        self.preview_label.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self.preview_label.setWordWrap(True)
        self.preview_label.setMinimumSize(240, 120)
        self.preview_label.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        preview = QVBoxLayout()
        preview.addWidget(self.preview_caption)
        preview.addWidget(self.preview_label, 1)
        row = QHBoxLayout()
        row.addWidget(self.plot, 3)
        row.addLayout(preview, 2)
        layout.addLayout(row, 1)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setFrameShape(QFrame.StyledPanel)
        self.summary.setMargin(8)
        self.summary.hide()
        layout.addWidget(self.summary)

        self.hide_button = QPushButton("Hide")
        self.hide_button.setToolTip("Close this window; training goes on (Train > Fine-tune "
                                    "shows it again)")
        self.stop_button = QPushButton("&Stop")
        self.stop_button.setToolTip("Stop after the current step; the best result so far "
                                    "is kept and the run can be resumed")
        self.new_button = QPushButton("&New training...")
        self.close_button = QPushButton("Close")
        row = QHBoxLayout()
        row.addStretch(1)
        for b in (self.hide_button, self.stop_button, self.new_button, self.close_button):
            row.addWidget(b)
        layout.addLayout(row)

    # --- a run ---------------------------------------------------------------------------
    def begin(self, spec: RunSpec, index: int = 1, total: int = 1) -> None:
        self.spec = spec
        self._eta = None
        self._step = 0
        self._val_first = None
        self._val_text = ""
        self.baseline = None
        verb = TASK_VERBS[spec.task]
        title = f"{'Resuming' if spec.resume else 'Training'} “{spec.name}” ({verb})"
        if total > 1:
            title += f", run {index} of {total}"
        self.title.setText(title)
        self.info.setText(f"Photos: {spec.photos}")
        self.progress_bar.setRange(0, 0)  # busy until the first step
        self.time_label.setText("")
        self.status_label.setText("Reading your photos and measuring the starting model...")
        self.plot.clear_data()
        self.plot.set_task(spec.task)
        self.preview_path = None
        self._preview = QPixmap()
        self.preview_label.setPixmap(QPixmap())
        self.preview_label.setText("")
        self.preview_caption.setText("A preview of the results comes after a few steps.")
        self.summary.hide()
        self._running_buttons(True)
        self._tick.start()

    def _running_buttons(self, running: bool) -> None:
        self.hide_button.setVisible(running)
        self.stop_button.setVisible(running)
        self.stop_button.setEnabled(running)
        self.new_button.setVisible(not running)
        self.close_button.setVisible(not running)

    def on_started(self, d: dict) -> None:
        parts = []
        if isinstance(d.get("train_photos"), int):
            parts.append(f"{d['train_photos']} photos for training")
        if isinstance(d.get("val_photos"), int):
            parts.append(f"{d['val_photos']} held out for measuring")
        params = d.get("parameters")
        if isinstance(params, (int, float)):
            parts.append(f"{params / 1e6:.1f} M parameters" if params >= 1e5
                         else f"{int(params):,} parameters")
        if d.get("step"):
            parts.append(f"continuing from step {d['step']:,}")
        if parts:
            self.info.setText(" · ".join(parts))
        self._step = int(d.get("step") or 0)
        if self.spec is not None and self.spec.task == "detect":
            self.baseline = median_f1(d.get("val_baselines"))
            self.plot.set_baseline(self.baseline, "median detector (classical)")

    def on_progress(self, d: dict) -> None:
        step = int(d.get("step") or 0)
        self._step = step
        if isinstance(d.get("loss"), (int, float)):
            self.plot.add_loss(step, d["loss"])
        eta = d.get("eta_s")
        if isinstance(eta, (int, float)):
            self._eta = (float(eta), time.monotonic())
        spec = self.spec
        fraction = None
        if spec is not None and spec.steps:
            fraction = step / spec.steps
        elif spec is not None and spec.minutes and self._eta is not None:
            fraction = 1.0 - self._eta[0] / (spec.minutes * 60.0)
        if fraction is not None:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(1000 * min(max(fraction, 0.0), 1.0)))
        rate = d.get("img_per_s")
        text = f"Training: step {step:,}"
        if isinstance(rate, (int, float)):
            text += f" · {rate:.1f} crops/s"
        if isinstance(d.get("loss"), (int, float)):
            text += f" · loss {d['loss']:.4f}"
        if self._val_first is not None:
            text += f" · {self._val_text}"
        self.status_label.setText(text)
        self._show_time()

    def on_validated(self, d: dict) -> None:
        task = self.spec.task if self.spec else "inpaint"
        score = d.get(SCORE_KEYS.get(task, "val_psnr"))
        if not isinstance(score, (int, float)):
            return
        hints = d.get("val_psnr_hints")
        step = int(d.get("step") or self._step)
        self.plot.add_val(step, score, hints if isinstance(hints, (int, float)) else None)
        if self._val_first is None:
            self._val_first = float(score)
        if task == "detect":
            text = f"held-out damage F1 {score:.3f} (start {self._val_first:.3f}"
            if self.baseline is not None:
                text += f"; classical median {self.baseline:.3f}"
            self._val_text = text + ")"
        else:
            self._val_text = f"held-out PSNR {score:.2f} dB (start {self._val_first:.2f})"

    def on_preview(self, path: str) -> None:
        # Through QImage: QPixmap(path) may serve a cached copy of a file rewritten in place.
        pixmap = QPixmap.fromImage(QImage(path))
        if pixmap.isNull():
            return
        self.preview_path = path
        self._preview = pixmap
        self.preview_label.setText("")
        self._scale_preview()
        task = self.spec.task if self.spec else "inpaint"
        self.preview_caption.setText(f"Step {self._step:,}, held-out photos; "
                                     f"{PREVIEW_CAPTIONS[task]}")

    def _scale_preview(self) -> None:
        if self._preview.isNull():
            return
        size = self.preview_label.contentsRect().size()
        # Fit the space, but at most 2x: a small grid blown up only shows its pixels.
        size = size.boundedTo(self._preview.size() * 2)
        self.preview_label.setPixmap(self._preview.scaled(
            size, Qt.KeepAspectRatio, Qt.SmoothTransformation))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._scale_preview()

    def _show_time(self) -> None:
        if self._eta is None:
            return
        left = self._eta[0] - (time.monotonic() - self._eta[1])
        self.time_label.setText(f"about {duration_text(left)} left" if left >= 1
                                else "finishing...")

    def stopping(self) -> None:
        self.stop_button.setEnabled(False)
        self.status_label.setText("Stopping after this step; the best result so far is "
                                  "being saved...")

    def finish(self, summary: str, completed: bool) -> None:
        """All runs are over: the summary replaces the running controls."""
        self._tick.stop()
        if completed:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(1000)
        elif self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(0)
        self.time_label.setText("")
        self.status_label.setText("")
        self.summary.setText(summary)
        self.summary.show()
        self._running_buttons(False)
