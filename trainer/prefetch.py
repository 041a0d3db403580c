"""A sampler that makes the next batch in a background thread while the current step trains.

Making a batch (decode-free crops, masks, damage, Lab conversion) is numpy and OpenCV work
that releases the GIL, and a training step leaves the cores partly idle between its kernels,
so the two overlap: a step then waits only for what is left of its batch. The wrapped sampler
is only ever used by one thread at a time, and :meth:`state` is its state from before the
batch in flight, so a checkpoint resumes on exactly the batches an unthreaded run would see.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class PrefetchSampler:
    """``batch(n)`` / ``state()`` / ``set_state()`` of ``sampler``, one batch made ahead."""

    def __init__(self, sampler) -> None:
        self.sampler = sampler
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="batches")
        self._pending: tuple[int, Any, Future] | None = None  # (n, state before it, batch)
        self._closed = False

    def __getattr__(self, name: str):  # the wrapped sampler's other attributes (photos, ...)
        return getattr(self.__dict__["sampler"], name)

    def batch(self, n: int):
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == n:
            out = pending[2].result()
        else:
            if pending is not None:  # another batch size: rewind to before the stale batch
                pending[2].result()
                self.sampler.set_state(pending[1])
            out = self.sampler.batch(n)
        if not self._closed:  # after close it is the plain sampler
            self._pending = (n, self.sampler.state(), self._pool.submit(self.sampler.batch, n))
        return out

    def state(self):
        if self._pending is None:
            return self.sampler.state()
        return self._pending[1]

    def set_state(self, state) -> None:
        self._drop()
        self.sampler.set_state(state)

    def close(self) -> None:
        self._closed = True
        self._drop()
        self._pool.shutdown(wait=True)

    def _drop(self) -> None:
        """Forget the batch in flight (after it is done: the sampler is not shared)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            try:
                pending[2].result()
            except Exception:  # noqa: BLE001 - its error belongs to a batch nobody asked for
                pass
