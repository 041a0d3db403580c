"""Entry point: `python -m inpaint_desktop` and the `inpaint-desktop` console script.

`inpaint-desktop [IMAGE]` opens the editor; `erase`, `colorize`, `restore`, `train` and `models`
are command-line tools (see cli.py) that never import Qt.
"""

import sys

CLI_COMMANDS = {"erase", "colorize", "restore", "train", "models"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in CLI_COMMANDS:
        from inpaint_desktop.cli import main as cli_main

        return cli_main(argv)
    from inpaint_desktop.app import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
