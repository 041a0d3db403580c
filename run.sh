#!/usr/bin/env bash
# Set up .venv if needed and start the editor: ./run.sh [IMAGE-OR-PROJECT]
# (or a command-line tool: ./run.sh erase ..., ./run.sh --help)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="$here/.venv/bin/python"
bash "$here/scripts/venv.sh"

# Qt's X11 plugin aborts with a core dump when a system library is missing: check first,
# but only when a window is to open on X11 (not for the command-line tools, not under
# QT_QPA_PLATFORM=offscreen/wayland/...).
platform="${QT_QPA_PLATFORM:-xcb}"
if [ "$(uname -s)" = Linux ] && [[ "$platform" == *xcb* ]] \
    && "$py" -c 'import sys; from inpaint_desktop.__main__ import starts_editor
sys.exit(0 if starts_editor(sys.argv[1:]) else 1)' "$@"; then
  for plugin in "$here"/.venv/lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so; do
    if ! bash "$here/scripts/check_x_libs.sh" "$plugin"; then
      # A Wayland session may not need X at all (Qt prefers Wayland there): only warn.
      if [ -z "${WAYLAND_DISPLAY:-}" ] || [ -n "${QT_QPA_PLATFORM:-}" ]; then exit 1; fi
      echo "(On Wayland the window may open anyway; if it does not, install them.)" >&2
    fi
  done
fi
exec "$py" -m inpaint_desktop "$@"
