"""Screenshot of the Train dialog in the middle of a real fine-tuning run.

    .venv/bin/python scripts/train_screenshot.py [--seconds 150] [--photos DIR]

Runs the real trainer (``python -m trainer`` through the dialog's QProcess) on the monument
photos of ../shared/photos/train for a 3-minute budget, starting from the bundled inpainting
model, into a temporary folder (nothing is installed in the user's model folder), grabs the
dialog after --seconds, stops the run and writes docs/screenshot-train.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--photos", type=Path,
                        default=REPO.parent / "shared" / "photos" / "train")
    parser.add_argument("--glob", default="gcompris_explore_monuments_*.jpg")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    import models
    from inpaint_desktop.widgets.train_dialog import TrainDialog
    from inpaint_desktop.workers.training_runs import RunSpec
    from models import learned

    app = QApplication.instance() or QApplication([])
    base = next((m.weights for m in learned.discovered()
                 if m.name == models.default_inpainter()), None)
    if base is None:
        sys.exit("error: no learned default inpainter is bundled")
    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "monuments"
        photos.mkdir()
        for path in sorted(args.photos.glob(args.glob)):
            (photos / path.name).symlink_to(path)
        dialog = TrainDialog()
        dialog.resize(1100, 720)
        dialog.show()
        dialog.start_runs([RunSpec(task="inpaint", photos=str(photos), name="monuments",
                                   runs_dir=Path(tmp) / "runs", models_dir=Path(tmp) / "models",
                                   minutes=3.0, base=str(base), crop=128)])
        loop = QEventLoop()  # not QTest.qWait: it would hold the GIL
        QTimer.singleShot(int(args.seconds * 1000), loop.quit)
        loop.exec()
        out = REPO / "docs" / "screenshot-train.png"
        app.processEvents()
        dialog.grab().save(str(out))
        dialog.stop()
        done = QEventLoop()
        QTimer.singleShot(30000, done.quit)
        poll = QTimer(interval=200)
        poll.timeout.connect(lambda: done.quit() if not dialog.is_training() else None)
        poll.start()
        done.exec()
        dialog.shutdown()
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
