#!/usr/bin/env bash
# Set up .venv if needed and start the editor: ./run.sh [IMAGE-OR-PROJECT]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/scripts/venv.sh"
exec "$here/.venv/bin/python" -m inpaint_desktop "$@"
