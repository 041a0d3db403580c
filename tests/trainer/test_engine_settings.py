"""The training engine's defaults: bfloat16 autocast where the CPU has the kernels,
channels-last tensors, the fused AdamW, and the switches that turn each off."""

import pytest
import torch

from trainer import __main__ as cli
from trainer.device import cpu_supports_bf16
from trainer.loop import DEFAULTS, Run, optimizer_kernel

TINY = {
    "crop": 32, "batch": 2, "val_count": 2, "val_crop": 32, "val_per_photo": 1,
    "max_side": 96, "warmup_steps": 2, "log_seconds": 0.0,
    "model": {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]},
}


def built(photo_dir, tmp_path, **config):
    run = Run(photo_dir, "engine", tmp_path / "runs", {**TINY, **config})
    run._load_data()
    run._build()
    return run


def conv_weights(model):
    return [m.weight for m in model.modules() if isinstance(m, torch.nn.Conv2d)]


def test_defaults_are_the_fast_engine():
    assert DEFAULTS["amp"] and DEFAULTS["channels_last"] and DEFAULTS["fused_optimizer"]


def test_default_run_uses_channels_last_fused_adamw_and_bf16(photo_dir, tmp_path):
    run = built(photo_dir, tmp_path)
    weights = conv_weights(run.model)
    assert weights and all(w.is_contiguous(memory_format=torch.channels_last) for w in weights)
    assert run.opt.defaults.get("fused") is True
    expected = torch.bfloat16 if cpu_supports_bf16() else None
    assert run.autocast_dtype == expected
    loss, _ = run.train_step()  # the whole step runs in that setting and stays finite
    assert torch.isfinite(torch.tensor(loss))


def test_every_fast_setting_can_be_turned_off(photo_dir, tmp_path):
    run = built(photo_dir, tmp_path, amp=False, channels_last=False, fused_optimizer=False)
    assert run.autocast_dtype is None
    assert all(w.is_contiguous() for w in conv_weights(run.model))
    assert run.opt.defaults.get("fused") in (None, False)
    assert run.opt.defaults.get("foreach") is True
    run.train_step()


def test_optimizer_kernel_choice():
    cpu = torch.device("cpu")
    assert optimizer_kernel({"fused_optimizer": True}, cpu) == {"fused": True}
    assert optimizer_kernel({"fused_optimizer": False}, cpu) == {"foreach": True}
    assert optimizer_kernel({}, cpu) == {"foreach": True}  # a checkpoint from before


@pytest.mark.skipif(not cpu_supports_bf16(), reason="no bfloat16 kernels on this CPU")
def test_bf16_and_fp32_steps_agree_closely(photo_dir, tmp_path):
    """One step from the same weights on the same batch: the bfloat16 loss is the float32
    loss within bfloat16's precision (the held-out comparison is in the README)."""
    losses = []
    for amp in (False, True):
        run = built(photo_dir, tmp_path / str(amp), amp=amp, seed=5)
        torch.manual_seed(0)
        losses.append(run.train_step()[0])
    assert losses[1] == pytest.approx(losses[0], rel=0.05)


def test_cli_no_amp_reaches_the_run(photo_dir, tmp_path, capsys):
    code = cli.main(["--photos", str(photo_dir), "--name", "noamp", "--out",
                     str(tmp_path / "runs"), "--steps", "1", "--no-amp", "--crop", "32",
                     "--batch", "2", "--max-side", "96", "--val-count", "2", "--json",
                     "--no-install", "--model-config",
                     '{"widths": [8, 12, 16], "blocks": 1, "dilations": [1]}'])
    assert code == 0
    start = next(line for line in capsys.readouterr().out.splitlines() if '"start"' in line)
    assert '"amp": null' in start
