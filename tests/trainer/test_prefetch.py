"""Batches made ahead in a thread are the batches an unthreaded sampler gives, states too."""

import numpy as np
import pytest

from trainer.data import InpaintSampler, PhotoSet
from trainer.prefetch import PrefetchSampler


@pytest.fixture
def photos(photo_dir):
    return PhotoSet.load(photo_dir, max_side=64)


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_the_same_batches_and_a_state_that_resumes_on_them(photos):
    plain = InpaintSampler(photos, 32, seed=3)
    ahead = PrefetchSampler(InpaintSampler(photos, 32, seed=3))
    try:
        for _ in range(3):
            assert same(ahead.batch(2), plain.batch(2))
        # the state is from before the batch in flight: a resumed sampler makes that batch
        resumed = InpaintSampler(photos, 32, seed=99)
        resumed.set_state(ahead.state())
        assert ahead.state() == plain.state()
        expected = plain.batch(2)
        assert same(resumed.batch(2), expected)
        assert same(ahead.batch(2), expected)
    finally:
        ahead.close()


def test_a_new_batch_size_or_state_drops_the_batch_in_flight(photos):
    plain = InpaintSampler(photos, 32, seed=4)
    ahead = PrefetchSampler(InpaintSampler(photos, 32, seed=4))
    try:
        assert same(ahead.batch(2), plain.batch(2))
        assert same(ahead.batch(3), plain.batch(3))  # not the 2 made ahead
        start = plain.state()
        first = plain.batch(1)
        ahead.set_state(start)
        assert same(ahead.batch(1), first)
        assert len(ahead.photos) == len(plain.photos)  # other attributes are the sampler's
    finally:
        ahead.close()


class Failing:
    def __init__(self):
        self.calls = 0

    def batch(self, n):
        self.calls += 1
        if self.calls == 2:
            raise ValueError("photo 7 vanished")
        return (np.zeros(n),)

    def state(self):
        return {"calls": self.calls}

    def set_state(self, state):
        self.calls = state["calls"]


def test_an_error_made_ahead_reaches_the_step_that_needs_the_batch():
    ahead = PrefetchSampler(Failing())
    try:
        ahead.batch(2)  # the second (failing) batch is being made now
        with pytest.raises(ValueError, match="photo 7 vanished"):
            ahead.batch(2)
    finally:
        ahead.close()


def test_a_run_trains_with_batches_made_ahead_and_closes_the_thread(photo_dir, tmp_path):
    from trainer.loop import Run

    run = Run(photo_dir, "ahead", tmp_path / "runs",
              {"steps": 2, "crop": 32, "batch": 2, "val_count": 2, "val_per_photo": 1,
               "model": {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]}})
    summary = run.run()
    assert summary["step"] == 2
    assert isinstance(run.sampler, PrefetchSampler)
    assert run.sampler._pool._shutdown
    assert len(run.sampler.batch(2)[0]) == 2  # after the run: made in the caller's thread
