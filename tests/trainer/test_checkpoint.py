import json

import pytest
import torch
from safetensors.torch import load_file

from trainer import checkpoint as ckpt


def test_save_load_round_trip(tmp_path):
    state = {"model": {"w": torch.arange(4.0)}, "step": 7, "config": {"lr": 0.1},
             "rng": {"torch": torch.get_rng_state(), "python": [3, [1, 2], None]}}
    path = tmp_path / "sub" / "c.pt"
    ckpt.save_checkpoint(path, state)
    back = ckpt.load_checkpoint(path)
    assert back["step"] == 7 and torch.equal(back["model"]["w"], state["model"]["w"])
    assert [p.name for p in path.parent.iterdir()] == ["c.pt"]  # no temp file left


def test_failed_write_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    ckpt.save_checkpoint(path, {"step": 1})
    before = path.read_bytes()

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ckpt.os, "fsync", disk_full)
    with pytest.raises(OSError):
        ckpt.save_checkpoint(path, {"step": 2, "big": torch.zeros(1000)})
    assert path.read_bytes() == before
    assert ckpt.load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_loading_refuses_pickled_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    path = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, path)
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do
        ckpt.load_checkpoint(path)


def test_export_weights_fp16_with_card(tmp_path):
    model = torch.nn.Conv2d(2, 3, 3)
    card = ckpt.export_weights(model, tmp_path / "w.safetensors", {"architecture": "conv"})
    tensors = load_file(tmp_path / "w.safetensors")
    assert tensors["weight"].dtype == torch.float16
    on_disk = json.loads((tmp_path / "w.json").read_text())
    assert on_disk == card
    assert card["sha256"] == ckpt.sha256_of(tmp_path / "w.safetensors")
    assert card["architecture"] == "conv" and card["dtype"] == "float16"


def test_stale_temp_files_are_removed(tmp_path):
    (tmp_path / ".checkpoint.pt.abc.tmp").write_bytes(b"half")
    (tmp_path / "checkpoint.pt").write_bytes(b"whole")
    removed = ckpt.remove_stale_temps(tmp_path)
    assert [p.name for p in removed] == [".checkpoint.pt.abc.tmp"]
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]
