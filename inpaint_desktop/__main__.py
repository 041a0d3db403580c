"""Entry point: `python -m inpaint_desktop` and the `inpaint-desktop` console script.

`inpaint-desktop [IMAGE]` opens the editor; `erase`, `colorize`, `restore`, `train`, `models`
are command-line tools (see cli.py) that never import Qt. `--help` is the CLI's, which
lists the commands; a bare word that is neither a command nor a path is a typo, not a file
for the editor (see `cli.unknown_command`).
"""

import sys


def starts_editor(argv: list[str]) -> bool:
    """Whether these arguments open the window (run.sh checks the X libraries only then)."""
    from inpaint_desktop import cli  # no Qt, no torch: cheap to import for the editor too

    if not argv:
        return True
    first = argv[0]
    return not (first in cli.command_names() or first in ("-h", "--help")
                or cli.unknown_command(first))


def main(argv: list[str] | None = None) -> int:
    from inpaint_desktop import cli

    argv = sys.argv[1:] if argv is None else argv
    if starts_editor(argv):
        from inpaint_desktop.app import run

        return run(argv)
    problem = cli.unknown_command(argv[0])
    if problem:
        cli.error("inpaint-desktop", problem)
        return cli.EXIT_FAILED
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
