"""The tool options bar: the active tool's options only (as GIMP and Photoshop do).

Brush and eraser: size, hardness, mask colour and opacity; the selection tools: mask colour
and opacity (the magic wand also its tolerance and whether it selects contiguous pixels
only); the colour hint tool: the hint colour, the colorizer's palette at the last click
(hint_palette.py) and the patch size. A short line at the end says what the modifier keys do
with the active tool. It sits on a row of its own under the main tool bar,
so that no option ever hides behind an overflow arrow.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QLabel,
    QSlider,
    QSpinBox,
    QToolBar,
    QToolButton,
)

from inpaint_desktop.canvas.view import CanvasView
from inpaint_desktop.document.hints import MAX_HINT_SIZE, MIN_HINT_SIZE

DEFAULT_MASK_COLOR = QColor(255, 40, 90)
DEFAULT_MASK_OPACITY = 0.5

# Which option groups each tool shows, and what its modifier keys do. Ctrl is offered beside
# Alt everywhere: many Linux desktops take Alt+drag to move the window.
TOOL_GROUPS = {
    "brush": ("brush", "mask"),
    "eraser": ("brush", "mask"),
    "lasso": ("mask",),
    "polygon": ("mask",),
    "rectangle": ("mask",),
    "object": ("mask",),
    "wand": ("wand", "mask"),
    "hint": ("hint",),
}
SELECTION_KEYS = "Shift adds, Ctrl (or Alt) subtracts, Shift+Ctrl intersects"
TOOL_KEYS = {
    "brush": "Ctrl (or Alt)+drag erases; Shift+click draws a straight line; [ ] size",
    "eraser": "Ctrl (or Alt)+drag paints; Shift+click draws a straight line; [ ] size",
    "lasso": SELECTION_KEYS,
    "polygon": f"click corners, double-click or Enter closes; {SELECTION_KEYS}",
    "rectangle": SELECTION_KEYS,
    "object": "drag a box around an object, then Shift+click adds and Ctrl (or Alt)+click "
              "removes what is under the click; the box: Shift adds, Ctrl subtracts",
    "wand": f"click selects similar colour; {SELECTION_KEYS}",
    "hint": "click adds; drag moves; wheel sizes the patch (Ctrl+wheel zooms); Del removes; "
            "Ctrl (or Alt)+click picks a colour",
}


def _swatch(color: QColor) -> QIcon:
    pm = QPixmap(16, 16)
    pm.fill(color)
    return QIcon(pm)


class ToolOptionsBar(QToolBar):
    """Keeps its controls and the canvas in sync both ways (the [ and ] keys change the
    size on the canvas; the spin box follows)."""

    maskColorChanged = Signal(QColor)

    def __init__(self, canvas: CanvasView, parent=None):
        super().__init__("Tool options", parent)
        self.setObjectName("tool-options")
        self.canvas = canvas
        self._groups: dict[str, list] = {"brush": [], "wand": [], "mask": [], "hint": []}

        self.size_box = QSpinBox()
        self.size_box.setRange(1, 2000)
        self.size_box.setSuffix(" px")
        self.size_box.setToolTip("Brush diameter in image pixels ([ smaller, ] larger)")
        self.size_box.setValue(canvas.brush_size())
        self.size_box.valueChanged.connect(canvas.set_brush_size)
        self._add("brush", QLabel(" Size "), self.size_box)

        self.hardness = QSlider(Qt.Horizontal)
        self.hardness.setRange(0, 100)
        self.hardness.setFixedWidth(100)
        self.hardness.setToolTip("Brush hardness: 0 % is a soft airbrush edge, 100 % a hard edge")
        self.hardness.setValue(round(canvas.brush_hardness() * 100))
        self.hardness.valueChanged.connect(lambda v: canvas.set_brush_hardness(v / 100.0))
        self._add("brush", QLabel(" Hardness "), self.hardness)
        self._groups["brush"].append(self.addSeparator())

        self.tolerance = QSpinBox()
        self.tolerance.setRange(0, 255)
        self.tolerance.setToolTip("Magic wand: how far (0-255 per colour channel) a colour may "
                                  "be from the clicked one and still be selected")
        self.tolerance.setValue(canvas.wand_tolerance())
        self.tolerance.valueChanged.connect(canvas.set_wand_tolerance)
        self.contiguous = QCheckBox("Contiguous")
        self.contiguous.setToolTip("Magic wand: only the pixels connected to the click (off: "
                                   "every pixel of that colour in the picture)")
        self.contiguous.setChecked(canvas.wand_contiguous())
        self.contiguous.toggled.connect(canvas.set_wand_contiguous)
        self._add("wand", QLabel(" Tolerance "), self.tolerance, self.contiguous)
        self._groups["wand"].append(self.addSeparator())

        self.color_button = QToolButton()
        self.color_button.setToolTip("Mask overlay colour (H shows or hides the mask)")
        self.color_button.clicked.connect(self._pick_color)
        self.opacity = QSlider(Qt.Horizontal)
        self.opacity.setRange(5, 100)
        self.opacity.setFixedWidth(90)
        self.opacity.setToolTip("Mask overlay opacity")
        self.opacity.valueChanged.connect(lambda v: canvas.set_mask_opacity(v / 100.0))
        self._add("mask", QLabel(" Mask "), self.color_button, self.opacity)

        self.hint_button = QToolButton()
        self.hint_button.setToolTip("Colour of new colour hints, or of the selected hint "
                                    "(Ctrl+click or Alt+click on the picture picks a colour "
                                    "from it)")
        self.hint_button.clicked.connect(self._pick_hint_color)
        self.hint_button.setIcon(_swatch(canvas.hint_color()))
        canvas.hintColorChanged.connect(self._on_hint_color)
        self._add("hint", QLabel(" Hint colour "), self.hint_button)

        self.patch_box = QSpinBox()
        self.patch_box.setRange(MIN_HINT_SIZE, MAX_HINT_SIZE)
        self.patch_box.setToolTip("Patch size of new colour hints, or of the selected hint: "
                                  "the side of the square it colours, in image pixels (the "
                                  "mouse wheel over the picture changes it)")
        self.patch_box.valueChanged.connect(self._on_patch_edited)
        canvas.hintSizeChanged.connect(self._show_patch)
        self._add("hint", QLabel(" Patch "), self.patch_box)
        self._insert_at = {"hint": self._groups["hint"][-2]}  # more: beside the colour button
        self._show_patch(canvas.hint_size())

        self._end = self.addSeparator()  # options go before it (add_options)
        self.keys_label = QLabel()  # what the modifiers do with the active tool
        self.keys_label.setEnabled(False)  # drawn gray: a hint, not a control
        self.addWidget(self.keys_label)

        canvas.brushChanged.connect(self._on_brush_changed)
        canvas.toolChanged.connect(self.show_tool)
        self.set_mask_color(DEFAULT_MASK_COLOR)
        self.opacity.setValue(round(DEFAULT_MASK_OPACITY * 100))
        self.show_tool(canvas.tool_name())

    def _add(self, group: str, *widgets) -> None:
        self._groups[group] += [self.addWidget(w) for w in widgets]

    def add_options(self, group: str, *widgets) -> None:
        """More controls of a tool's group, e.g. the hint palette (beside the hint colour
        button; others before the keys line)."""
        before = self._insert_at.get(group, self._end)
        self._groups[group] += [self.insertWidget(before, w) for w in widgets]
        self.show_tool(self.canvas.tool_name())

    def show_tool(self, name: str) -> None:
        """Show the options of tool `name`, hide the others."""
        shown = TOOL_GROUPS.get(name, ())
        for group, actions in self._groups.items():
            for action in actions:
                action.setVisible(group in shown)
        self.keys_label.setText(f" {TOOL_KEYS.get(name, '')} ")

    def mask_color(self) -> QColor:
        return self._color

    def set_mask_color(self, color: QColor) -> None:
        self._color = QColor(color)
        self.color_button.setIcon(_swatch(self._color))
        self.canvas.set_mask_color(self._color)
        self.maskColorChanged.emit(self._color)

    def _pick_color(self) -> None:
        color = QColorDialog.getColor(self._color, self, "Mask colour")
        if color.isValid():
            self.set_mask_color(color)

    def _pick_hint_color(self) -> None:
        color = QColorDialog.getColor(self.canvas.hint_color(), self, "Hint colour")
        if color.isValid():
            self.canvas.set_hint_color(color)

    def _on_hint_color(self, color: QColor) -> None:
        self.hint_button.setIcon(_swatch(color))

    def _show_patch(self, size) -> None:
        """The patch size (None: the default patch, shown at its size on this photo)."""
        self.patch_box.blockSignals(True)
        self.patch_box.setMaximum(self.canvas.max_hint_size())
        self.patch_box.setValue(round(self.canvas.hint_patch()))
        self.patch_box.setSuffix(" px (default)" if size is None else " px")
        self.patch_box.blockSignals(False)

    def _on_patch_edited(self, value: int) -> None:
        self.canvas.set_hint_size(value)  # the canvas answers with hintSizeChanged

    def _on_brush_changed(self, diameter: int, hardness: float) -> None:
        for widget, value in ((self.size_box, diameter), (self.hardness, round(hardness * 100))):
            if widget.value() != value:
                widget.blockSignals(True)
                widget.setValue(value)
                widget.blockSignals(False)
