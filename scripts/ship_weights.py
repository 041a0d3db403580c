"""Copy a training run's weights into resources/weights as a bundled model.

    .venv/bin/python scripts/ship_weights.py RUN/best.safetensors NAME [--label TEXT]
        [--flip-average] [--note TEXT]

The weights file is copied as is (the trainer exports fp16 safetensors); its card is rewritten
with the bundled NAME, the label the model picker shows, the training-photo licence note and a
repository-relative photo folder, and its sha256 is checked against the file. Benchmark figures
are added afterwards by scripts/card_numbers.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.weights import load_card, sha256_of  # noqa: E402

LICENCE = ("Trained only on ../shared/photos/train (332 photos): Debian gcompris-qt-data "
           "(CC-BY-SA 2.0-4.0, CC-BY, public domain, GFDL, GPL-3+, per file), "
           "plasma-workspace-wallpapers (GPL-2+), mate-backgrounds (GPL-2+), lomiri wallpapers "
           "(CC-BY-4.0, CC-BY-SA-4.0, CC0), lxqt-themes (LGPL-2.1+), tuxpaint-data (GPL-2+), "
           "palapeli-data (GPL-2+), opencv-doc examples (Apache-2.0 / BSD-3); see "
           "../shared/photos/CREDITS.md. The weights are a statistical summary of these photos; "
           "treat them under the most restrictive of these licences when redistributing.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("name")
    parser.add_argument("--label")
    parser.add_argument("--flip-average", action="store_true",
                        help="inpainters: average with a mirrored pass (card option)")
    parser.add_argument("--note", help="a sentence for the card's notes")
    args = parser.parse_args(argv)
    card = load_card(args.weights.with_suffix(".json"))
    if card.get("sha256") != sha256_of(args.weights):
        sys.exit(f"error: {args.weights} does not match its card's sha256")
    out_dir = REPO / "resources" / "weights"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{args.name}.safetensors"
    shutil.copyfile(args.weights, target)
    card["name"] = args.name
    card["weights"] = target.name
    if args.label:
        card["label"] = args.label
    if args.flip_average:
        card["flip_average"] = True
    training = card.setdefault("training", {})
    training["photos"] = "../shared/photos/train"
    training.pop("run_dir", None)
    card["licence"] = LICENCE
    if args.note:
        card["notes"] = args.note
    card["sha256"] = sha256_of(target)
    card["bytes"] = target.stat().st_size
    target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"{target} ({card['bytes'] / 1e6:.1f} MB, {card.get('parameters', 0) / 1e6:.2f} M "
          f"parameters, {training.get('steps')} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
