"""Settings of the smallest Django view (``constant_json.py``): the product's, with no middleware
and that module as the URLconf (the same database, logging and ``DEBUG=false`` otherwise)."""

from privacyportal.settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "benchmarks.constant_json"
