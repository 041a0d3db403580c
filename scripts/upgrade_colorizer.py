"""Warm start for a colorizer with classes: an older hint colorizer's weights in the new layout.

    .venv/bin/python scripts/upgrade_colorizer.py WEIGHTS OUT [--residual]

The trunk and hint head of the older net are kept; the classification head, the hint gate and
the propagated-hint input (:mod:`models.nets.colorize_net`) start as a new net's (the input at
zero, so it changes nothing at first). ``--residual`` switches the hint head to correcting the
propagated hints (at 1/2 resolution), so it starts at zero: the hints' colours are then the
propagation's until training teaches the corrections. Writes ``OUT.safetensors`` and its
card, which the trainer takes as ``--base OUT.safetensors``: training then starts from a net
that already knows the photos' structure instead of from nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from models.nets import colorize_net  # noqa: E402
from models.weights import load_card, sha256_of  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("out", type=Path, help="output path without suffix")
    parser.add_argument("--residual", action="store_true",
                        help="the hint head corrects the propagated hints")
    args = parser.parse_args(argv)
    card = load_card(args.weights.with_suffix(".json"))
    config = {**card["config"], "classes": True, "propagation": True}
    switch = args.residual and not config.get("hint_residual")
    if args.residual:
        config.update(hint_residual=True, propagation_factor=2)
    torch.manual_seed(0)
    net = colorize_net.build(config)
    old = {k: v.float() for k, v in load_file(str(args.weights)).items()}
    missing, unexpected = net.load_state_dict(old, strict=False)
    if unexpected:
        raise SystemExit(f"unexpected tensors: {unexpected}")
    if switch:  # its output now adds to the propagation: start from no correction
        with torch.no_grad():
            net.head.weight.zero_()
            net.head.bias.zero_()
        missing = [*missing, "head.weight", "head.bias"]
    out = args.out.with_suffix(".safetensors")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(out))
    new_card = {"architecture": colorize_net.ARCHITECTURE, "task": "colorize",
                "name": args.out.name, "config": config,
                "working_size": card.get("working_size", 256),
                "warm_start": {"from": card.get("name"), "new_tensors": sorted(missing)},
                "sha256": sha256_of(out)}
    out.with_suffix(".json").write_text(json.dumps(new_card, indent=2))
    print(f"wrote {out} (new: {', '.join(sorted({k.split('.')[0] for k in missing}))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
