#!/usr/bin/env bash
# Are the system libraries that Qt's X11 plugin (libqxcb.so) links against installed?
# Without one, Qt aborts at start with a core dump ("xcb-cursor0 or libxcb-cursor0 is
# needed ..."); a minimal Linux or a fresh container lacks some. This prints what is missing
# and the one command that installs it (Debian/Ubuntu and Fedora package names) instead.
#
# Usage: scripts/check_x_libs.sh PLUGIN
#   exit 0: nothing missing (or no way to tell: then Qt speaks for itself)
#   exit 1: something is missing; the message went to stderr
# INPAINT_DESKTOP_LDD replaces `ldd` (the probe), for the tests.
set -euo pipefail
plugin="$1"
ldd_cmd="${INPAINT_DESKTOP_LDD:-ldd}"

# Debian/Ubuntu package, then Fedora package, of each library the plugin (or Qt's GUI
# library under it) needs from the system.
packages() {
  case "$1" in
    libxcb-cursor.so.*)      echo "libxcb-cursor0 xcb-util-cursor" ;;
    libxcb-icccm.so.*)       echo "libxcb-icccm4 xcb-util-wm" ;;
    libxcb-image.so.*)       echo "libxcb-image0 xcb-util-image" ;;
    libxcb-keysyms.so.*)     echo "libxcb-keysyms1 xcb-util-keysyms" ;;
    libxcb-render-util.so.*) echo "libxcb-render-util0 xcb-util-renderutil" ;;
    libxcb-util.so.*)        echo "libxcb-util1 xcb-util" ;;
    libxcb.so.*)             echo "libxcb1 libxcb" ;;
    libxcb-*.so.*)  # randr, shape, shm, sync, xfixes, render, xkb, ...: libxcbNAME0 / libxcb
      local name="${1#libxcb-}"
      echo "libxcb-${name%%.so.*}${1##*.so.} libxcb" ;;
    libxkbcommon-x11.so.*)   echo "libxkbcommon-x11-0 libxkbcommon-x11" ;;
    libxkbcommon.so.*)       echo "libxkbcommon0 libxkbcommon" ;;
    libX11-xcb.so.*)         echo "libx11-xcb1 libX11-xcb" ;;
    libX11.so.*)             echo "libx11-6 libX11" ;;
    libGL.so.*)              echo "libgl1 libglvnd-glx" ;;
    libEGL.so.*)             echo "libegl1 libglvnd-egl" ;;
    libOpenGL.so.*)          echo "libopengl0 libglvnd-opengl" ;;
    libfontconfig.so.*)      echo "libfontconfig1 fontconfig" ;;
    libfreetype.so.*)        echo "libfreetype6 freetype" ;;
    libdbus-1.so.*)          echo "libdbus-1-3 dbus-libs" ;;
    libglib-2.0.so.*|libgthread-2.0.so.*) echo "libglib2.0-0 glib2" ;;
    *)                       echo "" ;;  # unknown: named as it is
  esac
}

command -v "$ldd_cmd" >/dev/null 2>&1 || exit 0
[ -e "$plugin" ] || exit 0
# ldd lists the whole dependency tree; a missing one reads "libfoo.so.1 => not found".
missing=$("$ldd_cmd" "$plugin" 2>/dev/null | awk '$2 == "=>" && $3 == "not" { print $1 }' \
  | sort -u) || exit 0
[ -n "$missing" ] || exit 0

debian=() fedora=() unknown=()
for lib in $missing; do
  read -r deb fed <<<"$(packages "$lib")"
  if [ -n "${deb:-}" ]; then
    debian+=("$deb") fedora+=("$fed")
  else
    unknown+=("$lib")
  fi
done
words() { printf '%s\n' "$@" | awk '!seen[$0]++' | paste -sd' ' -; }  # one line, no repeats
{
  echo "The editor's window needs X libraries that are not installed: $(words $missing)."
  if [ ${#debian[@]} -gt 0 ]; then
    echo "  Debian/Ubuntu: sudo apt install $(words "${debian[@]}")"
    echo "  Fedora:        sudo dnf install $(words "${fedora[@]}")"
  fi
  if [ ${#unknown[@]} -gt 0 ]; then
    echo "  Also install the packages that provide: ${unknown[*]}"
  fi
  echo "The command-line tools (./run.sh erase ..., colorize, restore, train, models) work without them."
} >&2
exit 1
