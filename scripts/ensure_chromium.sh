#!/usr/bin/env bash
# The browser tests (tests/browser) drive Debian's chromium; install it when it is missing and we
# can (root with apt-get). Without it they are skipped, each with a reason saying so.
set -euo pipefail
if [ -x "${PORTAL_CHROMIUM:-/usr/bin/chromium}" ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests…"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
    echo "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
else
    echo "chromium is missing and cannot be installed here (needs root and apt-get):" \
        "the browser tests will be skipped. Install it with: apt-get install -y chromium" >&2
fi
