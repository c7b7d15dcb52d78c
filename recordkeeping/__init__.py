"""Audit trail, the §7101 request log, retention purge and the §7102 metrics. Filled by the records issue; may import requests_app, never the reverse."""
