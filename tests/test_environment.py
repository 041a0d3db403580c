"""Guards against known-bad versions of what we depend on."""

import subprocess
import sys

BOOL_SIGNAL = """
from PySide6.QtCore import QCoreApplication, QObject, Signal
class A(QObject):
    s = Signal(bool)
app = QCoreApplication([])
a = A()
for _ in range(2000):
    a.s.emit(True)
    a.s.emit(False)
print("ok")
"""


def test_qt_survives_many_bool_signal_emits():
    # PySide6 6.12.0 lost a reference to True/False per emit and aborted the interpreter.
    out = subprocess.run([sys.executable, "-c", BOOL_SIGNAL], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-400:]


def test_opencv_has_frequency_selective_inpainting():
    import cv2

    assert hasattr(cv2, "xphoto") and hasattr(cv2.xphoto, "INPAINT_FSR_FAST")
