#!/usr/bin/env bash
# The full test suite: `scripts/test.sh postgres|sqlite [pytest args...]` (make test / test-sqlite).
#
# postgres: PostgreSQL + Redis, as in production (started first if they are down, see
#           scripts/services.py). TEST_DATABASE_URL / TEST_REDIS_URL override the defaults.
# sqlite:   the embedded default: an in-memory SQLite test database, no Redis.
#
# pytest's exit code 5 (no tests collected) is a failure here: a suite that ran nothing proves
# nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-postgres}
shift || true
PY=.venv/bin/python

export PORTAL_TESTING=true PORTAL_MOVABLE_CLOCK=true
# Whatever the demo or a shell left in the environment must not reach the tests.
unset CELERY_BROKER_URL DJANGO_SECRET_KEY PORTAL_DOCUMENT_KEYS DJANGO_ALLOWED_HOSTS EMAIL_HOST PORTAL_CLOCK_FILE
export DJANGO_DEBUG=true
# The tests get their own var/ (broker folder, mail, clock), never the demo's.
PORTAL_VAR_DIR=$(mktemp -d "${TMPDIR:-/tmp}/privacyportal-test.XXXXXX")
export PORTAL_VAR_DIR
trap 'rm -rf "$PORTAL_VAR_DIR"' EXIT

case "$mode" in
    postgres)
        export DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/privacyportal}
        export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
        "$PY" scripts/services.py
        echo "Running the test suite on PostgreSQL ($DATABASE_URL) and Redis ($REDIS_URL)"
        ;;
    sqlite)
        unset DATABASE_URL REDIS_URL
        echo "Running the test suite on SQLite (in-memory test database, no Redis)"
        ;;
    *)
        echo "usage: $0 postgres|sqlite [pytest args...]" >&2
        exit 2
        ;;
esac

bash scripts/ensure_chromium.sh || echo "Could not install chromium: the browser tests will be skipped." >&2

status=0
"$PY" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that counts as a failure." >&2
    exit 1
fi
exit "$status"
