"""Copy the benchmark figures of the shipped models into their model cards.

    .venv/bin/python scripts/card_numbers.py [--weights resources/weights]

Reads what the benchmark scripts last wrote in bench/out (inpaint_quality.json,
colorize_quality.json, net_speed.json) and stores, in the card of every model they measured,
a "benchmarks" object: the model's own figures, the baselines of the same run, and the command
that produced them. Only the card changes; the weights file and its sha256 do not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
CLASSICAL_INPAINT = ("fsr", "navier-stokes", "telea")


def _load(name: str) -> dict | None:
    path = OUT / name
    return json.loads(path.read_text()) if path.is_file() else None


def inpaint_figures(name: str, data: dict) -> dict | None:
    summary = data.get("summary", {})
    if name not in summary:
        return None
    return {"command": "bench/inpaint_quality.py", "photos": "../shared/photos/val",
            "metric": ("hole PSNR dB / hole SSIM / texture ratio (mean and median over "
                       "photos) per mask kind; fsr in one call per crop"),
            "model": summary[name],
            "baselines": {k: summary[k] for k in CLASSICAL_INPAINT if k in summary}}


def colorize_figures(name: str, data: dict) -> dict | None:
    summary = data.get("summary", {})
    hints = data.get("hints", 10)
    auto, guided = summary.get(f"{name}, 0 hints"), summary.get(f"{name}, {hints} hints")
    if auto is None:
        return None
    baselines = {k: v for k, v in summary.items()
                 if k in ("gray", "true photo") or k.startswith("levin")}
    return {"command": "bench/colorize_quality.py", "photos": "../shared/photos/val",
            "metric": "RGB PSNR dB and Hasler-Suesstrunk colourfulness, mean over photos",
            "automatic": auto, f"{hints}_hints": guided, "baselines": baselines}


def speed_figures(name: str, data: dict) -> dict | None:
    rows = {r["model"]: r for r in data.get("rows", [])}
    if name not in rows:
        return None
    anchor = next((r for r in data["rows"] if r["model"].startswith("LaMa")), None)
    return {"command": "bench/net_speed.py", "threads": data.get("threads"),
            "size": rows[name]["size"], "seconds": round(rows[name]["seconds"], 4),
            "lama_sized_anchor_seconds": round(anchor["seconds"], 4) if anchor else None}


def update(card_path: Path, benchmarks: dict) -> None:
    card = json.loads(card_path.read_text())
    card["benchmarks"] = {**card.get("benchmarks", {}), **benchmarks}
    fd, tmp = tempfile.mkstemp(dir=card_path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    os.replace(tmp, card_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", default=str(REPO / "resources" / "weights"))
    args = parser.parse_args(argv)
    sources = {"inpaint_quality": (_load("inpaint_quality.json"), inpaint_figures),
               "colorize_quality": (_load("colorize_quality.json"), colorize_figures),
               "net_speed": (_load("net_speed.json"), speed_figures)}
    for card_path in sorted(Path(args.weights).glob("*.json")):
        name = json.loads(card_path.read_text()).get("name") or card_path.stem
        found = {}
        for key, (data, figures) in sources.items():
            value = figures(name, data) if data else None
            if value is not None:
                found[key] = value
        if found:
            update(card_path, found)
        print(f"{card_path.name}: {', '.join(found) or 'no benchmark figures found'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
