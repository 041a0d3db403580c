"""Shortcut text for tooltips and for the Help > Keyboard shortcuts list.

Both read the QActions themselves, so a changed shortcut shows everywhere at once."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence


def plain_text(action: QAction) -> str:
    """The action's text without the & mnemonic and the trailing '...'."""
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&") \
        .removesuffix("...").strip()


def keys_text(action: QAction) -> str:
    """"Ctrl+Shift+Z, Ctrl+Y" as the platform writes it; "" without shortcuts."""
    return ", ".join(k.toString(QKeySequence.NativeText) for k in action.shortcuts()
                     if not k.isEmpty())


def set_tooltip(action: QAction, text: str | None = None, detail: str = "") -> None:
    """Tooltip "Text (keys)" and, on a second line, the detail (modifier keys and such)."""
    text = text or plain_text(action)
    keys = keys_text(action)
    tip = f"{text} ({keys})" if keys else text
    action.setToolTip(f"{tip}\n{detail}" if detail else tip)
