"""Hints JSON: parse, validate, save, round trip, and one-line errors."""

from __future__ import annotations

import json

import pytest

from inpaint_desktop.document.hints import (
    Hint,
    HintsError,
    hex_to_rgb,
    hints_to_json,
    load_hints,
    parse_hints,
    rgb_to_hex,
    save_hints,
    validate_hints,
)


def test_parse_points():
    hints = parse_hints('{"points": [[10, 20, "#ff8000"], [1.5, 2.25, "#00AAff"]]}')
    assert hints == [Hint(10.0, 20.0, (255, 128, 0)), Hint(1.5, 2.25, (0, 170, 255))]
    assert hints[0].hex == "#ff8000"
    assert parse_hints('{"points": []}') == []


@pytest.mark.parametrize("text, message", [
    ("{", "not valid JSON"),
    ("[]", "expected an object"),
    ('{"hints": []}', "expected an object"),
    ('{"points": {}}', "must be a list"),
    ('{"points": [[1, 2]]}', "point 1: expected"),
    ('{"points": [[1, 2, "#fff"]]}', "point 1: colour '#fff'"),
    ('{"points": [[1, 2, "red"]]}', "point 1: colour 'red'"),
    ('{"points": [[1, 2, "#ff0000"], ["a", 2, "#ff0000"]]}', "point 2: x 'a' is not a number"),
    ('{"points": [[1, true, "#ff0000"]]}', "point 1: y True is not a number"),
    ('{"points": [[1, NaN, "#ff0000"]]}', "not a finite number"),
    ('{"points": [[1, 2, "#ff0000", 0]]}', "point 1: patch size 0 is not 1..2048 pixels"),
    ('{"points": [[1, 2, "#ff0000", 5000]]}', "point 1: patch size 5000 is not 1..2048"),
    ('{"points": [[1, 2, "#ff0000", "9"]]}', "point 1: patch size '9' is not a number"),
    ('{"points": [[1, 2, "#ff0000", null]]}', "point 1: patch size None is not a number"),
    ('{"points": [[1, 2, "#ff0000", 4, 5]]}', "point 1: expected"),
])
def test_malformed_hints_are_one_line_errors(text, message):
    with pytest.raises(HintsError) as info:
        parse_hints(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_patch_sizes_round_trip_and_three_fields_mean_the_default(tmp_path):
    hints = parse_hints('{"points": [[10, 20, "#ff8000", 16], [1, 2, "#000000"], '
                        '[3, 4, "#ffffff", 7.5]]}')
    assert [h.size for h in hints] == [16, None, 7.5]
    assert hints[0] == Hint(10, 20, (255, 128, 0), 16)
    path = tmp_path / "sized.json"
    save_hints(path, hints)
    assert json.loads(path.read_text())["points"] == [[10, 20, "#ff8000", 16], [1, 2, "#000000"],
                                                      [3, 4, "#ffffff", 7.5]]
    assert load_hints(path) == hints


def test_default_patch_is_the_bundled_colorizers_square_in_image_pixels():
    from inpaint_desktop.document import hints
    from models import learned

    assert hints.DEFAULT_WORKING_SIZE == learned.DEFAULT_COLORIZE_SIZE
    assert hints.DEFAULT_PATCH_WORKING_PIXELS == 2 * learned.HINT_RADIUS + 1
    assert hints.default_hint_size(200, 150) == 3  # not shrunk: 3 image pixels
    assert hints.default_hint_size(4000, 3000) == 47  # 3 * 4000 / 256
    assert Hint(1, 2, (0, 0, 0)).patch(4000, 3000) == 47
    assert Hint(1, 2, (0, 0, 0), 9).patch(4000, 3000) == 9


def test_validate_against_the_image_size():
    hints = [Hint(0, 0, (1, 2, 3)), Hint(63.5, 47.9, (1, 2, 3))]
    assert validate_hints(hints, 64, 48) == hints
    with pytest.raises(HintsError, match=r"point 2 at \(64, 10\) is outside the 64x48 image"):
        validate_hints([hints[0], Hint(64, 10, (0, 0, 0))], 64, 48)
    with pytest.raises(HintsError, match="outside"):
        validate_hints([Hint(-1, 10, (0, 0, 0))], 64, 48)


def test_save_load_round_trip(tmp_path):
    hints = [Hint(3, 4, (255, 0, 16)), Hint(5.5, 6.0, (1, 2, 3))]
    path = tmp_path / "h.json"
    save_hints(path, hints)
    assert json.loads(path.read_text()) == {"points": [[3, 4, "#ff0010"], [5.5, 6, "#010203"]]}
    assert load_hints(path) == hints
    assert load_hints(path, 10, 10) == hints
    with pytest.raises(HintsError):
        load_hints(path, 5, 5)
    assert [p.name for p in tmp_path.iterdir()] == ["h.json"]  # no temporary file left


def test_load_errors(tmp_path):
    with pytest.raises(OSError):
        load_hints(tmp_path / "missing.json")
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(HintsError, match="not"):
        load_hints(binary)


def test_colour_helpers():
    assert hex_to_rgb("#0a0B0c") == (10, 11, 12)
    assert rgb_to_hex((10, 11, 12)) == "#0a0b0c"
    with pytest.raises(HintsError):
        rgb_to_hex((256, 0, 0))
    assert hints_to_json([]) == '{"points": []}\n'


def test_deep_nesting_is_a_hints_error():
    with pytest.raises(HintsError, match="nested too deeply"):
        parse_hints("[" * 100_000)


def test_only_regular_files_under_the_limit_are_read(tmp_path):
    from inpaint_desktop.document.hints import MAX_HINTS_BYTES

    with pytest.raises(HintsError, match="not a regular file"):
        load_hints(tmp_path)  # a folder
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_HINTS_BYTES + 1))
    with pytest.raises(HintsError, match="the limit is 1 MB"):
        load_hints(big)
