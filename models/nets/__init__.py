"""Neural network architectures (pure torch, no I/O)."""
