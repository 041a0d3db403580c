#!/usr/bin/env bash
# Bases for bench/finetune_gain.py that have never seen the domain: the default inpainting and
# colorizing networks trained from scratch on ../shared/photos/train without the 48 monument
# photos (about an hour, one core each, both at once). Resumable: run it again after a stop.
#
#     bash scripts/domain_bases.sh [OUT]      # default OUT: ./runs/domain-bases
#
# Then: .venv/bin/python bench/finetune_gain.py \
#     --inpaint-base OUT/inpaint/best.safetensors --colorize-base OUT/colorize/best.safetensors \
#     --control-photos ../shared/photos/train
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-runs/domain-bases}")
photos="$out/photos"
mkdir -p "$photos"
for f in ../shared/photos/train/*; do
    case $(basename "$f") in
        gcompris_explore_monuments_*) ;;
        *) ln -sfn "$(realpath "$f")" "$photos/" ;;
    esac
done
resume() { [ -f "$out/$1/checkpoint.pt" ] && echo --resume || true; }
common=(--photos "$photos" --out "$out" --schedule cosine --threads 1 --device cpu
        --no-install --json --val-seconds 600)
OMP_NUM_THREADS=1 .venv/bin/python -m trainer --task inpaint --name inpaint --steps 4500 \
    --crop 128 "${common[@]}" $(resume inpaint) > "$out/inpaint.log" &
OMP_NUM_THREADS=1 .venv/bin/python -m trainer --task colorize --name colorize --steps 3400 \
    --crop 192 "${common[@]}" $(resume colorize) > "$out/colorize.log" &
wait
echo "bases in $out/inpaint and $out/colorize (best.safetensors, else latest.safetensors)"
