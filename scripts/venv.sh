#!/usr/bin/env bash
# Create or update the project's local virtual environment in .venv.
# Usage: scripts/venv.sh [EXTRA]   (EXTRA = "test" adds the test tools)
# Re-running is cheap: pip runs only when pyproject.toml (or the extra) changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"
py="${PYTHON:-}"
if [ -z "$py" ]; then
  # torch 2.14.1 ships wheels for these; prefer 3.11, the one this project is tested on.
  for candidate in python3.11 python3.12 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then py="$candidate"; break; fi
  done
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $py ..." >&2
  "$py" -m venv .venv
fi
spec="."
[ -n "$extra" ] && spec=".[$extra]"
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)${extra:+-$extra}"
if [ ! -f "$stamp" ]; then
  echo "Installing inpaint-desktop ${extra:+with [$extra] }into .venv (first run takes a few minutes) ..." >&2
  # pip warns once per package about this machine's local index folders, and setuptools
  # prints a block about "Editable installation" (a caution for package authors) on every
  # `pip install -e`: drop that noise. Errors and other warnings still show.
  pip_quiet() {
    PYTHONWARNINGS="${PYTHONWARNINGS:+$PYTHONWARNINGS,}ignore:Editable installation" \
      .venv/bin/python -m pip "$@" 2>&1 | { grep -v -e "is ignored: it is neither a file" >&2 || true; }
  }
  pip_quiet install --quiet --upgrade pip
  pip_quiet install --quiet -e "$spec"
  touch "$stamp"
fi
