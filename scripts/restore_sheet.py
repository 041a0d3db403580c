"""docs/sheet-restore.png: the restore pipeline on damaged old portraits and a val photo.

    .venv/bin/python scripts/restore_sheet.py [--detector NAME]

Rows: the four ../shared/photos/old portraits and one val photo, each with synthetic damage
(trainer/damage.py: scratches, dust, cracks, a torn corner; seeded). Columns: damaged, the
damage found (magenta), restored gray, colorized (default engines, no hints).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, SHARED, load_rgb, sheet  # noqa: E402

KINDS = ("scratches", "dust", "cracks", "tears", "hairs")
VAL_PHOTO = "pypi_skimage_astronaut.jpg"
SIDE = 768


def main() -> None:
    import models
    from models import hd
    from models.restore import restore
    from trainer import damage as dmg

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detector")
    args = parser.parse_args()
    detector = models.get_detector(args.detector, device="cpu")
    inpainter, colorizer = models.get_inpainter(device="cpu"), models.get_colorizer(device="cpu")
    paths = sorted((SHARED / "photos" / "old").iterdir())
    val = SHARED / "photos" / "val" / VAL_PHOTO
    paths += [val] if val.exists() else sorted((SHARED / "photos" / "val").iterdir())[:1]
    rows = []
    for i, path in enumerate(paths):
        rgb = load_rgb(path)
        rgb = hd.resize_image(rgb, *hd.fit_size(rgb.shape[1], rgb.shape[0], SIDE))
        damaged, _truth = dmg.damage(rgb, np.random.default_rng([11, i]), KINDS)
        result = restore(damaged, detector, inpainter, None)
        shown = damaged.copy()
        shown[result.mask > 0] = (255, 0, 200)
        colour = colorizer.colorize(result.image).image
        rows.append([damaged, shown, result.image, colour])
        print(f"{path.name}: {result.notes}")
    out = REPO / "docs" / "sheet-restore.png"
    from PIL import Image

    Image.fromarray(sheet(rows, height=220)).save(out)
    print(f"detector {detector.name}: {out}")


if __name__ == "__main__":
    main()
