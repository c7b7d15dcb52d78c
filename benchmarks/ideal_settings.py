"""Settings of the ideal intake (``ideal_intake.py``): the product's, without any middleware.

Same database (and ``CONN_MAX_AGE``), logging, installed apps and ``DEBUG=false`` as the
portal under the same environment; the only URLs are the ideal view's.
"""

from privacyportal.settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "benchmarks.ideal_intake"
