"""The fine-tune bench's control run must never see the domain's photos (held-out ones least)."""

import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import finetune_gain  # noqa: E402


def test_control_photos_leave_out_the_domain(tmp_path):
    root = tmp_path / "general"
    (root / "nested").mkdir(parents=True)
    pixels = np.zeros((8, 8, 3), np.uint8)
    general = [root / f"g{i}.jpg" for i in range(8)] + [root / "nested" / "n.png"]
    domain = [root / "nested" / f"monument{i}.jpg" for i in range(3)]
    for path in general + domain:
        Image.fromarray(pixels).save(path)
    chosen = finetune_gain.control_photos(str(root), domain)
    assert sorted(chosen) == sorted(general)
