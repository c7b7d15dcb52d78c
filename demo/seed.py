"""The embedded demo's data: two businesses, their staff, an API key each, and a queue of requests.

Used by ``manage.py seed_demo`` (and so by ``make run``). Idempotent: businesses and users are
found by slug and username, an API key is reused while its raw value is still on file in
``var/``, and a business that already has requests gets no new ones.

Every request goes through the real services (``privacy_request_create`` and friends), its
history replayed at past times (received N days ago, verified two days later, ...) so the
deadlines spread out around "now" (``clock.now()``: the movable clock counts): some overdue, some
due soon, phone requests whose receipt is not confirmed yet, one extended, several closed. After
seeding, one deadline sweep sets the due states.

The passwords below are public demo passwords, and every demo login's authenticator app has the
same public TOTP secret (``DEMO_TOTP_SECRET``; ``manage.py demo_code`` prints its current code).
``seed_demo`` refuses to run unless DEBUG is on.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.db import transaction

from core import clock
from core.calendar import CA_STATE, WEEKENDS_ONLY, BusinessCalendar
from demo.notices_and_systems import seed_notices, seed_systems
from notices.inventory import inventory_category_save
from notices.models import InventoryCategory
from optout.choice_services import choice_apply
from optout.services import consent_subject
from optout.subjects import SubjectKind, new_device_id
from requests_app import deadlines
from requests_app.deadlines import COMPLY_TYPES
from requests_app.models import PrivacyRequest
from requests_app.services import (
    Agent,
    Requester,
    privacy_request_assign,
    privacy_request_close,
    privacy_request_create,
    privacy_request_extend,
    privacy_request_mark_verified,
    privacy_request_start,
    sweep_deadlines,
)
from tenants.models import ApiKey, RequestMethod, Role, Tenant, hash_api_key
from tenants.services import api_key_create, staff_create, tenant_create
from tenants.two_factor import totp_device_set
from verification.models import DirectoryRecord
from verification.services.directory import directory_records_add

API_KEYS_FILE = "demo-api-keys.json"
# The demo logins' second factor: public, like their passwords (base32, as apps take it).
DEMO_TOTP_SECRET = "PRIVACYPORTALDEMOTOTPSECRETKEY23"  # noqa: S105 - public, demo only
DEMO_TOTP_KEY_HEX = base64.b32decode(DEMO_TOTP_SECRET).hex()


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    legal_name: str
    settings: dict[str, Any]
    logins: tuple[DemoLogin, ...]


LEADS_LIBRARY = DemoTenant(
    slug="leads-library",
    legal_name="Leads Library",
    settings={
        "reference_prefix": "LL",
        # The seed notice gives no email address, toll-free number or working web address
        # ("by visiting http"): these three are placeholders the demo invents (555-01xx and
        # .example are reserved for fiction). §7020(b) needs the toll-free number.
        "contact_email": "privacy@leads-library.example",
        "toll_free_number": "+18885550100",
        "website_url": "https://www.leads-library.example",
        "request_methods": [
            RequestMethod.WEBFORM,
            RequestMethod.TOLL_FREE_PHONE,
            RequestMethod.EMAIL,
        ],
        "languages": ["en", "es"],
        # A lead-data seller whose sources are directories and third-party providers: it sells
        # (requirements.md, "Seed notice check": set sells = yes for the demo tenant). Its portal
        # has the opt-out and limit pages, linked from every page's footer (optout.footer).
        "sells_or_shares": True,
        # The notice says it collects "some information on general health and exercise"
        # (possibly sensitive personal information, §7011(e)(1)(K)); the demo treats it as used
        # beyond §7027(m), so the right to limit applies and its requests show up in the queue.
        "uses_sensitive_beyond_7027m": True,
        "business_calendar": CA_STATE,
    },
    logins=(
        DemoLogin(Role.ADMIN, "ll-admin", "leads-admin-demo"),
        DemoLogin(Role.STAFF, "ll-staff", "leads-staff-demo"),
        DemoLogin(Role.COMPLIANCE, "ll-compliance", "leads-compliance-demo-2026"),
    ),
)

BRAVO = DemoTenant(
    slug="bravo",
    legal_name="Bravo Outdoor Supply",
    settings={
        "reference_prefix": "BOS",
        "contact_email": "privacy@bravo-outdoor.example",
        # Invented, like the rest of the demo: mail is one of Bravo's methods (§7020).
        "postal_address": "Bravo Outdoor Supply, Privacy Office\n100 Example Way\nFresno, CA 93721",
        "toll_free_number": "+18775550142",
        "website_url": "https://www.bravo-outdoor.example",
        "request_methods": [
            RequestMethod.WEBFORM,
            RequestMethod.TOLL_FREE_PHONE,
            RequestMethod.MAIL,
        ],
        "languages": ["en"],
        "sells_or_shares": True,
        "uses_sensitive_beyond_7027m": False,
        # Its opt-out form asks for the phone number (optional), which its stores know customers
        # by; Leads Library's asks for the email address (the default).
        "opt_out_identifier": "phone",
        # The second business shows the strictest calendar: business days skip weekends only.
        "business_calendar": WEEKENDS_ONLY,
    },
    logins=(
        DemoLogin(Role.ADMIN, "bravo-admin", "outdoor-admin-demo"),
        DemoLogin(Role.STAFF, "bravo-staff", "outdoor-staff-demo"),
        DemoLogin(Role.COMPLIANCE, "bravo-compliance", "outdoor-records-demo"),
    ),
)

DEMO_TENANTS = (LEADS_LIBRARY, BRAVO)


# --- The requests -------------------------------------------------------------------------

# How many days before today (tenant-local) a request was received: a number, or a function of
# (today, calendar) for the business-day deadlines, so "due soon" stays due soon on any date.
DaysAgo = int | Callable[[date, BusinessCalendar], int]

# What staff did, and how many days after receipt: "verify", "start", "assign", "extend".
Step = tuple[str, float]
VERIFY_START_ASSIGN: tuple[Step, ...] = (("verify", 2), ("start", 2.1), ("assign", 2.2))


@dataclass(frozen=True)
class DemoRequest:
    request_type: str
    channel: str
    days_ago: DaysAgo
    requester: Requester
    know_scope: str = ""
    agent: Agent | None = None
    at: time = time(10, 15)  # local time of arrival
    steps: tuple[Step, ...] = ()
    close: dict[str, str] = field(default_factory=dict)
    close_after: float = 0  # days after receipt


def _confirm_due_soon(today: date, calendar: BusinessCalendar) -> int:
    """Received so that the 10-business-day confirmation falls due in the next 0-2 days."""
    return _first_days_ago(today, lambda d: deadlines.confirm_by(d, calendar), range(0, 3))


def _comply_due_soon(today: date, calendar: BusinessCalendar) -> int:
    """Received so that the 15-business-day opt-out deadline falls in the next 1-3 days."""
    return _first_days_ago(today, lambda d: deadlines.comply_by(d, calendar), range(1, 4))


def _first_days_ago(today: date, due: Callable[[date], date], window: range) -> int:
    for days_ago in range(1, 40):
        if (due(today - timedelta(days=days_ago)) - today).days in window:
            return days_ago
    raise AssertionError("no receipt date gives that deadline")  # pragma: no cover


VERIFIED_HOW = (
    "Email possession confirmed and two data points matched (name, postal address): "
    "reasonable degree of certainty (§7062(b))."
)
EXTENSION_REASON = (
    "Your request covers records in several archived systems, and searching them all takes "
    "longer than 45 days."
)

LEADS_LIBRARY_REQUESTS = (
    # Overdue: the 45 days have run out, or the 15 business days of an opt-out.
    DemoRequest(
        "know",
        "webform",
        50,
        Requester("Maria Gonzalez", "maria.gonzalez@example.com", "", "CA"),
        know_scope="both",
    ),
    DemoRequest(
        "delete",
        "email",
        47,
        Requester("Tom Becker", "tom.becker@example.net", "", "CA"),
        steps=VERIFY_START_ASSIGN,
    ),
    DemoRequest(
        "opt_out",
        "phone",
        30,
        Requester("Harold Kim", "", "+13105550199", "CA"),
        at=time(16, 40),
    ),
    # Due within 3 days.
    DemoRequest(
        "delete",
        "webform",
        43,
        Requester("Aisha Rahman", "aisha.rahman@example.org", "", "CA"),
    ),
    DemoRequest(
        "correct",
        "mail",
        44,
        Requester("Peter Novak", "peter.novak@example.com", "", "CA"),
        steps=(("verify", 6), ("start", 6.1), ("assign", 7)),
    ),
    DemoRequest(
        "opt_out",
        "webform",
        _comply_due_soon,
        Requester("Grace Liu", "grace.liu@example.com", "", "CA"),
        at=time(22, 50),
    ),
    # Phone requests with no email address: receipt not confirmed yet (§7021(a)).
    DemoRequest(
        "know",
        "phone",
        _confirm_due_soon,
        Requester("Luis Ortega", "", "+14155550134", "CA"),
        know_scope="categories",
        at=time(11, 5),
    ),
    DemoRequest(
        "delete",
        "phone",
        20,
        Requester("Dorothy Walsh", "", "+12135550123", "CA"),
        at=time(9, 30),
    ),
    # In the works.
    DemoRequest(
        "know",
        "webform",
        12,
        Requester("Samuel Okafor", "samuel.okafor@example.com", "", "CA"),
        know_scope="specific",
        steps=VERIFY_START_ASSIGN,
    ),
    DemoRequest(
        "delete",
        "webform",
        32,
        Requester("Yuki Tanaka", "yuki.tanaka@example.net", "", "CA"),
        steps=(*VERIFY_START_ASSIGN, ("extend", 29)),
    ),
    DemoRequest(
        "know",
        "agent",
        6,
        Requester("Rosa Delgado", "rosa.delgado@example.com", "", "CA"),
        know_scope="categories",
        agent=Agent("Jordan Lee", "Privacy Rights Helpers LLC", "requests@privacy-helpers.example"),
    ),
    DemoRequest(
        "opt_out",
        "agent",
        4,
        Requester("Ben Carter", "ben.carter@example.org", "", "CA"),
        agent=Agent("", "OptOutNow Inc.", "agents@optoutnow.example"),
    ),
    DemoRequest(
        "limit",
        "webform",
        3,
        Requester("Nadia Petrova", "nadia.petrova@example.com", "", "CA"),
    ),
    DemoRequest(
        "opt_in",
        "webform",
        1,
        Requester("Carlos Mendes", "carlos.mendes@example.com", "", "CA"),
    ),
    # Closed: each outcome, several denial reasons.
    DemoRequest(
        "know",
        "webform",
        35,
        Requester("Emily Chen", "emily.chen@example.com", "", "CA"),
        know_scope="categories",
        steps=(("verify", 1), ("start", 1.1)),
        close={"outcome": "complied"},
        close_after=18,
    ),
    DemoRequest(
        "delete",
        "email",
        25,
        Requester("Michael Brown", "michael.brown@example.net", "", "CA"),
        steps=(("verify", 3), ("start", 3.1)),
        close={
            "outcome": "complied_in_part",
            "denial_reason": "exempt",
            "legal_basis": "Civ. Code §1798.105(d)(8): records we must keep to comply with a "
            "legal obligation",
            "explanation": "We deleted your contact and profile records. We keep the record of "
            "your past opt-out and of this request because the law requires us to keep them.",
            "done_explanation": "We deleted your contact details, your profile and your "
            "order history.",
        },
        close_after=11,
    ),
    DemoRequest(
        "correct",
        "webform",
        22,
        Requester("Alex Smith", "alex.smith@example.org", "", "CA"),
        close={
            "outcome": "denied",
            "denial_reason": "unverifiable",
            "explanation": "We could not match the details you gave us with the information we "
            "hold, so we cannot confirm the request comes from you. You are welcome to submit "
            "a new request with more details.",
        },
        close_after=16,
    ),
    DemoRequest(
        "know",
        "email",
        15,
        Requester("Jamie Fox", "jamie.fox@example.com", "", "NV"),
        know_scope="both",
        close={
            "outcome": "denied",
            "denial_reason": "not_a_consumer",
            "explanation": "You told us you live in Nevada. The California Consumer Privacy Act "
            "gives these rights to California residents.",
        },
        close_after=4,
    ),
    DemoRequest(
        "opt_out",
        "api",
        10,
        Requester("Olivia Martin", "olivia.martin@example.com", "", "CA"),
        close={"outcome": "complied"},
        close_after=2,
    ),
    DemoRequest(
        "limit",
        "in_person",
        9,
        Requester("Henry Adams", "", "+14155550177", "CA"),
        at=time(14, 20),
        close={"outcome": "complied"},
        close_after=5,
    ),
    DemoRequest(
        "opt_out",
        "gpc",
        2,
        Requester(),
        at=time(20, 3),
        close={"outcome": "complied"},
        close_after=0.01,
    ),
)

BRAVO_REQUESTS = (
    DemoRequest(
        "delete",
        "phone",
        46,
        Requester("Frank Miller", "frank.miller@example.com", "+19165550111", "CA"),
    ),
    DemoRequest(
        "know",
        "webform",
        10,
        Requester("Hannah Scott", "hannah.scott@example.net", "", "CA"),
        know_scope="categories",
    ),
    DemoRequest(
        "correct",
        "agent",
        20,
        Requester("Isaac Young", "isaac.young@example.com", "", "CA"),
        agent=Agent("Priya Shah", "", "priya.shah@example.org"),
        steps=(("verify", 8), ("start", 8.1), ("assign", 9)),
    ),
    DemoRequest(
        "opt_out",
        "webform",
        _comply_due_soon,
        Requester("Julia Roberts", "julia.roberts@example.com", "", "CA"),
    ),
    DemoRequest(
        "delete",
        "mail",
        30,
        Requester("Kevin Wright", "kevin.wright@example.com", "", "CA"),
        steps=(("verify", 4), ("start", 4.1)),
        close={"outcome": "complied"},
        close_after=21,
    ),
    DemoRequest(
        "opt_in",
        "webform",
        2,
        Requester("Laura Hill", "laura.hill@example.net", "", "CA"),
    ),
)

DEMO_REQUESTS = {LEADS_LIBRARY.slug: LEADS_LIBRARY_REQUESTS, BRAVO.slug: BRAVO_REQUESTS}


# --- Seeding ------------------------------------------------------------------------------


@dataclass
class SeededTenant:
    slug: str
    legal_name: str
    created: bool
    logins: list[DemoLogin]
    api_key: str
    requests_created: int
    requests_total: int
    totp_secret: str = DEMO_TOTP_SECRET


# Consumers each demo business holds in its verification directory (kept as keyed hashes only):
# submit a request to know, delete or correct with one of these email addresses, open the link
# the email in var/mail/ carries, and give the details to be verified (§7060-§7062).
DEMO_DIRECTORY: dict[str, tuple[dict[str, str], ...]] = {
    "leads-library": (
        {
            "consumer_id": "LL-1001",
            "email": "jordan.rivera@example.com",
            "phone": "(415) 555-0134",
            "name": "Jordan Rivera",
            "postal_address": "88 Mission Street, San Francisco, CA 94105",
            "account": "LL-1001",
            "last_purchase_amount": "24.99",
        },
        {
            "consumer_id": "LL-1002",
            "email": "sam.lee@example.com",
            "phone": "(510) 555-0199",
            "name": "Sam Lee",
            "account": "LL-1002",
        },
    ),
    "bravo": (
        {
            "consumer_id": "B-2001",
            "email": "alex.kim@example.com",
            "phone": "(559) 555-0110",
            "name": "Alex Kim",
            "postal_address": "12 Oak Avenue, Fresno, CA 93721",
        },
    ),
}


def _directory(tenant: Tenant, slug: str) -> None:
    """Fill the business's verification directory with its demo consumers, once."""
    consumers = DEMO_DIRECTORY.get(slug, ())
    if consumers and not DirectoryRecord.objects.for_tenant(tenant).exists():
        directory_records_add(
            tenant=tenant, records=[dict(c) for c in consumers], actor_label="Demo seed"
        )


# --- The data inventory (notices) ----------------------------------------------------------

# Leads Library's inventory, from its notice (seeds/000_6645cd481ae8a4bf.txt). Where the notice is
# silent or contradicts itself (requirements.md, "Seed notice check"), the demo decides and says so:
# - It follows the collected-categories table (A, B and I "Yes"); its business-purpose list also
#   names C, D, G and K, which the table marks "No" and which the inventory therefore leaves out.
# - "We collect some information on general health and exercise" is recorded as sensitive health
#   information (§1798.140(ae)(2)(B)) used beyond §7027(m), as the tenant's settings already say.
#   The notice names no source for it: the demo assumes third-party data providers.
# - It sells (a lead-data seller; "Seed notice check": sells = yes) but names no buyers: the demo
#   calls them the businesses buying its leads. It says nothing of sharing (pre-CPRA notice).
# - It gives no retention period (§7012(e)(4)); the demo's criteria are invented.
LL_SOURCES_ALL = (
    "Directly from consumers",
    "Indirectly from consumers",
    "Directories",
    "Company websites",
    "Third-party data providers",
)
LL_PURPOSES = (
    "Helping businesses develop new customers",
    "Marketing",
    "Developing insights on consumer behaviors and interests",
    "Keeping contact information relevant and up to date",
    "Enabling personalized and relevant marketing messages",
    "Improving our services",
)
LL_RETENTION = (
    "As long as the record is used to keep our business contact directory current: we "
    "review it every 12 months and delete records that are no longer current, or sooner "
    "when you ask us to delete them."
)
LL_SOLD_TO = ("Businesses buying sales leads (our clients)",)
LL_DISCLOSED_TO = ("Affiliates and subsidiaries", "Service providers and other contractors")

DEMO_INVENTORY: dict[str, tuple[dict[str, Any], ...]] = {
    "leads-library": (
        {
            "category": "A",
            "examples": "Real name, alias, postal address, email address, online identifier and "
            "unique personal identifier.",
            "sources": LL_SOURCES_ALL,
            "purposes": LL_PURPOSES,
            "sold": True,
            "third_parties": LL_SOLD_TO,
            "disclosed_to": LL_DISCLOSED_TO,
        },
        {
            "category": "B",
            "examples": "Name, phone number, address, employment and education.",
            "sources": ("Third-party data providers", "Company websites", "Directories"),
            "purposes": LL_PURPOSES,
            "sold": True,
            "third_parties": LL_SOLD_TO,
            "disclosed_to": LL_DISCLOSED_TO,
        },
        {
            "category": "I",
            "examples": "Job history.",
            "sources": LL_SOURCES_ALL,
            "purposes": LL_PURPOSES,
            "sold": True,
            "third_parties": LL_SOLD_TO,
            "disclosed_to": LL_DISCLOSED_TO,
        },
        {
            "category": "SPI-2B",
            "name": "General health and exercise",
            "examples": "General information on health and exercise habits.",
            "sources": ("Third-party data providers",),
            "purposes": ("Developing insights on consumer behaviors and interests",),
            "sensitive_use_beyond_7027m": True,
        },
    ),
}


def _inventory(tenant: Tenant, slug: str) -> None:
    """Add the business's demo inventory entries it does not have yet (an admin's edits stay)."""
    listed = set(InventoryCategory.objects.for_tenant(tenant).values_list("category", flat=True))
    for entry in DEMO_INVENTORY.get(slug, ()):
        if entry["category"] in listed:
            continue
        fields = {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in entry.items()
        }
        inventory_category_save(
            inventory_category=InventoryCategory(tenant=tenant, retention=LL_RETENTION, **fields)
        )


def seed(*, var_dir: Path | None = None) -> list[SeededTenant]:
    """Create whatever of the demo is missing; return the logins and keys to show."""
    var_dir = Path(var_dir or settings.VAR_DIR)
    keys_file = var_dir / API_KEYS_FILE
    saved_keys = _read_keys(keys_file)
    seeded: list[SeededTenant] = []
    for demo in DEMO_TENANTS:
        with transaction.atomic():
            tenant, created = _tenant(demo)
            users = {login.role: _login(tenant, login) for login in demo.logins}
            api_key = _api_key(tenant, saved_keys.get(demo.slug))
            saved_keys[demo.slug] = api_key
            made = 0
            if not PrivacyRequest.objects.for_tenant(tenant).exists():
                made = _requests(tenant, DEMO_REQUESTS[demo.slug], users)
            _directory(tenant, demo.slug)
            _inventory(tenant, demo.slug)
            seed_notices(tenant, demo.slug, users)
            seed_systems(tenant, demo.slug, users)
            total = PrivacyRequest.objects.for_tenant(tenant).count()
        seeded.append(
            SeededTenant(
                demo.slug, tenant.legal_name, created, list(demo.logins), api_key, made, total
            )
        )
    _write_keys(keys_file, saved_keys)
    sweep_deadlines()
    return seeded


def _tenant(demo: DemoTenant) -> tuple[Tenant, bool]:
    tenant = Tenant.objects.filter(slug=demo.slug).first()
    if tenant is not None:
        return tenant, False
    return tenant_create(slug=demo.slug, legal_name=demo.legal_name, **demo.settings), True


def _login(tenant: Tenant, login: DemoLogin) -> Any:
    user, _ = staff_create(
        tenant=tenant,
        username=login.username,
        role=login.role,
        email=f"{login.username}@{tenant.slug}.example",
        password=login.password,
    )
    # An existing demo user keeps working with the printed password.
    if not user.check_password(login.password):
        password_validation.validate_password(login.password, user)
        user.set_password(login.password)
        user.save(update_fields=["password"])
    # Its authenticator app: the demo's public TOTP secret, printed by `make run`.
    totp_device_set(user=user, key_hex=DEMO_TOTP_KEY_HEX, name="Demo authenticator")
    return user


def _api_key(tenant: Tenant, raw_key: str | None) -> str:
    """Reuse the key on file while it is still valid for this business; else make a new one."""
    if (
        raw_key
        and ApiKey.objects.filter(
            tenant=tenant, key_hash=hash_api_key(raw_key), revoked_at__isnull=True
        ).exists()
    ):
        return raw_key
    _, raw_key = api_key_create(tenant=tenant, name="Demo key")
    return raw_key


def _read_keys(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_keys(path: Path, keys: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(keys, indent=2) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _received_at(tenant: Tenant, spec: DemoRequest, now: datetime) -> datetime:
    today = deadlines.receipt_date(now, tenant.zone)
    days_ago = spec.days_ago
    if callable(days_ago):
        days_ago = days_ago(today, tenant.calendar)
    local = datetime.combine(today - timedelta(days=days_ago), spec.at, tzinfo=tenant.zone)
    # Never in the future (the service refuses it): a same-day request seeded early in the day.
    return min(local, now - timedelta(minutes=30))


@contextmanager
def _replayed_at(moment: datetime) -> Iterator[None]:
    """Run the services as if ``clock.now()`` were ``moment``, in this process only.

    The demo replays each request's history at the times it happened: the acknowledgement goes
    out on the day of receipt, verification and closure come days later, so the timeline, the
    days-to-respond metrics and the sweep's next milestone all read as they would have. Nothing
    is written to the shared clock file, so other processes keep their own time.
    """
    with clock.replaying_at(moment):
        yield


def _requests(tenant: Tenant, specs: tuple[DemoRequest, ...], users: dict[str, Any]) -> int:
    # Compliance reads the queue and acts on nothing (issue 14 item 5): an admin decides denials.
    staff, admin = users[Role.STAFF], users[Role.ADMIN]
    now = clock.now()
    # Oldest first, so the references read in arrival order.
    timed = sorted(((_received_at(tenant, spec, now), spec) for spec in specs), key=lambda x: x[0])
    for received_at, spec in timed:
        with _replayed_at(received_at):
            privacy_request = privacy_request_create(
                tenant=tenant,
                request_type=spec.request_type,
                channel=spec.channel,
                requester=spec.requester,
                know_scope=spec.know_scope,
                received_at=received_at,
                agent=spec.agent,
            )
        when = received_at
        for step, days_after in spec.steps:
            when = _later(when, received_at + timedelta(days=days_after), now)
            with _replayed_at(when):
                privacy_request = _step(privacy_request, step, staff)
        if spec.close:
            when = _later(when, received_at + timedelta(days=spec.close_after), now)
            closer = staff if spec.close["outcome"] == "complied" else admin
            with _replayed_at(when):
                if spec.request_type in COMPLY_TYPES and spec.close["outcome"] == "complied":
                    # An opt-out or a limit is complied with by applying it to the consent
                    # state (the signal's to the browser that sent it).
                    browser = (
                        [consent_subject(tenant, SubjectKind.DEVICE, new_device_id())]
                        if spec.channel == "gpc"
                        else []
                    )
                    choice_apply(privacy_request=privacy_request, subjects=browser, actor=closer)
                else:
                    privacy_request_close(
                        privacy_request=privacy_request, actor=closer, **spec.close
                    )
    return len(specs)


def _later(previous: datetime, wanted: datetime, now: datetime) -> datetime:
    """``wanted``, but after ``previous`` and not after ``now``."""
    return min(max(wanted, previous + timedelta(seconds=1)), now)


def _step(privacy_request: PrivacyRequest, step: str, staff: Any) -> PrivacyRequest:
    if step == "verify":
        return privacy_request_mark_verified(
            privacy_request=privacy_request, actor=staff, method=VERIFIED_HOW
        )
    if step == "start":
        return privacy_request_start(privacy_request=privacy_request, actor=staff)
    if step == "assign":
        return privacy_request_assign(privacy_request=privacy_request, actor=staff, assignee=staff)
    if step == "extend":
        return privacy_request_extend(
            privacy_request=privacy_request, actor=staff, reason=EXTENSION_REASON
        )
    raise ValueError(f"Unknown demo step {step!r}")
