#!/usr/bin/env bash
# Set up .venv with the test tools if needed and run the whole suite headless:
# lint, import contracts (design.md's dependency rules), then pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/venv.sh test
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/lint-imports
exec .venv/bin/python -m pytest "$@"
