#!/usr/bin/env bash
# Run uv with the given arguments, installing uv first on a fresh machine.
#
# Looks for a working `uv` on PATH, then in the user's pip bin directory, then in a bootstrap
# virtualenv; if none, installs it with `python3 -m pip install --user uv` and, where that is
# refused (e.g. an externally managed system Python), into the bootstrap virtualenv
# ($UV_BOOTSTRAP_DIR, default ~/.cache/privacyportal/uv-bootstrap). Only PyPI is used.
set -euo pipefail

PYTHON=${PYTHON:-python3}
BOOTSTRAP_DIR=${UV_BOOTSTRAP_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/privacyportal/uv-bootstrap}

works() { [ -n "$1" ] && "$1" --version >/dev/null 2>&1; }

find_uv() {
    local candidate user_base
    # A pyenv shim answers `command -v` even where uv is not installed: run it to be sure.
    candidate=$(command -v uv 2>/dev/null || true)
    if works "$candidate"; then echo "$candidate"; return 0; fi
    user_base=$("$PYTHON" -m site --user-base 2>/dev/null || true)
    for candidate in "${user_base:+$user_base/bin/uv}" "$HOME/.local/bin/uv" "$BOOTSTRAP_DIR/bin/uv"; do
        if works "$candidate"; then echo "$candidate"; return 0; fi
    done
    return 1
}

if ! UV=$(find_uv); then
    echo "uv not found: installing it from PyPI (python3 -m pip install --user uv)..." >&2
    if ! "$PYTHON" -m pip install --user --quiet --disable-pip-version-check uv >&2; then
        echo "pip --user refused; installing uv into $BOOTSTRAP_DIR instead..." >&2
        "$PYTHON" -m venv "$BOOTSTRAP_DIR" >&2
        "$BOOTSTRAP_DIR/bin/python" -m pip install --quiet --disable-pip-version-check uv >&2
    fi
    if ! UV=$(find_uv); then
        echo "Could not install uv. Install it by hand (python3 -m pip install uv) and retry." >&2
        exit 1
    fi
fi

exec "$UV" "$@"
