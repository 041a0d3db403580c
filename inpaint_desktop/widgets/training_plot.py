"""Live plot of a training run: the training loss (left axis) and the held-out score (right
axis, its own scale) against the step. The score is PSNR in dB (erasing; colorizing without
and with hints) or, for damage detection, the F1 of the damage found, with the classical
median detector's F1 as a dashed line to beat."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

LOSS_COLOUR = "#3874c8"
VAL_COLOUR = "#d9622b"
HINTS_COLOUR = "#8a5cc2"
BASELINE_COLOUR = "#7a7a7a"
SYMBOLS_BELOW = 40
# The held-out axis spans at least this many dB (F1 points for detection): a score that moves
# by 0.004 dB is flat, and auto-ranging would draw it as a plunge from top to bottom.
MIN_SCORE_SPAN = 0.5
MIN_F1_SPAN = 0.05
AXIS_LABELS = {"inpaint": "held-out PSNR (dB)", "colorize": "held-out PSNR (dB)",
               "detect": "held-out damage F1"}


class TrainingPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        pal = self.palette()
        text = pal.color(QPalette.WindowText)
        self.setBackground(pal.color(QPalette.Base))
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.15)
        for side in ("left", "bottom", "right"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(text))
            axis.setTextPen(pg.mkPen(text))
            axis.enableAutoSIPrefix(False)  # "loss (x0.001)" reads worse than 0.05
        item.setLabel("bottom", "step")
        item.setLabel("left", "training loss", color=LOSS_COLOUR)
        item.showAxis("right")
        item.setLabel("right", "held-out PSNR (dB)", color=VAL_COLOUR)
        backdrop = pal.color(QPalette.Base)
        backdrop.setAlpha(210)  # curves stay visible under the legend
        self.legend = item.addLegend(offset=(-10, 10), labelTextColor=text, brush=backdrop)
        self.loss_curve = item.plot([], [], pen=pg.mkPen(LOSS_COLOUR, width=1.5),
                                    antialias=True, name="training loss")
        # A second ViewBox on the right axis: PSNR (~20-30 dB) and loss (~0.1) share no scale.
        self.val_box = pg.ViewBox()
        item.scene().addItem(self.val_box)
        item.getAxis("right").linkToView(self.val_box)
        self.val_box.setXLink(item)
        self.val_curve = pg.PlotDataItem([], [], pen=pg.mkPen(VAL_COLOUR, width=2),
                                         symbol="o", symbolSize=6, symbolBrush=VAL_COLOUR,
                                         symbolPen=None, antialias=True)
        self.hints_curve = pg.PlotDataItem([], [], pen=pg.mkPen(HINTS_COLOUR, width=2),
                                           symbol="t", symbolSize=7, symbolBrush=HINTS_COLOUR,
                                           symbolPen=None, antialias=True)
        # A score to beat (the classical median detector's F1), flat across the steps.
        self.baseline_curve = pg.PlotDataItem([], [], pen=pg.mkPen(
            BASELINE_COLOUR, width=1.5, style=Qt.DashLine), antialias=True)
        self.val_box.addItem(self.val_curve)
        self.val_box.addItem(self.hints_curve)
        self.val_box.addItem(self.baseline_curve)
        self.legend.addItem(self.val_curve, "held-out PSNR")
        item.vb.sigResized.connect(self._sync_boxes)
        self._loss: tuple[list[float], list[float]] = ([], [])
        self._val: dict[int, float] = {}
        self._hints: dict[int, float] = {}
        self.baseline: float | None = None
        self.task = "inpaint"
        self.set_task("inpaint")

    def set_task(self, task: str) -> None:
        """The held-out curves of the task: hole PSNR (erasing); PSNR without and with colour
        hints (colorizing); damage F1 and the median detector's (damage detection)."""
        self.task = task
        colorize = task == "colorize"
        for curve in (self.hints_curve, self.val_curve, self.baseline_curve):
            self.legend.removeItem(curve)
        self.legend.addItem(self.val_curve, {"colorize": "held-out PSNR, no hints",
                                             "detect": "held-out damage F1"}.get(
            task, "held-out hole PSNR"))
        if colorize:
            self.legend.addItem(self.hints_curve, "held-out PSNR, 10 hints")
        self.hints_curve.setVisible(colorize)
        self.getPlotItem().setLabel("right", AXIS_LABELS.get(task, AXIS_LABELS["inpaint"]),
                                    color=VAL_COLOUR)
        self.set_baseline(None)

    def set_baseline(self, value: float | None, label: str = "") -> None:
        """A dashed level to beat (None: none), e.g. "median detector" for detection."""
        self.legend.removeItem(self.baseline_curve)
        self.baseline = None if value is None else float(value)
        if self.baseline is not None:
            self.legend.addItem(self.baseline_curve, label or "baseline")
        self._draw_baseline()
        if self._val:
            self._fit_scores()

    def _draw_baseline(self) -> None:
        steps = self._loss[0] + [float(s) for s in self._val]
        if self.baseline is None:
            self.baseline_curve.setData([], [])
            return
        lo, hi = (min(steps), max(steps)) if steps else (0.0, 1.0)
        self.baseline_curve.setData([lo, hi if hi > lo else lo + 1],
                                    [self.baseline, self.baseline])

    def clear_data(self) -> None:
        self._loss = ([], [])
        self._val.clear()
        self._hints.clear()
        self.loss_curve.setData([], [])
        self.val_curve.setData([], [])
        self.hints_curve.setData([], [])
        self._draw_baseline()

    def add_loss(self, step: float, loss: float) -> None:
        xs, ys = self._loss
        xs.append(float(step))
        ys.append(float(loss))
        # Dots while there are few points (the trainer logs every few seconds): a lone
        # point of a line is invisible.
        self.loss_curve.setData(xs, ys, symbol="o" if len(xs) < SYMBOLS_BELOW else None,
                                symbolSize=4, symbolBrush=LOSS_COLOUR, symbolPen=None)
        self._fit_steps()

    def add_val(self, step: int, score: float, psnr_hints: float | None = None) -> None:
        """A held-out score (PSNR, or F1 for detection) at `step`."""
        # One point per step: a validation may be reported in two lines of the same step.
        self._val[int(step)] = float(score)
        self._set(self.val_curve, self._val)
        if psnr_hints is not None:
            self._hints[int(step)] = float(psnr_hints)
            self._set(self.hints_curve, self._hints)
        self._fit_scores()
        self._fit_steps()

    def _fit_scores(self) -> None:
        values = list(self._val.values()) + list(self._hints.values())
        if self.baseline is not None:
            values.append(self.baseline)
        lo, hi = min(values), max(values)
        span = MIN_F1_SPAN if self.task == "detect" else MIN_SCORE_SPAN
        if hi - lo < span:
            mid = (lo + hi) / 2
            lo, hi = mid - span / 2, mid + span / 2
        self.val_box.setYRange(lo, hi, padding=0.08)

    def _fit_steps(self) -> None:
        """Show every step of both curves: the held-out box follows the loss box's x range,
        whose own auto-range knows only the loss."""
        steps = self._loss[0] + list(self._val)
        if not steps:
            return
        lo, hi = min(steps), max(steps)
        self.getPlotItem().vb.setXRange(lo, hi if hi > lo else lo + 1, padding=0.03)
        self._draw_baseline()

    @staticmethod
    def _set(curve, points: dict[int, float]) -> None:
        steps = sorted(points)
        curve.setData([float(s) for s in steps], [points[s] for s in steps])

    def _sync_boxes(self) -> None:
        item = self.getPlotItem()
        self.val_box.setGeometry(item.vb.sceneBoundingRect())
        self.val_box.linkedViewChanged(item.vb, self.val_box.XAxis)
