"""Start the editor: QApplication, the main window, an optional file to open."""

from __future__ import annotations

import os
import sys

APP_NAME = "inpaint-desktop"


def run(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog=APP_NAME, description="Open the editor.")
    parser.add_argument("file", nargs="?", help="an image or an .inpaint project to open")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from inpaint_desktop.widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("Inpaint Desktop")
    window = MainWindow()
    window.show()
    if args.file:
        window.open_path(args.file)
    if os.environ.get("INPAINT_DESKTOP_EXIT_WHEN_SHOWN"):
        # bench/editor_bench.py: report once the event loop runs with the window shown.
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
    return app.exec()
