"""Document edits: apply, revert, re-apply gives identical arrays; memory follows touched pixels."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaint_desktop.document import Document, PixelEdit, TileBackup, diff_tiles, masking
from inpaint_desktop.document.patch import TILE


def make_doc(w=300, h=200, seed=0):
    rng = np.random.default_rng(seed)
    return Document.from_image(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def paint_stroke(doc, points, radius, hardness, mode=masking.ADD):
    backup = TileBackup(doc.mask)
    for p0, p1 in zip(points, points[1:]):
        box = masking.segment_bbox(p0, p1, radius, doc.width, doc.height)
        if box:
            backup.save(box)
            masking.paint_segment(doc.mask, p0, p1, radius, hardness, mode)
    return PixelEdit(doc.MASK, backup.patches())


points = st.lists(st.tuples(st.floats(-20, 320), st.floats(-20, 220)), min_size=2, max_size=6)


@settings(max_examples=40, deadline=None)
@given(strokes=st.lists(st.tuples(points, st.floats(1, 40), st.floats(0, 1), st.booleans()),
                        min_size=1, max_size=4))
def test_strokes_apply_revert_reapply_identical(strokes):
    doc = make_doc()
    states = [doc.mask.copy()]
    edits = []
    for pts, radius, hardness, add in strokes:
        edits.append(paint_stroke(doc, pts, radius, hardness,
                                  masking.ADD if add else masking.SUBTRACT))
        states.append(doc.mask.copy())
    for i in range(len(edits) - 1, -1, -1):  # undo all
        edits[i].revert(doc)
        assert np.array_equal(doc.mask, states[i])
    for i, e in enumerate(edits):  # redo all
        e.apply(doc)
        assert np.array_equal(doc.mask, states[i + 1])
    edits[-1].apply(doc)  # idempotent redo
    assert np.array_equal(doc.mask, states[-1])


def test_stroke_stores_only_touched_tiles():
    doc = Document.from_image(np.zeros((3000, 4000, 3), np.uint8))
    # a diagonal stroke: its bbox is nearly the whole image, its tiles are not
    edit = paint_stroke(doc, [(10, 10), (3990, 2990)], 10, 1.0)
    assert edit.nbytes < 0.2 * 2 * doc.mask.nbytes
    assert all(p.before.shape[0] <= TILE and p.before.shape[1] <= TILE for p in edit.patches)


def test_listener_receives_dirty_rect_of_edit():
    doc = make_doc()
    edit = paint_stroke(doc, [(50, 50), (60, 55)], 5, 1.0)
    changes = []
    doc.add_listener(changes.append)
    rev = doc.revision
    edit.revert(doc)
    assert changes and changes[-1].mask and doc.revision > rev
    x0, y0, x1, y1 = changes[-1].bbox
    assert x0 <= 45 and y0 <= 45 and x1 >= 65 and y1 >= 60
    assert (x1 - x0) * (y1 - y0) <= 2 * TILE * TILE  # a tile or two, not the image


def test_layer_pixel_edit_is_notified_in_canvas_coordinates():
    from inpaint_desktop.document import Layer, layer_ops

    doc = make_doc()
    layer = Layer("result", np.zeros((20, 30, 3), np.uint8), x=100, y=50)
    layer_ops.add_layer(doc, layer).apply(doc)
    new = layer.pixels.copy()
    new[5:10, 5:10] = 200
    edit = PixelEdit(layer.id, diff_tiles(layer.pixels, new))
    changes = []
    doc.add_listener(changes.append)
    edit.apply(doc)
    assert np.array_equal(layer.pixels, new)
    assert changes[-1].bbox == (100, 50, 130, 70)


def test_tile_backup_restore_cancels_live_edit():
    doc = make_doc()
    before = doc.mask.copy()
    backup = TileBackup(doc.mask)
    box = masking.segment_bbox((10, 10), (200, 150), 12, doc.width, doc.height)
    backup.save(box)
    masking.paint_segment(doc.mask, (10, 10), (200, 150), 12)
    assert doc.mask.any()
    backup.restore()
    assert np.array_equal(doc.mask, before)


def test_diff_tiles_skips_unchanged_tiles():
    a = np.zeros((500, 500), np.uint8)
    b = a.copy()
    b[300, 300] = 1
    patches = diff_tiles(a, b)
    assert len(patches) == 1
    assert patches[0].bbox == (256, 256, 384, 384)
