"""Weights files and model cards: checksums, damaged files, and pickles refused safely."""

import json
import os
import pickle

import pytest
import torch

from models.nets import inpaint_net
from models.weights import (
    WeightsError,
    check_safetensors_header,
    load_card,
    load_weights,
    sha256_of,
)
from trainer.checkpoint import export_weights

TINY = {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]}


@pytest.fixture
def exported(tmp_path):
    torch.manual_seed(0)
    net = inpaint_net.build(TINY)
    path = tmp_path / "tiny.safetensors"
    card = export_weights(net, path, {"architecture": "ffc_unet", "task": "inpaint",
                                      "config": net.config})
    return net, path, card


def _one_line_naming(exc_info, name):
    text = str(exc_info.value)
    assert "\n" not in text and name in text
    return text


class _Payload:
    """Unpickling this runs os.mkdir(marker): what a malicious weights file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_card_and_fp16_weights_load_into_an_fp32_model(exported):
    net, path, card = exported
    assert load_card(path.with_suffix(".json")) == card
    assert card["dtype"] == "float16" and card["sha256"] == sha256_of(path)
    state = load_weights(path, expected_sha256=card["sha256"])
    assert all(v.dtype == torch.float32 for v in state.values() if v.is_floating_point())
    fresh = inpaint_net.build(TINY)
    fresh.load_state_dict(state)
    for key, value in net.state_dict().items():
        assert torch.allclose(fresh.state_dict()[key], value, atol=1e-2, rtol=1e-3)
    assert check_safetensors_header(path, card["bytes"]) == {"architecture": "ffc_unet"}


def test_checksum_mismatch_is_refused(exported):
    _, path, card = exported
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # one bit of one weight
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError) as exc:
        load_weights(path, expected_sha256=card["sha256"])
    assert "checksum" in _one_line_naming(exc, path.name)


def test_truncated_safetensors_is_refused(exported):
    _, path, card = exported
    path.write_bytes(path.read_bytes()[: card["bytes"] // 2])
    with pytest.raises(WeightsError) as exc:
        load_weights(path)
    _one_line_naming(exc, path.name)
    with pytest.raises(WeightsError) as exc:
        check_safetensors_header(path)
    _one_line_naming(exc, path.name)
    path.write_bytes(b"\x05\x00")
    with pytest.raises(WeightsError) as exc:
        check_safetensors_header(path)
    _one_line_naming(exc, path.name)


@pytest.mark.parametrize("text, words", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"architecture": "ffc_unet"}', "lacks config, sha256"),
    ('{"architecture": "ffc_unet", "config": [], "sha256": "' + "0" * 64 + '"}', "config"),
    ('{"architecture": "ffc_unet", "config": {}, "sha256": "abc"}', "sha256"),
])
def test_bad_cards_give_one_line_errors(tmp_path, text, words):
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(WeightsError) as exc:
        load_card(path)
    assert words in _one_line_naming(exc, "m.json")


def test_missing_card_is_an_error(tmp_path):
    with pytest.raises(WeightsError) as exc:
        load_card(tmp_path / "gone.json")
    _one_line_naming(exc, "gone.json")


def test_plain_state_dict_pickle_loads_through_weights_only(exported, tmp_path):
    net, _, _ = exported
    path = tmp_path / "plain.pt"
    torch.save({"state_dict": net.half().state_dict()}, path)
    state = load_weights(path, expected_sha256=sha256_of(path))
    assert state.keys() == net.state_dict().keys()
    assert all(v.dtype == torch.float32 for v in state.values() if v.is_floating_point())
    with pytest.raises(WeightsError) as exc:
        load_weights(path, expected_sha256="0" * 64)
    assert "checksum" in _one_line_naming(exc, "plain.pt")


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_malicious_pickle_is_refused_without_running_it(tmp_path, writer):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pth"
    if writer == "pickle":
        path.write_bytes(pickle.dumps(_Payload(marker)))
    else:
        torch.save({"weight": torch.zeros(2), "evil": _Payload(marker)}, path)
    with pytest.raises(WeightsError) as exc:
        load_weights(path)
    assert "refused" in _one_line_naming(exc, "evil.pth")
    assert not marker.exists()
    # The payload is live: an unrestricted unpickler would have run it.
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Payload(probe)))
    assert probe.is_dir()


def test_other_formats_and_non_tensor_pickles_are_refused(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"x")
    with pytest.raises(WeightsError) as exc:
        load_weights(path)
    _one_line_naming(exc, "model.onnx")
    path = tmp_path / "numbers.pt"
    torch.save({"step": 3}, path)
    with pytest.raises(WeightsError) as exc:
        load_weights(path)
    _one_line_naming(exc, "numbers.pt")


def test_card_json_round_trip_matches_trainer_fields(exported):
    _, path, card = exported
    on_disk = json.loads(path.with_suffix(".json").read_text())
    assert {"architecture", "config", "sha256", "bytes", "dtype", "weights"} <= on_disk.keys()
    assert on_disk["weights"] == path.name and card["bytes"] == path.stat().st_size
