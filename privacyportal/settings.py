"""Settings for the privacy portal: one module, configured from the environment.

With no environment at all it runs the embedded default (SQLite, a Celery broker on the local
filesystem, emails written to ``var/mail``). Production sets ``DJANGO_DEBUG=false``,
``DJANGO_SECRET_KEY``, ``PORTAL_DOCUMENT_KEYS``, ``DATABASE_URL``, ``REDIS_URL`` and
``DJANGO_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import csp.constants
import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"Unexpected value {name}={value!r}; use 'true' or 'false'.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false.")
    SECRET_KEY = "embedded-demo-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
if SECRET_KEY.lower().startswith("change-me"):
    # .env.example's placeholder is public: sessions, CSRF tokens and the demo's document key
    # would be forgeable. Refused like PORTAL_DOCUMENT_KEYS' placeholder (_fernet_keys).
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is still the placeholder of .env.example. Generate one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )

# Rotation: put the old key here and the new one in DJANGO_SECRET_KEY. Sessions and signed links
# made with an old key still hold, and the recorded corrections' hashes (§7023(c)) are still
# matched until `manage.py corrections_rekey` has moved them to the new key.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", "")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# The movable clock lets the demo and tests move "now" from outside the process
# (`manage.py clock …`). Production never allows it.
MOVABLE_CLOCK = env_bool("PORTAL_MOVABLE_CLOCK", DEBUG)
if MOVABLE_CLOCK and not DEBUG and not env_bool("PORTAL_TESTING", False):
    raise ImproperlyConfigured("PORTAL_MOVABLE_CLOCK is only allowed in the demo and in tests.")
CLOCK_FILE = Path(env_str("PORTAL_CLOCK_FILE", str(VAR_DIR / "clock.json")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    # Staff sign-in (see "Staff sign-in" below): one-time passwords and the lockout.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "core",
    "tenants",
    "outbox",
    "audit",
    "requests_app",
    "verification",
    "notices",
    "optout",
    "recordkeeping",
    "fulfilment",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "tenants.middleware.LanguageFromQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tenants.middleware.PortalTenantMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff sign-in: the session's second factor, then its idle and absolute limits.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tenants.signin.StaffSessionMiddleware",
    # Who and from where, for audit entries written deep in services (audit.context).
    "audit.context.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes asks to be last: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]
# The chain of /api/v1/ requests that carry no session, CSRF or language cookie: API keys
# (privacyportal.handlers). The rest of MIDDLEWARE only serves browsers: a session, CSRF cookies,
# messages, the portal's tenant and ?lang= switch, static files. Same order as in MIDDLEWARE;
# ApiLocaleMiddleware is LocaleMiddleware's equivalent for a URLconf without language prefixes.
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "privacyportal.handlers.ApiLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "audit.context.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "privacyportal.urls"
WSGI_APPLICATION = "privacyportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env_str("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, worker and beat share one SQLite file in the embedded default.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# A consumer's document stops being stored once it passes 10 MB (core.uploads).
FILE_UPLOAD_HANDLERS = [
    "core.uploads.SizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGIN_URL = "admin:login"

# --- Staff sign-in -----------------------------------------------------------------------
# Issue 11, item 1 (tenants.signin, tenants.two_factor). Two factors: a password, then a code
# from an authenticator app (TOTP) or a one-time recovery code (django-otp). Every staff,
# compliance and admin login must use its second factor when the platform requires it (this
# setting, on unless turned off) or when any business the user works for requires it
# (Tenant.require_two_factor); a user who has set one up always uses it.
STAFF_TWO_FACTOR_REQUIRED = env_bool("PORTAL_STAFF_TWO_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = env_str("PORTAL_TOTP_ISSUER", "Privacy portal")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end after this many idle minutes, and this many hours after signing in.
STAFF_SESSION_IDLE_MINUTES = int(env_str("PORTAL_STAFF_SESSION_IDLE_MINUTES", "30"))
STAFF_SESSION_MAX_HOURS = int(env_str("PORTAL_STAFF_SESSION_MAX_HOURS", "12"))
# Brute force (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name, or
# from one address, sign-in is refused (429, Retry-After) for the cool-off time; a business's
# admin unlocks its own staff in the admin ("Sign-in lockouts"), the platform with
# `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`. Every login, failed login
# and logout is recorded (axes' AccessLog and AccessFailureLog).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env_str("PORTAL_SIGNIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env_str("PORTAL_SIGNIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
# A success clears nothing: axes would clear every run of the address too, so an attacker could
# wipe their guesses at a colleague's password by signing in to their own account in between.
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the refusal says when it ends
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False  # tenants.admin shows each business its own staff's lockouts
AXES_LOCKOUT_CALLABLE = "tenants.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "tenants.signin.signin_client_ip"
AXES_VERBOSE = False
# Messages can carry a newly created API key or password once: keep them server-side.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Consumer portal ---------------------------------------------------------------------
CSRF_FAILURE_VIEW = "tenants.portal.csrf_failure"
# Called with each new privacy request, inside intake's transaction (requests_app.services.intake):
# how the apps above requests_app (verification, opt-out) join intake without being imported.
PRIVACY_REQUEST_CREATED: list[str] = [
    # A request to know, delete or correct gets its verification record and, where the consumer
    # gave an email address, the link that proves it is theirs (§7060-§7062).
    "verification.services.records.verification_on_created",
]
# Called when a request is marked verified (requests_app.services.transitions), with who and how.
PRIVACY_REQUEST_VERIFIED: list[str] = [
    "verification.services.records.verification_on_marked_verified",
    # Each of the business's data systems that handles the request's type gets its task.
    "fulfilment.services.system_tasks_on_verified",
]
# Called when a request is about to be closed, after the lifecycle's checks and before anything
# is written (requests_app.services.transitions): raising Refused refuses the close.
PRIVACY_REQUEST_CLOSING: list[str] = [
    # Not closed as complied while a data system has not answered, unless staff say why.
    "fulfilment.services.system_tasks_on_closing",
]
# Called when a request is closed, whatever the outcome, inside the closing transaction.
PRIVACY_REQUEST_CLOSED: list[str] = [
    "verification.services.records.verification_on_closed",
    # On an authorized agent's request, the consumer's own address gets a copy of the answer.
    "verification.services.agents.agent_outcome_copy",
    # A denial or withdrawal cancels the data systems' open tasks.
    "fulfilment.services.system_tasks_on_closed",
]
# The detailed explanations of what could not be deleted (impossible or disproportionate
# effort), for the consumer's answer (requests_app.answer_text, §7022(b)(3), (f)(1)).
PRIVACY_REQUEST_IMPOSSIBILITIES: list[str] = [
    "fulfilment.services.delete_impossibilities",
]
# Called when a consumer adds a written statement on contested health information
# (requests_app.services.corrections, §7023(f)(4)): it is passed on to the recipients.
PRIVACY_REQUEST_STATEMENT_ADDED: list[str] = [
    "optout.recipient_services.recipients_forward_statement",
]
# Links the apps above requests_app add to a consumer's status page, e.g. the page of their
# released data (requests_app.views.status_detail): functions (privacy_request) -> [StatusLink].
PRIVACY_REQUEST_STATUS_LINKS: list[str] = ["fulfilment.services.delivery.status_page_links"]
# The business's privacy policy as a full address, for the answers that must point to it
# (§7024(b)): the notices app knows whether one is published (requests_app.answer_text).
PRIVACY_POLICY_ADDRESS = "notices.footer.privacy_policy_address"
# Called when a request is closed as complied (in whole or in part), inside the closing
# transaction (requests_app.services.transitions): the recipients' notifications join it here.
PRIVACY_REQUEST_COMPLIED: list[str] = [
    # First: a household request is complied with only when every member joined, was verified
    # and was confirmed a current member (§7031(a)).
    "verification.services.households.household_on_complied",
    # A request verified by the business's sign-in is refused when that sign-in is older than
    # the policy allows: §7061(a) asks for a fresh one before disclosing or deleting.
    "verification.services.account.account_reauth_complied",
    # An agent's opt-out or limit closed without being applied is refused before any
    # recipient is told of it.
    "optout.staff_services.agent_choice_complied",
    # Then: any other opt-out or limit closed as complied without being applied is applied to
    # the consumer it names (or the close is refused), before recipients are told.
    "optout.choice_services.choice_complied",
    "optout.recipient_services.recipients_notify_on_compliance",
]
# Inlines the apps above requests_app add to a request's admin page (requests_app.admin.queue).
PRIVACY_REQUEST_ADMIN_INLINES: list[str] = [
    "optout.admin.RecipientNotificationInline",
    "optout.staff_admin.RequestConsentChangeInline",
    # A request to know, delete or correct: its verification record and evidence (§7060-§7063).
    "verification.admin.VerificationInline",
    # Each data system's task: state, due date, who answered and when.
    "fulfilment.admin.SystemTaskInline",
    # A request to know's response package: its parts, and the link to preview and release it.
    "fulfilment.admin.PackagePartInline",
]
# Links the apps above requests_app add to a request's admin page, next to its actions: each a
# function of the request giving (label, URL), or None where it does not apply.
PRIVACY_REQUEST_PAGE_TOOLS: list[str] = [
    # A request to know categories: the answer of §7024(j)-(l), reviewed and sent by staff.
    "fulfilment.categories_admin.know_categories_tool",
]
# Columns and filters the apps above requests_app add to the review queue (see
# requests_app.admin.queue.queue_extensions): each joins what it reads into the list's query.
PRIVACY_REQUEST_QUEUE_EXTENSIONS: list[str] = [
    "verification.admin.QUEUE_VERIFICATION",
]
# Links the apps above requests_app add to the review queue (label, admin URL name, the request
# types that page logs: the queue's own "Log a request" form leaves those to it).
PRIVACY_REQUEST_QUEUE_TOOLS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Log an opt-out or limit", "admin:optout_consentstate_log", ("opt_out", "limit")),
    ("Look up a consumer's consent", "admin:optout_consentstate_changelist", ()),
]
# Pages without a model the apps above tenants add to the admin index (label, admin URL name,
# the role ability they need: tenants.selectors.ROLE_ABILITIES); shown only to roles holding it.
# Called with every addition, change and deletion the admin logs (tenants.admin_base): the
# audit trail's writer sits above tenants, so tenants names it here (issue 14 item 3).
ADMIN_CHANGE_RECORDERS = ["audit.admin_changes.admin_change_record"]
ADMIN_INDEX_TOOLS: list[tuple[str, str, str]] = [
    ("Request log (§7101)", "admin:recordkeeping_request_log", "records"),
    ("Compliance dashboard (§7102)", "admin:recordkeeping_dashboard", "records"),
    ("Audit trail", "admin:recordkeeping_audit_trail", "audit"),
    ("Notices: preview, check and publish", "admin:notices_publishing", "settings"),
]
# A business's own domain is routed with this URLconf: only its portal, at the root.
PORTAL_HOST_URLCONF = "privacyportal.host_urls"
# Footer links of every portal page, in this order: each app gives its own (tenants.portal).
PORTAL_FOOTER_LINKS = [
    "notices.footer.footer_links",
    "optout.footer.footer_links",
    "requests_app.footer.footer_links",
    "recordkeeping.footer.footer_links",
]
# Functions wrapping every portal page, first outermost (tenants.portal): optout processes an
# opt-out preference signal (Sec-GPC: 1) on every page and shows that it did (§7025).
PORTAL_PAGE_HOOKS = ["optout.preference_signal.portal_page_hook"]
# /.well-known/gpc.json's "lastUpdate" (GPC specification): the day this portal's statement that
# it honours the signal was made. Change it only when that statement changes.
GPC_STATEMENT_DATE = "2026-12-07"
# Per client IP and per email address, on every POST of a portal form: (requests, seconds).
PORTAL_RATE_LIMITS = {"ip": (30, 600), "email": (10, 3600)}
PORTAL_RATE_LIMIT_PREFIX = "portal-rate"  # cache key prefix (tests use their own)
# The portal's public address, scheme and host only: emails are read away from any page, so
# their links are absolute (the staff digest's queue, a consumer's "Check a request" page,
# tenants.portal.portal_absolute_url). A business with its own domain is linked on that domain.
# The default is the demo's address; `manage.py check --deploy` warns when it is not https.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base = urlsplit(PORTAL_BASE_URL)
if _base.scheme not in {"http", "https"} or not _base.netloc or _base.path or _base.query:
    raise ImproperlyConfigured(
        f"PORTAL_BASE_URL={PORTAL_BASE_URL!r}: give the portal's address with its scheme and host "
        "only, e.g. https://privacy.example.com"
    )


# The documentation consumers send with a request to correct is stored encrypted (§7023(d)(4),
# requirements R-7023-d-3): Fernet keys, comma-separated; the first encrypts new uploads, every
# one decrypts (rotation: put the new key first, run `manage.py documents_encrypt`, then drop the
# old one). Production must set them; the demo and the tests derive one from SECRET_KEY, so they
# need nothing (changing the demo's DJANGO_SECRET_KEY makes its stored documents unreadable).
def _fernet_keys(name: str) -> list[str]:
    keys = env_list(name, "")
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured(
                f"{name} must be set when DJANGO_DEBUG is false: the key(s) that encrypt the "
                "consumers' documents. Generate one with: python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())'"
            )
        digest = hashlib.sha256(f"privacyportal-documents:{SECRET_KEY}".encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except ValueError:  # binascii.Error and UnicodeEncodeError are ValueErrors
            valid = False
        if not valid:
            # The value itself is a secret: say which one is wrong, never print it.
            raise ImproperlyConfigured(
                f"{name}: key {position} of {len(keys)} is not a Fernet key (32 bytes, url-safe "
                "base64, 44 characters). Generate one with: python -c 'from "
                "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
    return keys


DOCUMENT_KEYS = _fernet_keys("PORTAL_DOCUMENT_KEYS")
# A request to know's response package (fulfilment.services.packages): the largest part a
# system may attach (bigger data comes in several parts), and the largest total of parts a
# staff member's "Release" assembles at once; above it, a Celery task assembles it.
PACKAGE_PART_MAX_BYTES = int(env_str("PORTAL_PACKAGE_PART_MAX_MB", "100")) * 1024 * 1024
PACKAGE_SYNC_MAX_BYTES = 5 * 1024 * 1024

# --- Email -------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("PORTAL_FROM_EMAIL", "privacy@localhost")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST", "")
    EMAIL_PORT = int(env_str("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    # Embedded default: every email also lands as a file in var/mail; the outbox in the
    # admin and at /api/v1/outbox/ shows the same messages.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Celery ------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Kombu's default is "control" relative to the working directory (the repo root).
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How often the beat runs the sweep and the outbox relay (seconds).
DEADLINE_SWEEP_INTERVAL = int(env_str("PORTAL_SWEEP_INTERVAL", "300"))
OUTBOX_RELAY_INTERVAL = int(env_str("PORTAL_OUTBOX_INTERVAL", "30"))
CONSENT_CACHE_REPAIR_INTERVAL = int(env_str("PORTAL_CONSENT_REPAIR_INTERVAL", "60"))
RETENTION_PURGE_INTERVAL = int(env_str("PORTAL_RETENTION_PURGE_INTERVAL", "86400"))
# Webhooks: seconds to wait for the receiving end, and whether plain http:// addresses are
# accepted (the demo and tests post to 127.0.0.1; production needs https).
OUTBOX_WEBHOOK_TIMEOUT = float(env_str("PORTAL_WEBHOOK_TIMEOUT", "10"))
OUTBOX_WEBHOOK_ALLOW_HTTP = env_bool("PORTAL_WEBHOOK_ALLOW_HTTP", DEBUG)
# The beat schedule, in one place. Both tasks are idempotent, so an overlap is harmless.
CELERY_BEAT_SCHEDULE = {
    "deadline-sweep": {
        "task": "requests_app.tasks.sweep_deadlines",
        "schedule": float(DEADLINE_SWEEP_INTERVAL),
    },
    "outbox-relay": {
        "task": "outbox.relay",
        "schedule": float(OUTBOX_RELAY_INTERVAL),
    },
    # Opt-in requests never confirmed (§7028(a)) are closed as withdrawn with the sweep's rhythm.
    "opt-in-expiry": {
        "task": "optout.tasks.opt_in_expire",
        "schedule": float(DEADLINE_SWEEP_INTERVAL),
    },
    # Reminders to consumers who have not finished verifying; denial as unverifiable only when
    # the response period ends (verification.services.outcomes, §7021(b), §7024(a)).
    "verification-sweep": {
        "task": "verification.tasks.verification_sweep",
        "schedule": float(DEADLINE_SWEEP_INTERVAL),
    },
    # Questions to a business's own system whose task was lost (the broker down) are asked
    # again (verification.services.webhook), with the outbox relay's rhythm.
    "verification-webhook-catch-up": {
        "task": "verification.tasks.webhook_match_catch_up",
        "schedule": float(OUTBOX_RELAY_INTERVAL),
    },
    # Personal information of requests answered more than the retention period ago is removed
    # once a day (recordkeeping.retention, §7101(a), (e)).
    "retention-purge": {
        "task": "recordkeeping.tasks.retention_purge_all",
        "schedule": float(RETENTION_PURGE_INTERVAL),
    },
    # Reminders to the owners of data systems whose task is due soon or overdue, at most once a
    # day each (fulfilment.services).
    "system-task-reminders": {
        "task": "fulfilment.tasks.system_task_reminder_sweep",
        "schedule": float(DEADLINE_SWEEP_INTERVAL),
    },
    # Consent lookup answers whose write to the cache failed are written again (optout.services).
    "consent-cache-repair": {
        "task": "optout.tasks.consent_cache_repair",
        "schedule": float(CONSENT_CACHE_REPAIR_INTERVAL),
    },
}

# --- Cache -------------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Redis outages -------------------------------------------------------------------------
# Redis (broker and cache) may be down; requests are still taken (issue 11). The cache's
# connections give up fast and do not retry (the rate limits then count in-process, see
# tenants.ratelimit), and a relay poke's publish is bounded the same way: it runs on the
# poker's thread, and Celery's defaults (three retries, a 4 s connect timeout) held it 0.6 s per
# poke against a stopped Redis; beat's periodic relay sends whatever a failed poke left.
if REDIS_URL:
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
        "retry": None,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
# Calls per API key per window: "requests/seconds" (tenants.ratelimit.ApiKeyThrottle).
PORTAL_API_RATE_LIMIT = tuple(
    int(part) for part in env_str("PORTAL_API_RATE_LIMIT", "1200/60").split("/", 1)
)

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_auth.IsTenantMember"],
    # DRF's JSONRenderer and negotiation, the same answers and bytes, faster (core.api_http).
    "DEFAULT_RENDERER_CLASSES": ["core.api_http.ApiJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api_http.ApiContentNegotiation",
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    # Per API key, 429 with Retry-After over PORTAL_API_RATE_LIMIT.
    "DEFAULT_THROTTLE_CLASSES": ["tenants.ratelimit.ApiKeyThrottle"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Privacy portal API",
    "DESCRIPTION": (
        "Create and track California consumer privacy requests (CCPA regulations, Cal. Code "
        "Regs. tit. 11 §§7000–7304). Authenticate with a tenant API key: "
        "`Authorization: Bearer <key>`. Errors are JSON: "
        '`{"error": {"code": "...", "message": "..."}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share a field name each ("status", "channel"); name their enums.
    "ENUM_NAME_OVERRIDES": {
        "CorrectionFieldEnum": "requests_app.models.CorrectionField",
        "RequestStatusEnum": "requests_app.models.Status",
        "RequestChannelEnum": "requests_app.models.Channel",
        "OutboxStatusEnum": "outbox.models.OutboxStatus",
        "OutboxChannelEnum": "outbox.models.OutboxChannel",
        "CommunicationChannelEnum": "requests_app.models.ConfirmationMethod",
        "RequestTypeEnum": "requests_app.models.RequestType",
        "EventKindEnum": "requests_app.models.EventKind",
        "CalendarEnum": "core.calendar.CALENDAR_CHOICES",
        "NoticeFindingDocumentEnum": "notices.checker_rules.FINDING_DOCUMENTS",
        "OutcomeEnum": "requests_app.models.Outcome",
        "SystemTaskOutcomeEnum": "fulfilment.models.TaskOutcome",
        "SystemTaskActionEnum": "fulfilment.models.TaskAction",
        "SystemTaskStateEnum": "fulfilment.models.TaskState",
    },
    # drf-spectacular's enum hook first: ours refers to the enum components it names.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "requests_app.api.schema.document_know_scope_rule",
    ],
}

PHONENUMBER_DEFAULT_REGION = "US"

# --- Security (production) ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(env_str("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PORTAL_LOG_LEVEL", "INFO")},
    # axes logs every sign-in at INFO; its database rows are the record (Staff sign-in).
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Hardening: proxies, headers, sign-in redirect (issue 11, items 4-5) --------------------
# The addresses (or networks) of our own proxies, as gunicorn sees them: only a request whose
# REMOTE_ADDR is one of these has its X-Forwarded-For read, for the per-IP rate limits of the
# portal forms (tenants.ratelimit.client_ip). Empty (the default): the header is ignored.
PORTAL_TRUSTED_PROXY_IPS = env_list("PORTAL_TRUSTED_PROXY_IPS", "")
for _proxy in PORTAL_TRUSTED_PROXY_IPS:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"PORTAL_TRUSTED_PROXY_IPS: {_proxy!r} is no IP address or network (e.g. 10.0.0.5, "
            "172.16.0.0/12)"
        ) from _error
# Django's default (/accounts/profile/) is no page here: the admin's sign-in falls back to it
# when the `next` it was given is refused (another host).
LOGIN_REDIRECT_URL = "admin:index"

# Content-Security-Policy (django-csp; Django 5.2 has none built in) and Permissions-Policy, on
# HTML pages. No inline script or style anywhere: pages load theirs from /static/; the API docs
# page's one inline script carries the request's nonce (templates/drf_spectacular/). The JSON API
# (/api/v1/) goes without both: no browser renders it, and its lean chain stays lean.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/"],
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF, csp.constants.NONCE],
        "style-src": [csp.constants.SELF, csp.constants.NONCE],
        # data: for the SVG icons inside Swagger UI's and the admin's stylesheets.
        "img-src": [csp.constants.SELF, "data:"],
        "font-src": [csp.constants.SELF],
        "connect-src": [csp.constants.SELF],
        "object-src": [csp.constants.NONE],
        "base-uri": [csp.constants.NONE],
        "form-action": [csp.constants.SELF],
        "frame-ancestors": [csp.constants.NONE],
    },
}
# Browser features, each allowed to no origin (no page uses them).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
# Right after SecurityMiddleware (its headers, then these): MIDDLEWARE only, not API_MIDDLEWARE.
MIDDLEWARE[1:1] = ["csp.middleware.CSPMiddleware", "core.page_headers.PermissionsPolicyMiddleware"]
