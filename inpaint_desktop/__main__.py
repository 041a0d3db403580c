"""Entry point: `python -m inpaint_desktop` and the `inpaint-desktop` console script.

`inpaint-desktop [IMAGE]` opens the editor; `erase`, `colorize`, `restore`, `train`, `models`
are command-line tools (see cli.py) that never import Qt. `--help` is the CLI's, which
lists the commands; a bare word that is neither a command nor a path is a typo, not a file
for the editor (see `cli.unknown_command`).
"""

import sys


def main(argv: list[str] | None = None) -> int:
    from inpaint_desktop import cli  # no Qt, no torch: cheap to import for the editor too

    argv = sys.argv[1:] if argv is None else argv
    if argv and (argv[0] in cli.command_names() or argv[0] in ("-h", "--help")):
        return cli.main(argv)
    problem = cli.unknown_command(argv[0]) if argv else None
    if problem:
        cli.error("inpaint-desktop", problem)
        return cli.EXIT_FAILED
    from inpaint_desktop.app import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
