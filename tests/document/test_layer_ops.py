"""Layer operations: results, and undo restores the exact previous layer list."""

import numpy as np
import pytest

from inpaint_desktop.document import Document, Layer, layer_ops


def snapshot(doc):
    return [(la.id, la.name, la.x, la.y, la.opacity, la.visible, la.pixels.copy(),
             None if la.alpha is None else la.alpha.copy()) for la in doc.layers]


def same(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x[:6] != y[:6] or not np.array_equal(x[6], y[6]):
            return False
        if (x[7] is None) != (y[7] is None) or (x[7] is not None and
                                                 not np.array_equal(x[7], y[7])):
            return False
    return True


@pytest.fixture
def doc():
    rng = np.random.default_rng(1)
    d = Document.from_image(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    top = Layer("patch", np.full((10, 20, 3), 200, np.uint8), x=30, y=25)
    layer_ops.add_layer(d, top).apply(d)
    return d


def roundtrip(doc, edit):
    before = snapshot(doc)
    edit.apply(doc)
    after = snapshot(doc)
    edit.revert(doc)
    assert same(snapshot(doc), before)
    edit.apply(doc)
    assert same(snapshot(doc), after)
    return after


def test_duplicate_inserts_a_copy_above(doc):
    src = doc.layers[1]
    roundtrip(doc, layer_ops.duplicate_layer(doc, src.id))
    assert len(doc.layers) == 3 and doc.layers[2].name == "patch copy"
    assert np.array_equal(doc.layers[2].pixels, src.pixels)
    assert doc.layers[2].pixels is not src.pixels


def test_delete_and_cannot_delete_last(doc):
    roundtrip(doc, layer_ops.delete_layer(doc, doc.layers[1].id))
    assert len(doc.layers) == 1
    with pytest.raises(ValueError):
        layer_ops.delete_layer(doc, doc.layers[0].id)


def test_rename_opacity_visibility_move(doc):
    lid = doc.layers[1].id
    roundtrip(doc, layer_ops.rename_layer(doc, lid, "  sky  "))
    assert doc.layer(lid).name == "sky"
    with pytest.raises(ValueError):
        layer_ops.rename_layer(doc, lid, "   ")
    roundtrip(doc, layer_ops.set_props(doc, lid, opacity=1.7))
    assert doc.layer(lid).opacity == 1.0
    roundtrip(doc, layer_ops.set_props(doc, lid, visible=False))
    assert not doc.layer(lid).visible
    roundtrip(doc, layer_ops.move_layer(doc, lid, 0))
    assert doc.layers[0].id == lid


def test_merge_down_looks_the_same(doc):
    doc.layers[1].opacity = 0.5
    before = doc.composite()
    roundtrip(doc, layer_ops.merge_down(doc, doc.layers[1].id))
    assert len(doc.layers) == 1
    assert np.abs(doc.composite().astype(int) - before.astype(int)).max() <= 1
    with pytest.raises(ValueError):
        layer_ops.merge_down(doc, doc.layers[0].id)


def test_merge_down_of_offset_layers_keeps_uncovered_area_transparent():
    d = Document.from_image(np.zeros((50, 50, 3), np.uint8))
    a = Layer("a", np.full((10, 10, 3), 100, np.uint8), x=0, y=0)
    b = Layer("b", np.full((10, 10, 3), 250, np.uint8), x=20, y=20)
    layer_ops.add_layer(d, a).apply(d)
    layer_ops.add_layer(d, b).apply(d)
    before = d.composite()
    layer_ops.merge_down(d, b.id).apply(d)
    merged = d.layers[1]
    assert merged.bbox == (0, 0, 30, 30) and merged.alpha is not None
    assert merged.alpha[15, 15] == 0 and merged.alpha[5, 5] == 255
    assert np.array_equal(d.composite(), before)


def test_flatten_matches_composite_and_drops_hidden(doc):
    hidden = Layer("hidden", np.zeros((5, 5, 3), np.uint8))
    hidden.visible = False
    layer_ops.add_layer(doc, hidden).apply(doc)
    before = doc.composite()
    roundtrip(doc, layer_ops.flatten(doc))
    assert len(doc.layers) == 1 and doc.layers[0].alpha is None
    assert np.array_equal(doc.layers[0].pixels, before)


def test_composite_respects_opacity_visibility_and_offset():
    d = Document.from_image(np.zeros((20, 20, 3), np.uint8))
    top = Layer("t", np.full((5, 5, 3), 200, np.uint8), x=10, y=10, opacity=0.5)
    layer_ops.add_layer(d, top).apply(d)
    c = d.composite()
    assert tuple(c[12, 12]) == (100, 100, 100) and tuple(c[0, 0]) == (0, 0, 0)
    layer_ops.set_props(d, top.id, visible=False).apply(d)
    assert d.composite()[12, 12, 0] == 0
    assert d.composite((10, 10, 15, 15)).shape == (5, 5, 3)


def test_layer_rejects_bad_arrays():
    with pytest.raises(ValueError):
        Layer("x", np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError):
        Document.from_image(np.zeros((5, 5, 3), np.float32))


def test_the_topmost_colorize_result_follows_the_hints_and_copies_do_not(doc):
    assert doc.hint_layer() is None
    colour = Layer("Colorize 1", np.zeros((40, 60, 3), np.uint8), follows_hints=True)
    layer_ops.add_layer(doc, colour).apply(doc)
    assert doc.hint_layer() is colour
    layer_ops.duplicate_layer(doc, colour.id).apply(doc)  # a snapshot, not a second follower
    assert doc.layers[-1].name == "Colorize 1 copy" and not doc.layers[-1].follows_hints
    assert doc.hint_layer() is colour
    newer = Layer("Colorize 2", np.zeros((40, 60, 3), np.uint8), follows_hints=True)
    edit = layer_ops.add_layer(doc, newer)
    edit.apply(doc)
    assert doc.hint_layer() is newer
    edit.revert(doc)  # undoing the newer Colorize: the older result follows again
    assert doc.hint_layer() is colour
