"""Background work: the inference thread (and later the trainer subprocess bridge)."""
