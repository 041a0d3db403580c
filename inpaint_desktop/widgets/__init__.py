"""Main window, dock panels and dialogs: wiring only, no image logic."""
