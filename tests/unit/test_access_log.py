"""The web server's access log never holds a one-time token (issue 11: no readable token)."""

from __future__ import annotations

import datetime
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "k3Xq9-one-time-token-Zp0"


def _access_line(cfg: Config) -> str:
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/leads-library/status/?t={TOKEN}",
        "PATH_INFO": "/leads-library/status/",
        "QUERY_STRING": f"t={TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://privacy.example.com/leads-library/status/?t={TOKEN}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    logger = Logger(cfg)
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(0))
    return cfg.access_log_format % atoms


def test_the_portal_s_gunicorn_settings_log_requests_without_their_token():
    cfg = Config()
    namespace: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", namespace["access_log_format"])
    line = _access_line(cfg)
    assert '"GET /leads-library/status/ HTTP/1.1" 200 512' in line
    assert TOKEN not in line


def test_gunicorn_s_default_format_would_log_the_token():
    """Why the portal sets its own format: the default writes the request line and Referer."""
    assert TOKEN in _access_line(Config())
