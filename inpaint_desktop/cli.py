"""The command-line tools: `erase`, `colorize`, `restore`, `models`, `train` (design.md,
"Command line").

    inpaint-desktop erase    --image PATH --mask PATH --output PATH [--model NAME] [--device D]
                             [--hd-strategy crop|resize|original] [--margin PX]
                             [--no-texture] [--no-fsr-mix]
    inpaint-desktop colorize --image PATH --output PATH [--hints PATH] [--model NAME] [--device D]
    inpaint-desktop restore  --image PATH --output PATH [--save-mask DIR] [--no-colorize]
                             [--sensitivity S] [--hints PATH] [--model NAME] [--detector NAME]
    inpaint-desktop select   --image PATH --output MASK.png [--box X0 Y0 X1 Y1] [--click X Y ...]
                             [--negative X Y ...] [--model NAME] [--device D]
    inpaint-desktop models
    inpaint-desktop train    --task inpaint|colorize --photos DIR --name NAME [--minutes M]
                             [--steps N] [--resume] [--base WEIGHTS] [--models-dir DIR]
                             [--out DIR] [--no-install] [--scan] [--json] [-- TRAINER ARGS]

PATH is a file or a folder. In folder mode every image of the --image folder is processed; its
mask (or hints) is the file of the same stem in the --mask (--hints) folder, and the output is
`<stem>.png` in the --output folder, which is created. With a file --image, --output may be a
file name or an existing folder (then `<stem>.png` goes in it).

Each problem with one input is ONE line on stderr that names the file and the reason, e.g.
`erase: mask.png: mask is 640x480 but the image is 800x600`; the rest of a batch still runs, and
the exit status is 2 if any item failed (0 when all were written). Decisions:

- An empty mask is a failed item ("nothing to erase", no output written, status 2): a batch
  that expects an erased photo should not silently get a copy of the original. So is a mask
  that leaves under 1% of the image unmasked (`models.engine.MIN_KNOWN_FRACTION`): there is
  nothing to fill from, and the "result" would be a black or smeared frame.
- In folder mode an image without a hints file is colorized without hints (hints are
  optional), except by an engine that needs hints (`levin`): then, as an image without a
  mask, it is a failed item. Such an engine without --hints at all is a usage error.
- A hints file must be a regular file of at most 1 MB (document/hints.py): a FIFO or a
  device is refused before it is opened.
- Names from model cards and files are printed with control characters escaped (`printable`).
- When the default engine's weights do not load and the next one runs, one line on stderr
  says which ran.
- An already-colour photo given to colorize is colorized from its luminance, with a note on
  stdout; it is not an error.
- restore with no damage found writes the (gray or colorized) photo and says so on stdout:
  an old photo without scratches is good news, not an error.
- Nothing is ever written over an input file (image, mask or hints): such an item fails.
- select works on one image file (a box or clicks belong to one picture) and writes a PNG mask
  of the image's size, white (255) = the object. It needs a box or at least one click; a box
  wholly outside the image or under a pixel wide, a click outside it, an odd number of
  coordinates, a missing output folder: one line, status 2, nothing written.

Notes and the line for each written file go to stdout. This module imports neither Qt nor
torch (engines that need torch import it when they are built).

`train` runs `python -m trainer` in a subprocess with this interpreter (as the app does: a
training crash cannot take anything else down) and passes its options through; arguments after
`--` go to the trainer unchanged (e.g. `-- --arch partial_conv --threads 2`). The trainer
writes to this process's terminal itself: a progress bar on a terminal, JSON lines with
`--json` or on a pipe, `error: ...` on stderr. The exit status is the trainer's. Ctrl+C (or
SIGTERM) is passed on once: the trainer stops after the current step and writes a checkpoint;
pressing it twice more kills the trainer (the last checkpoint stays). The result is installed
into the user's model folder (`--models-dir`, default the app's), and runs live beside it in
`<models dir>/../runs` unless `--out` says otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 2
HINTS_EXTENSION = ".json"


class CommandError(Exception):
    """A problem that stops the whole command (one line; the prefix is added by main)."""


class ItemError(Exception):
    """A problem with one item of a batch (one line naming the file)."""


@dataclass
class Item:
    image: Path
    aux: Path | None  # the mask (erase) or the hints file (colorize)
    output: Path
    error: str | None = None  # set when the item cannot run at all


# --------------------------------------------------------------------------------------------
# argument parsing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inpaint-desktop",
        usage="%(prog)s [IMAGE-OR-PROJECT]\n       %(prog)s COMMAND [OPTIONS]",
        description="Erase objects from photos and colorize black-and-white scans. "
                    "Without a command, open the editor (with the image or .inpaint "
                    "project, if given).",
        epilog="`inpaint-desktop COMMAND --help` describes the options of a command.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands")

    devices = ("auto", "cpu", "cuda", "mps")
    erase = sub.add_parser("erase", help="fill the masked part of photos",
                           description="Fill the masked part (white = erase) of a photo or of "
                                       "every photo of a folder.")
    erase.add_argument("--image", required=True, type=Path, help="photo file or folder")
    erase.add_argument("--mask", required=True, type=Path,
                       help="mask file or folder (white = erase, black = keep; same size)")
    erase.add_argument("--output", required=True, type=Path, help="output file or folder")
    erase.add_argument("--model", help="inpainting engine (see `inpaint-desktop models`)")
    erase.add_argument("--device", default="auto", choices=devices)
    erase.add_argument("--hd-strategy", default="crop", choices=("crop", "resize", "original"),
                       help="large photos: inpaint a crop around each masked region (default),"
                            " the whole photo resized, or the whole photo as it is")
    erase.add_argument("--margin", type=int, default=None, metavar="PX",
                       help="context around each masked region for --hd-strategy crop "
                            "(default 128)")
    erase.add_argument("--no-texture", action="store_true",
                       help="learned engines: keep the network's fill of large holes, without "
                            "texture copied from the photo")
    erase.add_argument("--no-fsr-mix", action="store_true",
                       help="learned engines: fill strokes and scratches with the network "
                            "alone, without mixing in the classical FSR fill (faster)")

    colorize = sub.add_parser("colorize", help="colorize black-and-white photos",
                              description="Colorize a photo or every photo of a folder, "
                                          "optionally steered by colour hints.")
    colorize.add_argument("--image", required=True, type=Path, help="photo file or folder")
    colorize.add_argument("--output", required=True, type=Path, help="output file or folder")
    colorize.add_argument("--hints", type=Path,
                          help='hints file or folder: JSON {"points": [[x, y, "#rrggbb"], '
                               '...]}; a fourth number [x, y, "#rrggbb", size] is the patch '
                               'size (the side of the square it colours, image pixels)')
    colorize.add_argument("--model", help="colorization engine (see `inpaint-desktop models`)")
    colorize.add_argument("--device", default="auto", choices=devices)

    restore = sub.add_parser(
        "restore", help="repair old photos: find and fill damage, then colorize",
        description="Find scratches, dust, cracks and tears in an old photo (or every photo "
                    "of a folder), fill them on the gray photo and colorize the result.")
    restore.add_argument("--image", required=True, type=Path, help="photo file or folder")
    restore.add_argument("--output", required=True, type=Path, help="output file or folder")
    restore.add_argument("--save-mask", type=Path, metavar="DIR",
                         help="also write the damage found as DIR/<stem>.png (white = damage)")
    restore.add_argument("--no-colorize", action="store_true",
                         help="write the restored gray photo (as RGB) instead of colorizing it")
    restore.add_argument("--sensitivity", type=float, default=0.5, metavar="S",
                         help="0..1: how readily a pixel counts as damage (default 0.5)")
    restore.add_argument("--hints", type=Path,
                         help="colour hints file or folder for the colorizing step")
    restore.add_argument("--model", help="inpainting engine for the fill")
    restore.add_argument("--detector", help="damage detector (see `inpaint-desktop models`)")
    restore.add_argument("--device", default="auto", choices=devices)

    select = sub.add_parser(
        "select", help="select an object: write its mask",
        description="Select the object in a box and/or under clicks and write its mask as a PNG "
                    "of the image's size (white = the object), as `erase --mask` reads it.")
    select.add_argument("--image", required=True, type=Path, help="photo file")
    select.add_argument("--output", required=True, type=Path,
                        help="mask file to write (.png), or an existing folder")
    # nargs="+" and counted by run_select: a wrong count is then one line, not a usage text
    select.add_argument("--box", nargs="+", type=float, metavar="X0 Y0 X1 Y1",
                        help="a box around the object, in image pixels")
    select.add_argument("--click", nargs="+", type=float, default=[], action="extend",
                        metavar="X Y", help="points on the object (pairs of numbers, image "
                                            "pixels; the flag may be repeated)")
    select.add_argument("--negative", nargs="+", type=float, default=[], action="extend",
                        metavar="X Y", help="points that are not the object")
    select.add_argument("--model", help="selector (see `inpaint-desktop models`)")
    select.add_argument("--device", default="auto", choices=devices)

    sub.add_parser("models", help="list the available engines",
                   description="List the inpainting, colorization, damage-detection and "
                               "object-selection engines.")

    train = sub.add_parser("train", help="fine-tune a model on your photos",
                           description="Fine-tune a model on a folder of your photos; the "
                                       "result appears in the app's model list.")
    train.add_argument("--task", required=True, choices=("inpaint", "colorize", "detect"))
    train.add_argument("--photos", required=True, type=Path,
                       help="folder of colour photos (searched recursively)")
    train.add_argument("--name", help="name of the run and of the model (required unless --scan)")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="time budget of this invocation")
    budget.add_argument("--steps", type=int, help="train until this total step count")
    train.add_argument("--resume", action="store_true", help="continue an interrupted run")
    train.add_argument("--base", type=Path,
                       help="weights (.safetensors + card) to fine-tune (default: the bundled "
                            "model of the task)")
    train.add_argument("--from-scratch", action="store_true",
                       help="train a new network instead of fine-tuning (needs hours; also "
                            "when `-- --arch` names another network)")
    train.add_argument("--install-anyway", action="store_true",
                       help="install the result even if it scores below its base model on "
                            "the held-out photos (from scratch: below the classical method)")
    train.add_argument("--device", default="auto", choices=devices)
    train.add_argument("--crop", type=int, help="training crop size")
    train.add_argument("--batch", type=int, help="batch size")
    train.add_argument("--lr", type=float, help="learning rate")
    train.add_argument("--models-dir", type=Path,
                       help="where the result is installed (default: the user's model folder)")
    train.add_argument("--out", type=Path,
                       help="folder for runs (default: `runs` beside the model folder)")
    train.add_argument("--no-install", action="store_true",
                       help="leave the result in the run folder only")
    train.add_argument("--stop-file", type=Path, help="a file whose appearance stops the run")
    train.add_argument("--scan", action="store_true",
                       help="only check the photo folder: count the usable photos")
    train.add_argument("--json", action="store_true", help="JSON lines instead of a progress bar")
    train.add_argument("trainer_args", nargs="*", metavar="-- TRAINER ARGS",
                       help="further `python -m trainer` options, after --")
    parser.command_names = sorted(sub.choices)  # for command_names()
    return parser


def command_names() -> list[str]:
    """The subcommands, as the parser knows them (for __main__ to tell them from a file)."""
    return build_parser().command_names


def unknown_command(word: str) -> str | None:
    """The error for a first argument that is neither a command nor a file to open, else None.

    Anything that looks like a path (exists, has a folder or an extension) is for the
    editor, which reports a missing file itself; a bare word such as `erse` is a typo.
    """
    names = command_names()
    if word in names or word.startswith("-") or "/" in word or "\\" in word \
            or os.path.splitext(word)[1] or os.path.exists(word):
        return None
    close = difflib.get_close_matches(word, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (f"unknown command {word!r}{hint}; to open a file in the editor, give its path; "
            f"`inpaint-desktop --help` lists the commands")


def main(argv: list[str] | None = None) -> int:
    _sanitise_log_output()
    try:
        status = _run(sys.argv[1:] if argv is None else list(argv))
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return status
    except BrokenPipeError:
        return _stdout_closed()


def _run(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): argparse printed it
        return int(e.code or 0)
    command = {"erase": run_erase, "colorize": run_colorize, "restore": run_restore,
               "select": run_select, "models": run_models, "train": run_train}[args.command]
    try:
        return command(args)
    except CommandError as e:
        error(args.command, str(e))
        return EXIT_FAILED
    except KeyboardInterrupt:
        error(args.command, "interrupted")
        return 130


def _sanitise_log_output() -> None:
    """Warnings logged on the way (e.g. a model file skipped by discovery, named by its file
    name) go to the terminal through `printable` too, as logging's last resort would print
    them: the message only."""
    root = logging.getLogger()
    if root.handlers:
        return  # someone configured logging: theirs

    class Printable(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return printable(" ".join(super().format(record).split()))

    handler = logging.StreamHandler()  # stderr
    handler.setLevel(logging.WARNING)
    handler.setFormatter(Printable())
    root.addHandler(handler)


def _stdout_closed() -> int:
    """`inpaint-desktop models | head`: the reader left. Stop quietly, as a CLI killed by
    SIGPIPE does, and point stdout at devnull so the exit's flush cannot complain again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test's capture): nothing to redirect
        pass
    return 128 + 13  # the shell's status for a process killed by SIGPIPE


def printable(text: object) -> str:
    """`text` with control characters (ESC, newlines, ...) written as escapes: model cards
    and file names are untrusted, and raw escape sequences would drive the user's terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in str(text))


def error(command: str, message: str) -> None:
    print(f"{command}: {printable(' '.join(message.split()))}", file=sys.stderr, flush=True)


def say(command: str, message: str) -> None:
    print(f"{command}: {printable(message)}", flush=True)


# --------------------------------------------------------------------------------------------
# engines


def _check_device(device: str) -> None:
    if device == "auto":
        return  # resolved by each engine that uses a device; classical ones never need torch
    from models.engine import select_device

    try:
        select_device(device)
    except ValueError as e:
        raise CommandError(str(e)) from None


def _engine(kind: str, name: str | None, device: str, command: str | None = None):
    import models
    from models import engine as registry
    from models.engine import UnknownModel

    command = command or {"inpaint": "erase"}.get(kind, kind)  # the line's prefix
    _check_device(device)
    failed_before = len(registry.fallback_problems)
    try:
        if kind == "inpaint":
            engine = models.get_inpainter(name, device=device)
        elif kind == "detect":
            engine = models.get_detector(name, device=device)
        elif kind == "select":
            engine = models.get_selector(name, device=device)
        else:
            engine = models.get_colorizer(name, device=device)
    except UnknownModel as e:
        raise CommandError(str(e)) from None
    except (ValueError, OSError, RuntimeError) as e:  # weights that fail to load, ...
        raise CommandError(f"cannot load model {name!r}: {e}") from None
    failed = registry.fallback_problems[failed_before:]
    if failed:  # the default's weights did not load: say what runs instead of them
        error(command, f"the default model did not load ({'; '.join(failed)}); "
                       f"using {engine.name} ({engine.label}) instead")
    return engine


def run_models(args) -> int:
    import models

    rows = [(info, models.default_inpainter()) for info in models.inpainters()]
    rows += [(info, models.default_colorizer()) for info in models.colorizers()]
    rows += [(info, models.detectors()[0].name) for info in models.detectors()]
    rows += [(info, models.selectors()[0].name) for info in models.selectors()]
    rows = [("*" if info.name == default else " ", printable(info.name), info.kind,
             printable(info.label), printable(info.description)) for info, default in rows]
    name_w = max([len(row[1]) for row in rows] + [4])
    label_w = max([len(row[3]) for row in rows] + [5])
    print(f"  {'NAME':{name_w}s}  {'KIND':8s}  {'LABEL':{label_w}s}  DESCRIPTION")
    for mark, name, kind, label, description in rows:
        print(f"{mark} {name:{name_w}s}  {kind:8s}  {label:{label_w}s}  {description}")
    print("\nThe engine marked * is the default of its kind (used without --model).")
    return EXIT_OK


def default_runs_dir(models_dir: Path | None) -> Path:
    """``runs`` beside the model folder: ``<user data>/inpaint-desktop/runs`` by default."""
    if models_dir is None:
        from models.learned import user_folders  # numpy only, no torch

        models_dir = user_folders()[0]
    return Path(models_dir).expanduser().parent / "runs"


def default_base(args) -> Path | None:
    """The weights a `train` run starts from: --base, else (as the Train dialog does) the
    bundled model of the task, unless --from-scratch or `-- --arch` asks for a new network.
    (A resumed run's trainer ignores it: its settings come from the checkpoint.)"""
    if args.base is not None or args.from_scratch or args.scan or "--arch" in args.trainer_args:
        return args.base
    from models.learned import BUNDLED_PRIORITY, discover, discovered

    discover()
    for m in discovered():
        if m.kind == args.task and m.priority >= BUNDLED_PRIORITY:
            return Path(m.weights)
    return None


def trainer_command(args) -> list[str]:
    """The `python -m trainer` command line of a `train` invocation."""
    cmd = [sys.executable, "-m", "trainer", "--task", args.task, "--photos", str(args.photos)]
    if not args.scan:
        out = args.out if args.out is not None else default_runs_dir(args.models_dir)
        cmd += ["--out", str(out)]
    for flag, value in (("--name", args.name), ("--minutes", args.minutes),
                        ("--steps", args.steps), ("--base", default_base(args)),
                        ("--device", args.device), ("--crop", args.crop),
                        ("--batch", args.batch), ("--lr", args.lr),
                        ("--models-dir", args.models_dir), ("--stop-file", args.stop_file)):
        if value is not None:
            cmd += [flag, str(value)]
    for flag, on in (("--resume", args.resume), ("--no-install", args.no_install),
                     ("--install-anyway", args.install_anyway),
                     ("--scan", args.scan), ("--json", args.json)):
        if on:
            cmd.append(flag)
    return cmd + list(args.trainer_args)


def _trainer_env() -> dict[str, str]:
    """This environment, with the source tree on the path when running from a checkout."""
    env = dict(os.environ)
    root = Path(__file__).resolve().parent.parent
    if (root / "trainer" / "__main__.py").is_file():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    return env


_SIGHUP = getattr(signal, "SIGHUP", None)  # POSIX only


def run_train(args) -> int:
    if not args.scan and not args.name:
        raise CommandError("--name is required: the name of the run and of the model")
    # POSIX: a session of its own, so that Ctrl+C at the terminal reaches only this process,
    # which passes it on exactly once (the trainer takes a repeated one for "stop" as well,
    # but one before its handler is in place would print a traceback).
    own_session = os.name == "posix"
    proc = subprocess.Popen(trainer_command(args), env=_trainer_env(),
                            start_new_session=own_session)
    presses = 0

    def tell(message: str) -> None:
        try:
            error("train", message)
        except OSError:
            pass  # the terminal is gone (SIGHUP)

    def forward(signum, _frame) -> None:
        nonlocal presses
        presses += 1
        if presses >= 3:
            proc.kill()
            tell("killed; the last checkpoint is kept (--resume continues from it)")
            return
        if own_session or signum != signal.SIGINT:  # Windows: the console told it already
            try:  # a closed terminal (SIGHUP) stops the run like SIGTERM
                proc.send_signal(signal.SIGTERM if signum == _SIGHUP else signum)
            except OSError:
                pass  # already gone
        if presses == 1:
            tell("stopping after the current step and writing a checkpoint ...")
        elif signum == signal.SIGINT:
            tell("still stopping; press Ctrl+C once more to kill it")

    handlers = {}
    for sig in (signal.SIGINT, signal.SIGTERM, _SIGHUP):
        if sig is None:
            continue
        try:
            handlers[sig] = signal.signal(sig, forward)
        except ValueError:  # not the main thread: no relaying, the trainer still stops on its own
            pass
    try:
        code = proc.wait()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return code if code >= 0 else 128 - code  # killed by a signal: the shell's convention


# --------------------------------------------------------------------------------------------
# pairing inputs and outputs


def _image_files(folder: Path) -> list[Path]:
    from inpaint_desktop.document.image_io import is_image_path

    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p.name)
                  and not p.name.startswith("."))


def _find_by_stem(folder: Path, stem: str, image: bool) -> Path | None:
    """The file named `stem` + an image extension (or .json) in `folder`, if any."""
    from inpaint_desktop.document.image_io import IMAGE_EXTENSIONS

    extensions = IMAGE_EXTENSIONS if image else (HINTS_EXTENSION,)
    candidates = [folder / f"{stem}{ext}" for ext in extensions]
    candidates += [folder / f"{stem}{ext.upper()}" for ext in extensions]
    for path in candidates:
        if path.is_file():
            return path
    return None


def plan(command: str, image: Path, aux: Path | None, output: Path,
         aux_required: bool) -> list[Item]:
    """The items of a command: (image, mask or hints, output) for a file or a folder."""
    aux_word = "mask" if command == "erase" else "hints"
    if not image.exists():
        raise CommandError(f"{image}: no such file or folder")
    if aux is not None and not aux.exists():
        raise CommandError(f"{aux}: no such file or folder")
    if image.is_dir():
        if aux is not None and not aux.is_dir():
            raise CommandError(f"{aux}: --image is a folder, so --{aux_word} must be a folder")
        if output.exists() and not output.is_dir():
            raise CommandError(f"{output}: --image is a folder, so --output must be a folder")
        images = _image_files(image)
        if not images:
            raise CommandError(f"{image}: no images in the folder")
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CommandError(f"{output}: cannot create the folder "
                               f"({e.strerror or e})") from None
        items = []
        for path in images:
            found = _find_by_stem(aux, path.stem, command == "erase") if aux else None
            item = Item(path, found, output / f"{path.stem}.png")
            if found is None and aux_required:
                where = f" in {aux}" if aux else ""
                item.error = f"{path.name}: no {aux_word} named {path.stem}.*{where}"
            items.append(item)
    else:
        if aux is not None and aux.is_dir():
            found = _find_by_stem(aux, image.stem, command == "erase")
            if found is None and aux_required:
                raise CommandError(f"{image.name}: no {aux_word} named {image.stem}.* in {aux}")
            aux = found
        if aux is None and aux_required:
            raise CommandError(f"--{aux_word} is required")
        out = output / f"{image.stem}.png" if output.is_dir() else output
        items = [Item(image, aux, out)]
    _refuse_overwrites(items)
    return items


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _refuse_overwrites(items: list[Item]) -> None:
    """Fail items whose output is an input file, or is another item's output."""
    inputs = {_file_id(p) for item in items for p in (item.image, item.aux) if p is not None}
    inputs.discard(None)
    claimed: dict[str, Path] = {}
    for item in items:
        if item.error:
            continue
        if _file_id(item.output) in inputs:
            item.error = (f"{item.output}: the output would overwrite an input file; "
                          f"choose another output")
            continue
        key = os.path.normcase(os.path.abspath(item.output))
        if key in claimed:
            item.error = (f"{item.image.name}: {claimed[key].name} already writes "
                          f"{item.output.name} (two images with the same name)")
            continue
        claimed[key] = item.image


# --------------------------------------------------------------------------------------------
# erase and colorize


def _load(path: Path, mask: bool = False):
    """The decoded image (LoadedImage), or with `mask` the mask array (white = fill)."""
    from inpaint_desktop.document.image_io import ImageFileError, load_image, load_mask

    try:
        return load_mask(path) if mask else load_image(path)
    except ImageFileError as e:
        raise ItemError(str(e)) from None
    except MemoryError:
        raise ItemError(f"cannot open {path.name}: not enough memory") from None


def _open_image(command: str, item: Item):
    """The item's decoded image, its notes (e.g. "grayscale image") said on stdout."""
    loaded = _load(item.image)
    for note in loaded.notes:
        say(command, f"{item.image.name}: {note}")
    return loaded


def _save(command: str, pixels, item: Item, loaded, started: float) -> None:
    from inpaint_desktop.document.image_io import ImageFileError, save_image

    try:
        save_image(pixels, item.output, icc_profile=loaded.icc_profile, exif=loaded.exif)
    except ImageFileError as e:
        raise ItemError(str(e)) from None
    say(command, f"{item.image.name} -> {item.output} ({time.perf_counter() - started:.2f} s)")


def _run_items(command: str, items: list[Item], process) -> int:
    failed = 0
    for item in items:
        started = time.perf_counter()
        try:
            if item.error:
                raise ItemError(item.error)
            process(item, started)
        except ItemError as e:
            error(command, str(e))
            failed += 1
        except MemoryError:
            error(command, f"{item.image.name}: not enough memory")
            failed += 1
    if len(items) > 1:
        say(command, f"{len(items) - failed} of {len(items)} written"
            + (f", {failed} failed" if failed else ""))
    return EXIT_FAILED if failed else EXIT_OK


def run_erase(args) -> int:
    from models.engine import Cancelled, InpaintOptions, NoContext, NothingToDo

    options = {"hd_strategy": args.hd_strategy}
    if args.margin is not None:
        options["crop_margin"] = args.margin
    try:
        options = InpaintOptions(**options)
    except ValueError as e:
        raise CommandError(str(e)) from None
    engine = _engine("inpaint", args.model, args.device)
    if args.no_texture and hasattr(engine, "texture"):
        engine.texture = False
    if args.no_fsr_mix and hasattr(engine, "fsr_blend"):
        engine.fsr_blend = 0.0
    items = plan("erase", args.image, args.mask, args.output, aux_required=True)

    def process(item: Item, started: float) -> None:
        loaded = _open_image("erase", item)
        mask = _load(item.aux, mask=True)
        h, w = loaded.pixels.shape[:2]
        if mask.shape != (h, w):
            raise ItemError(f"{item.aux.name}: mask is {mask.shape[1]}x{mask.shape[0]} but the "
                            f"image is {w}x{h}")
        try:
            result = engine.inpaint(loaded.pixels, mask, options)
        except NothingToDo:
            raise ItemError(f"{item.aux.name}: the mask is empty: nothing to erase") from None
        except NoContext as e:  # a mask over (nearly) everything: nothing to fill from
            raise ItemError(f"{item.aux.name}: {e}") from None
        except (ValueError, Cancelled, RuntimeError) as e:
            raise ItemError(f"{item.image.name}: {e}") from None
        _save("erase", result, item, loaded, started)

    return _run_items("erase", items, process)


def run_colorize(args) -> int:
    from models.engine import Cancelled

    engine = _engine("colorize", args.model, args.device)
    # An engine that needs hints would only write the gray image: without hints it is an
    # error (for the whole command, or for each image of a folder that has no hints file).
    needs_hints = getattr(engine, "needs_hints", False)
    if needs_hints and args.hints is None:
        raise CommandError(f"--hints is required: {engine.name} colorizes from colour hints "
                           f"only")
    items = plan("colorize", args.image, args.hints, args.output, aux_required=needs_hints)

    def process(item: Item, started: float) -> None:
        loaded = _open_image("colorize", item)
        h, w = loaded.pixels.shape[:2]
        hints = _load_hints_of(item, w, h)
        if needs_hints and not hints:
            raise ItemError(f"{item.aux.name}: no colour hints, and {engine.name} "
                            f"colorizes from hints only")
        try:
            result = engine.colorize(loaded.pixels, hints)
        except (ValueError, Cancelled, RuntimeError) as e:
            raise ItemError(f"{item.image.name}: {e}") from None
        for note in result.notes:
            say("colorize", f"{item.image.name}: {note}")
        _save("colorize", result.image, item, loaded, started)

    return _run_items("colorize", items, process)


def _load_hints_of(item: Item, w: int, h: int) -> list:
    from inpaint_desktop.document.hints import HintsError, load_hints

    if item.aux is None:
        return []
    try:
        return load_hints(item.aux, w, h)
    except HintsError as e:
        raise ItemError(f"{item.aux.name}: {e}") from None
    except OSError as e:
        raise ItemError(f"{item.aux.name}: cannot read it ({e.strerror or e})") from None


def run_restore(args) -> int:
    from inpaint_desktop.document.image_io import ImageFileError, save_image
    from models.engine import Cancelled
    from models.restore import restore

    if not 0.0 <= args.sensitivity <= 1.0:  # also refuses nan
        raise CommandError(f"--sensitivity must be between 0 and 1, got {args.sensitivity}")
    if args.no_colorize and args.hints is not None:
        raise CommandError("--hints needs the colorizing step: drop --no-colorize")
    detector = _engine("detect", args.detector, args.device, "restore")
    inpainter = _engine("inpaint", args.model, args.device, "restore")
    colorizer = None if args.no_colorize else _engine("colorize", None, args.device, "restore")
    items = plan("restore", args.image, args.hints, args.output, aux_required=False)
    if args.save_mask is not None:
        if args.save_mask.exists() and not args.save_mask.is_dir():
            raise CommandError(f"{args.save_mask}: --save-mask must be a folder")
        try:
            args.save_mask.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CommandError(f"{args.save_mask}: cannot create the folder "
                               f"({e.strerror or e})") from None
    say("restore", f"detector {detector.name}, fill {inpainter.name}"
        + (f", colours {colorizer.name}" if colorizer else ", no colorizing"))

    def process(item: Item, started: float) -> None:
        loaded = _open_image("restore", item)
        h, w = loaded.pixels.shape[:2]
        hints = _load_hints_of(item, w, h)
        try:
            result = restore(loaded.pixels, detector, inpainter, colorizer,
                             sensitivity=args.sensitivity, hints=hints)
        except (ValueError, Cancelled, RuntimeError) as e:
            raise ItemError(f"{item.image.name}: {e}") from None
        for note in result.notes:
            say("restore", f"{item.image.name}: {note}")
        if args.save_mask is not None:
            path = args.save_mask / f"{item.image.stem}.png"
            if _file_id(path) in {_file_id(item.image), _file_id(item.output)} - {None}:
                raise ItemError(f"{path}: the mask would overwrite an input or the output")
            try:
                save_image(result.mask, path)
            except ImageFileError as e:
                raise ItemError(str(e)) from None
        _save("restore", result.image, item, loaded, started)

    return _run_items("restore", items, process)


# --------------------------------------------------------------------------------------------
# select


def _pairs(values: list[float], option: str) -> list[tuple[float, float]]:
    if len(values) % 2:
        n = len(values)
        raise CommandError(f"{option} takes pairs of numbers X Y, got {n} number"
                           f"{'' if n == 1 else 's'}")
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]


def run_select(args) -> int:
    import numpy as np

    from models.engine import Cancelled

    if args.box is not None and len(args.box) != 4:
        raise CommandError(f"--box takes 4 numbers X0 Y0 X1 Y1, got {len(args.box)}")
    clicks, negatives = _pairs(args.click, "--click"), _pairs(args.negative, "--negative")
    if args.box is None and not clicks:
        raise CommandError("nothing to select from: give --box X0 Y0 X1 Y1 or --click X Y")
    if not args.image.exists():
        raise CommandError(f"{args.image}: no such file")
    if args.image.is_dir():
        raise CommandError(f"{args.image}: select takes one image file, not a folder")
    output = args.output / f"{args.image.stem}.png" if args.output.is_dir() else args.output
    if not output.parent.is_dir():
        raise CommandError(f"{output}: the folder {output.parent} does not exist")
    engine = _engine("select", args.model, args.device)
    item = Item(args.image, None, output)
    _refuse_overwrites([item])

    def process(item: Item, started: float) -> None:
        from inpaint_desktop.document.image_io import ImageFileError, save_image

        loaded = _open_image("select", item)
        try:
            mask = engine.select(loaded.pixels, box=args.box, positive=clicks,
                                 negative=negatives)
        except (ValueError, Cancelled, RuntimeError) as e:
            raise ItemError(f"{item.image.name}: {e}") from None
        try:
            save_image(mask, item.output)
        except ImageFileError as e:
            raise ItemError(str(e)) from None
        share = float(np.count_nonzero(mask)) / mask.size
        say("select", f"{item.image.name} -> {item.output} ({share:.1%} of the image selected, "
                      f"{time.perf_counter() - started:.2f} s)")

    return _run_items("select", [item], process)
