"""Mask painting and mask operations."""

import numpy as np
import pytest

from inpaint_desktop.document import Document, masking


def blank(w=200, h=120):
    return Document.from_image(np.full((h, w, 3), 128, np.uint8))


def test_hard_brush_fills_disc_and_nothing_else():
    m = np.zeros((100, 100), np.uint8)
    masking.paint_segment(m, (50, 50), (50, 50), radius=10, hardness=1.0)
    yy, xx = np.mgrid[0:100, 0:100] + 0.5
    d = np.hypot(xx - 50, yy - 50)
    assert (m[d < 9] == 255).all()
    assert (m[d > 10.5] == 0).all()


def test_soft_brush_has_a_gradient_edge():
    m = np.zeros((100, 100), np.uint8)
    masking.paint_segment(m, (50, 50), (50, 50), radius=20, hardness=0.0)
    assert m[50, 50] == 255 or m[50, 50] > 240
    mid = m[50, 62]
    assert 0 < mid < 255
    assert m[50, 75] == 0


def test_segment_sweep_leaves_no_gaps():
    m = np.zeros((60, 300), np.uint8)
    masking.paint_segment(m, (10, 30), (290, 30), radius=5, hardness=1.0)
    assert (m[30, 10:290] == 255).all()


def test_eraser_subtracts():
    m = np.full((50, 50), 255, np.uint8)
    masking.paint_segment(m, (25, 25), (25, 25), 5, 1.0, masking.SUBTRACT)
    assert m[25, 25] == 0 and m[0, 0] == 255


def test_bad_brush_mode_is_refused():
    with pytest.raises(ValueError):
        masking.paint_segment(np.zeros((5, 5), np.uint8), (1, 1), (2, 2), 1, 1, "replace")


def test_polygon_modes():
    square = [(10, 10), (50, 10), (50, 50), (10, 50)]
    m = np.zeros((60, 60), np.uint8)
    m[0:5, 0:5] = 255
    masking.fill_polygon(m, square, masking.ADD)
    assert m[30, 30] == 255 and m[2, 2] == 255
    masking.fill_polygon(m, [(20, 20), (40, 20), (40, 40), (20, 40)], masking.SUBTRACT)
    assert m[30, 30] == 0 and m[15, 15] == 255
    masking.fill_polygon(m, square, masking.REPLACE)
    assert m[2, 2] == 0 and m[30, 30] == 255
    masking.fill_polygon(m, [(0, 0), (30, 0), (30, 60), (0, 60)], masking.INTERSECT)
    assert m[30, 20] == 255 and m[30, 45] == 0


def test_degenerate_polygon_replace_clears():
    m = np.full((10, 10), 255, np.uint8)
    masking.fill_polygon(m, [(1, 1), (2, 2)], masking.REPLACE)
    assert not m.any()


@pytest.mark.parametrize("op,args,check", [
    (masking.select_all, (), lambda m: (m == 255).all()),
    (masking.invert, (), lambda m: m[0, 0] == 255 and m[60, 100] == 0),
    (masking.grow, (5,), lambda m: m[60, 86] == 255 and m[60, 80] == 0),
    (masking.grow, (-5,), lambda m: m[60, 92] == 0 and m[60, 100] == 255),
    (masking.feather, (6,), lambda m: 0 < m[60, 90] < 255),
])
def test_mask_operations_undo_exactly(op, args, check):
    doc = blank()
    doc.mask[40:80, 90:110] = 255
    before = doc.mask.copy()
    edit = op(doc, *args)
    edit.apply(doc)
    assert check(doc.mask)
    after = doc.mask.copy()
    edit.revert(doc)
    assert np.array_equal(doc.mask, before)
    edit.apply(doc)
    assert np.array_equal(doc.mask, after)


def test_operations_that_change_nothing_return_none():
    doc = blank()
    assert masking.clear(doc) is None
    assert masking.grow(doc, 0) is None
    assert masking.feather(doc, 0) is None
    doc.mask[:] = 255
    assert masking.select_all(doc) is None


def test_whole_mask_edit_stores_only_changed_tiles():
    doc = Document.from_image(np.zeros((1000, 1500, 3), np.uint8))
    doc.mask[100:140, 100:140] = 255
    edit = masking.grow(doc, 4)
    assert edit.nbytes <= 4 * 2 * 128 * 128
