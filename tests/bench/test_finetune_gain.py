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


def _photos(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in names]
    for path in paths:
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    return paths


def _fake_runs(monkeypatch, tmp_path, concurrent: bool):
    """fine_tune_all with a fake trainer that notes whether another run was going on."""
    import threading

    together = threading.Barrier(2, timeout=2)  # a lone run waits this long for a partner
    seen = []

    def fake_fine_tune(task, base, photos, runs, args, name=None):
        try:
            together.wait()
            overlapped = True
        except threading.BrokenBarrierError:
            overlapped = False
        seen.append((name, sorted(p.name for p in photos.iterdir()), overlapped))
        return {"measured_weights": f"{name}.safetensors"}

    monkeypatch.setattr(finetune_gain, "fine_tune", fake_fine_tune)
    domain = _photos(tmp_path / "domain", [f"m{i}.jpg" for i in range(8)])
    _photos(tmp_path / "general", [f"g{i}.jpg" for i in range(8)])
    args = finetune_gain.parse_args(
        ["--tasks", "inpaint", "--control-photos", str(tmp_path / "general")]
        + (["--concurrent"] if concurrent else []))
    train, held = domain[1:], domain[:1]
    runs, controls = finetune_gain.fine_tune_all(
        args, train, held, {"inpaint": tmp_path / "base.safetensors"}, tmp_path / "work")
    return runs, controls, seen


def test_concurrent_runs_the_control_beside_the_domain_run(monkeypatch, tmp_path):
    runs, controls, seen = _fake_runs(monkeypatch, tmp_path, concurrent=True)
    assert runs["inpaint"]["measured_weights"] == "bench-inpaint.safetensors"
    assert controls["inpaint"]["measured_weights"] == "control-inpaint.safetensors"
    assert all(overlapped for _, _, overlapped in seen)
    photos = dict((name, files) for name, files, _ in seen)
    assert photos["bench-inpaint"] == [f"m{i}.jpg" for i in range(1, 8)]
    assert photos["control-inpaint"] == [f"g{i}.jpg" for i in range(8)]


def test_without_concurrent_the_runs_take_turns(monkeypatch, tmp_path):
    runs, controls, seen = _fake_runs(monkeypatch, tmp_path, concurrent=False)
    assert set(runs) == set(controls) == {"inpaint"}
    assert [name for name, _, _ in seen] == ["bench-inpaint", "control-inpaint"]
    assert not any(overlapped for _, _, overlapped in seen)
