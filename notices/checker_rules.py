"""The completeness checker's rules (issue 15 item 3): from plain facts about a business, the
required elements its notices are missing, each with its section. Pure: no Django, no clock
(``NoticeFacts.today`` is an argument); ``notices.checker`` gathers the facts.

Each rule is one small function returning findings for one document (``privacy_policy``,
``notice_at_collection``) or for the business as a whole (``business``: a setting that every
notice depends on). Findings are for what is missing or contradictory now, never warnings of
what will be due ("the policy is due for review in 30 days" is no finding).

Rules that ``Tenant.clean`` already enforces on every save are not repeated here: the request
methods of §7020(a)-(b) (an email for an online-only business; otherwise two methods with a
toll-free number, and the online form when there is a website; a postal address for mail) and
frictionless signal processing while selling offline (§7025(g)(3)). Nor those
``InventoryCategory.clean`` enforces per category: sources (§7011(e)(1)(B)), purposes
(§7012(e)(2)), retention (§7012(e)(4)), third parties of what is sold or shared (§7011(e)(1)(E)).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

PRIVACY_POLICY = "privacy_policy"
NOTICE_AT_COLLECTION = "notice_at_collection"
BUSINESS = "business"
DOCUMENTS = (PRIVACY_POLICY, NOTICE_AT_COLLECTION)
# What a finding concerns (the API's enum, privacyportal/settings.py ENUM_NAME_OVERRIDES).
FINDING_DOCUMENTS = (
    (PRIVACY_POLICY, "The privacy policy"),
    (NOTICE_AT_COLLECTION, "The notice at collection"),
    (BUSINESS, "The business as a whole: a setting every notice depends on"),
)

# Where the business admin fixes each thing (the admin's section and model names).
SETTINGS_PAGE = "your business's settings (admin: Businesses and staff › Tenants)"
PRACTICES_PAGE = "Notices › Privacy practices"
TEXTS_PAGE = "Notices › Notice texts"
INVENTORY_PAGE = "Notices › Data inventory"
PUBLISH_PAGE = "Notices"  # where the admin previews and publishes its notices

LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}

# The business's own text fields (NoticeText): the label the admin shows, and the notice each
# one is written for. The notice at collection names the third parties that control collection
# (§7012(e)(6)); everything else is part of the privacy policy.
TEXT_FIELDS: Mapping[str, tuple[str, str]] = {
    "introduction": ("Introduction", PRIVACY_POLICY),
    "offline_practices": ("Offline practices", PRIVACY_POLICY),
    "sale_purposes": ("Why you sell or share", PRIVACY_POLICY),
    "disclosure_purposes": ("Why you disclose for a business purpose", PRIVACY_POLICY),
    "minors_processes": ("Consent of consumers under 16", PRIVACY_POLICY),
    "no_verification_reason": ("Why you cannot verify identity", PRIVACY_POLICY),
    "third_parties_controlling_collection": (
        "Third parties that control collection",
        NOTICE_AT_COLLECTION,
    ),
    "contact": ("Contact for questions", PRIVACY_POLICY),
}

# Findings that publishing the document is itself the fix for: the publish service need not ask
# for an override because of them (it is publishing, or publishing again, right now).
CLEARED_BY_PUBLISHING = frozenset(
    {
        "privacy_policy_not_published",
        "privacy_policy_language_not_published",
        "privacy_policy_older_than_12_months",
        "notice_at_collection_not_published",
        "notice_at_collection_language_not_published",
    }
)


@dataclass(frozen=True)
class Finding:
    """One missing required element: ``code`` is stable (tests and the API use it), ``section``
    the rule's citation, ``message`` tells the business what to do, in plain words."""

    code: str
    document: str
    section: str
    message: str


@dataclass(frozen=True)
class NoticeFacts:
    """What the checker needs to know about one business, gathered by ``notices.checker``.
    Every fact but ``today`` and ``languages`` defaults to "nothing", so a test states only the
    facts its rule reads."""

    today: date
    languages: tuple[str, ...]
    # The business's own text per language and field (NoticeText), stripped ("" when missing).
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The notices consumers see now: document -> language -> its "last updated" date.
    published: Mapping[str, Mapping[str, date]] = field(default_factory=dict)

    # The data inventory, aggregated (InventoryCategory).
    inventory_categories: int = 0
    inventory_sells_or_shares: bool = False  # a category is sold or shared
    inventory_discloses: bool = False  # a category is disclosed for a business purpose
    inventory_sensitive_beyond_7027m: bool = False  # a sensitive category used beyond §7027(m)

    # The business's settings (Tenant).
    contact_email: str = ""
    sells_or_shares: bool = False  # posts the opt-out link and notice (§7013)
    sells_or_shares_offline: bool = False
    uses_sensitive_beyond_7027m: bool = False  # posts the limit link and notice (§7014)

    # The business's privacy practices (PrivacyPractices; all False when it has no row yet).
    knows_sells_under_16: bool = False
    no_reasonable_verification: bool = False
    registered_data_broker: bool = False
    data_broker_registration_url: str = ""
    practices_reviewed_at: date | None = None

    @property
    def policy_last_updated(self) -> date | None:
        """The oldest "last updated" date among the privacy policy's published languages."""
        dates = self.published.get(PRIVACY_POLICY, {}).values()
        return min(dates, default=None)

    def text_anywhere(self, name: str) -> bool:
        """The business wrote field ``name`` in at least one of its languages."""
        return any(self.texts.get(language, {}).get(name) for language in self.languages)

    @property
    def needs_notice_at_collection(self) -> bool:
        """§7010(b), §7012(i): all but a registered data broker whose registration links to its
        privacy policy."""
        return not (self.registered_data_broker and self.data_broker_registration_url)


Rule = Callable[[NoticeFacts], list[Finding]]


def _language(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def _text_field(name: str, language: str | None = None) -> str:
    where = f" ({_language(language)})" if language else ""
    return f"{TEXTS_PAGE}, “{TEXT_FIELDS[name][0]}”{where}"


def _full_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


# --- Publication (§7010(a)-(b), §7003(b)(2), Civil Code §1798.130(a)(5)) ----------------------


def privacy_policy_not_published(facts: NoticeFacts) -> list[Finding]:
    """§7010(a): every business provides a privacy policy."""
    if facts.published.get(PRIVACY_POLICY):
        return []
    return [
        Finding(
            "privacy_policy_not_published",
            PRIVACY_POLICY,
            "§7010(a)",
            f"No privacy policy is published. Check it in {PUBLISH_PAGE} and publish it.",
        )
    ]


def notice_at_collection_not_published(facts: NoticeFacts) -> list[Finding]:
    """§7010(b): a business collecting personal information gives a notice at collection;
    §7012(i): a registered data broker need not, if its registration links to its policy."""
    if not facts.needs_notice_at_collection or facts.published.get(NOTICE_AT_COLLECTION):
        return []
    return [
        Finding(
            "notice_at_collection_not_published",
            NOTICE_AT_COLLECTION,
            "§7010(b), §7012(i)",
            f"No notice at collection is published. Publish it in {PUBLISH_PAGE} (only a registered "
            "data broker that gives the address of its registration, in "
            f"{PRACTICES_PAGE}, may go without one).",
        )
    ]


def notice_missing_a_language(facts: NoticeFacts) -> list[Finding]:
    """§7003(b)(2), R-7003-b2-1: a published notice is available in every language the business
    uses with consumers. (Not published at all: the rules above.)"""
    found = []
    needed = [PRIVACY_POLICY] + ([NOTICE_AT_COLLECTION] if facts.needs_notice_at_collection else [])
    for document in needed:
        published = facts.published.get(document, {})
        if not published:
            continue
        name = "privacy policy" if document == PRIVACY_POLICY else "notice at collection"
        for language in facts.languages:
            if language not in published:
                found.append(
                    Finding(
                        f"{document}_language_not_published",
                        document,
                        "§7003(b)(2)",
                        f"The {name} is not published in {_language(language)}, one of your "
                        f"business's languages. Publish the {_language(language)} version in "
                        f"{PUBLISH_PAGE}.",
                    )
                )
    return found


def policy_older_than_12_months(facts: NoticeFacts) -> list[Finding]:
    """Civil Code §1798.130(a)(5): the policy is updated at least once every 12 months. Due
    today is not yet late: only a policy last updated more than 12 months ago is a finding."""
    last = facts.policy_last_updated
    if last is None or _add_months(last, 12) >= facts.today:
        return []
    return [
        Finding(
            "privacy_policy_older_than_12_months",
            PRIVACY_POLICY,
            "Civil Code §1798.130(a)(5)",
            f"The privacy policy was last updated on {_full_date(last)}, more than 12 months "
            f"ago. Review it and publish it again in {PUBLISH_PAGE}.",
        )
    ]


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def notice_at_collection_without_policy(facts: NoticeFacts) -> list[Finding]:
    """§7012(e)(7), (f): the notice at collection links to the privacy policy and into its
    sections; with no policy published, those links lead nowhere."""
    if not facts.needs_notice_at_collection or facts.published.get(PRIVACY_POLICY):
        return []
    return [
        Finding(
            "notice_at_collection_without_policy",
            NOTICE_AT_COLLECTION,
            "§7012(e)(7), (f)",
            "The notice at collection links to the privacy policy, which is not published: "
            f"publish the privacy policy first, in {PUBLISH_PAGE}.",
        )
    ]


def data_broker_without_registration_url(facts: NoticeFacts) -> list[Finding]:
    """§7012(i): the data broker's exemption from the notice at collection holds only if its
    registration links to its privacy policy; we need that registration's address."""
    if not facts.registered_data_broker or facts.data_broker_registration_url:
        return []
    return [
        Finding(
            "data_broker_registration_url_missing",
            NOTICE_AT_COLLECTION,
            "§7012(i)",
            "Your business is marked as a registered data broker but gives no registration "
            f"address. Enter it in {PRACTICES_PAGE}, “Data broker registration address”, or "
            "publish a notice at collection.",
        )
    ]


# --- The data inventory (§7011(e)(1), §7012(e)) -----------------------------------------------


def inventory_empty(facts: NoticeFacts) -> list[Finding]:
    """§7011(e)(1)(A), §7012(e)(1): the notices list the categories collected, from the
    inventory."""
    if facts.inventory_categories:
        return []
    message = (
        "The data inventory is empty, so the {notice} would list no categories of personal "
        f"information. Add each category you collect in {INVENTORY_PAGE}."
    )
    found = [
        Finding(
            "inventory_empty",
            PRIVACY_POLICY,
            "§7011(e)(1)(A)",
            message.format(notice="privacy policy"),
        )
    ]
    if facts.needs_notice_at_collection:
        found.append(
            Finding(
                "inventory_empty",
                NOTICE_AT_COLLECTION,
                "§7012(e)(1)",
                message.format(notice="notice at collection"),
            )
        )
    return found


# --- Selling and sharing, sensitive personal information (§7010(c)-(d), §7013-§7014) ---------


def sells_without_opt_out(facts: NoticeFacts) -> list[Finding]:
    """§7010(c), §7013: a business that sells or shares posts the notice of right to opt out
    (and its link); the portal does so only when the business's setting says it sells."""
    if facts.sells_or_shares:
        return []
    if facts.inventory_sells_or_shares:
        why = f"{INVENTORY_PAGE} says a category is sold or shared"
    elif facts.sells_or_shares_offline:
        why = "Your settings say you sell or share personal information offline"
    else:
        return []
    return [
        Finding(
            "sells_without_opt_out_notice",
            BUSINESS,
            "§7010(c), §7013",
            f"{why}, but no “Do Not Sell or Share My Personal Information” link "
            f"and no notice of right to opt out are posted. In {SETTINGS_PAGE}, under "
            "“Practices”, tick “Sells or shares”, or correct the inventory if nothing is sold "
            "or shared.",
        )
    ]


def opt_out_without_sale(facts: NoticeFacts) -> list[Finding]:
    """§7011(e)(1)(D): the policy says which categories are sold or shared, or that none are;
    with the opt-out link posted and nothing sold in the inventory, it would contradict it."""
    if not facts.sells_or_shares or facts.inventory_sells_or_shares:
        return []
    return [
        Finding(
            "opt_out_without_sale_in_inventory",
            PRIVACY_POLICY,
            "§7011(e)(1)(D)",
            "Your settings say you sell or share personal information, but no category in "
            f"{INVENTORY_PAGE} is sold or shared: the policy would contradict itself. Mark "
            "the categories sold or shared in the inventory, or, if you sell and share "
            f"nothing, untick “Sells or shares” in {SETTINGS_PAGE}.",
        )
    ]


def sensitive_use_without_limit(facts: NoticeFacts) -> list[Finding]:
    """§7010(d), §7014: a business using sensitive personal information beyond §7027(m) posts the
    notice of right to limit (and its link); the portal does so only when the setting says so."""
    if not facts.inventory_sensitive_beyond_7027m or facts.uses_sensitive_beyond_7027m:
        return []
    return [
        Finding(
            "sensitive_use_without_limit_notice",
            BUSINESS,
            "§7010(d), §7014",
            f"{INVENTORY_PAGE} says a sensitive category is used beyond the purposes of "
            "§7027(m), but no “Limit the Use of My Sensitive Personal Information” link and no "
            f"notice of right to limit are posted. In {SETTINGS_PAGE}, under “Practices”, "
            "tick “Uses sensitive personal information beyond §7027(m)”, or correct the "
            "inventory.",
        )
    ]


def limit_without_sensitive_use(facts: NoticeFacts) -> list[Finding]:
    """§7011(e)(1)(K): the policy states whether sensitive personal information is used beyond
    §7027(m); with the limit link posted and no such use in the inventory, it would contradict
    it."""
    if not facts.uses_sensitive_beyond_7027m or facts.inventory_sensitive_beyond_7027m:
        return []
    return [
        Finding(
            "limit_without_sensitive_use_in_inventory",
            PRIVACY_POLICY,
            "§7011(e)(1)(K)",
            "Your settings say you use sensitive personal information beyond the purposes of "
            f"§7027(m), but no sensitive category in {INVENTORY_PAGE} is marked so: the policy "
            "would contradict itself. Mark that use in the inventory, or untick the setting in "
            f"{SETTINGS_PAGE}.",
        )
    ]


# --- What the business must write itself (NoticeText) ----------------------------------------


def sale_purposes_missing(facts: NoticeFacts) -> list[Finding]:
    """§7011(e)(1)(F): the business or commercial purposes for selling or sharing."""
    if not facts.inventory_sells_or_shares or facts.text_anywhere("sale_purposes"):
        return []
    return [
        Finding(
            "sale_purposes_missing",
            PRIVACY_POLICY,
            "§7011(e)(1)(F)",
            "You sell or share personal information but do not say why. Write the purposes "
            f"in {_text_field('sale_purposes')}.",
        )
    ]


def disclosure_purposes_missing(facts: NoticeFacts) -> list[Finding]:
    """§7011(e)(1)(J): the purposes of disclosing for a business purpose."""
    if not facts.inventory_discloses or facts.text_anywhere("disclosure_purposes"):
        return []
    return [
        Finding(
            "disclosure_purposes_missing",
            PRIVACY_POLICY,
            "§7011(e)(1)(J)",
            "The data inventory names recipients of personal information disclosed for a "
            "business purpose, but you do not say why you disclose it. Write the purposes in "
            f"{_text_field('disclosure_purposes')}.",
        )
    ]


def minors_processes_missing(facts: NoticeFacts) -> list[Finding]:
    """§7011(e)(3)(I), §7072(a): a business that knowingly sells the personal information of
    consumers under 16 describes how it obtains their (or a parent's) consent (§7070-§7071)."""
    if not facts.knows_sells_under_16 or facts.text_anywhere("minors_processes"):
        return []
    return [
        Finding(
            "minors_processes_missing",
            PRIVACY_POLICY,
            "§7011(e)(3)(I), §7072(a)",
            "You knowingly sell or share the personal information of consumers under 16 but "
            "do not describe how you obtain their consent, or a parent's for those under 13. "
            f"Write it in {_text_field('minors_processes')}.",
        )
    ]


def minors_sale_without_sale(facts: NoticeFacts) -> list[Finding]:
    """§7011(e)(1)(D), (G): the policy cannot say both that the business knowingly sells the
    personal information of consumers under 16 and that it sells or shares none."""
    if not facts.knows_sells_under_16 or facts.inventory_sells_or_shares:
        return []
    return [
        Finding(
            "minors_sale_without_sale_in_inventory",
            PRIVACY_POLICY,
            "§7011(e)(1)(D), (G)",
            f"{PRACTICES_PAGE} says you knowingly sell or share the personal information of "
            f"consumers under 16, but no category in {INVENTORY_PAGE} is sold or shared: the "
            "policy would contradict itself. Correct one or the other.",
        )
    ]


def no_verification_reason_missing(facts: NoticeFacts) -> list[Finding]:
    """§7062(g): a business with no reasonable method to verify any consumer explains why in its
    privacy policy."""
    if not facts.no_reasonable_verification or facts.text_anywhere("no_verification_reason"):
        return []
    return [
        Finding(
            "no_verification_reason_missing",
            PRIVACY_POLICY,
            "§7062(g)",
            "You have no reasonable method to verify consumers' identity, so the privacy "
            "policy must explain why. Write it in "
            f"{_text_field('no_verification_reason')}.",
        )
    ]


def verification_not_reevaluated(facts: NoticeFacts) -> list[Finding]:
    """§7062(g): without a reasonable verification method, the business evaluates and documents
    whether one can be established at least once every 12 months."""
    reviewed = facts.practices_reviewed_at
    if not facts.no_reasonable_verification or (
        reviewed is not None and _add_months(reviewed, 12) >= facts.today
    ):
        return []
    when = f"last on {_full_date(reviewed)}" if reviewed else "never"
    return [
        Finding(
            "verification_not_reevaluated",
            PRIVACY_POLICY,
            "§7062(g)",
            "Without a reasonable verification method, you must check at least every 12 "
            f"months whether one can be set up; your practices were reviewed {when}. Review "
            f"them and set “Last reviewed” in {PRACTICES_PAGE}.",
        )
    ]


def offline_practices_missing(facts: NoticeFacts) -> list[Finding]:
    """§7011(a), (e)(1): the policy describes offline practices too; a business that sells or
    shares what it collects offline must describe them (and tell consumers offline, §7013(e)(3))."""
    if not facts.sells_or_shares_offline or facts.text_anywhere("offline_practices"):
        return []
    return [
        Finding(
            "offline_practices_missing",
            PRIVACY_POLICY,
            "§7011(a), §7013(e)(3)",
            "You sell or share personal information collected offline but the policy does not "
            "describe your offline practices (what you collect, e.g. in stores or by phone, "
            "and how consumers there learn of their right to opt out). Write them in "
            f"{_text_field('offline_practices')}.",
        )
    ]


def contact_missing(facts: NoticeFacts) -> list[Finding]:
    """§7011(e)(3)(J): a contact for questions about the privacy policy and practices."""
    if facts.contact_email or facts.text_anywhere("contact"):
        return []
    return [
        Finding(
            "contact_missing",
            PRIVACY_POLICY,
            "§7011(e)(3)(J)",
            "The privacy policy gives no contact for questions. Enter your privacy contact "
            f"email in {SETTINGS_PAGE}, or write one in {_text_field('contact')}.",
        )
    ]


def translation_missing(facts: NoticeFacts) -> list[Finding]:
    """§7003(b)(2), R-7003-b2-1: each text written in one of the business's languages is written
    in all of them. A required text written in none is the rule of its own element above."""
    found = []
    for name, (label, document) in TEXT_FIELDS.items():
        if document == NOTICE_AT_COLLECTION and not facts.needs_notice_at_collection:
            continue
        written = [lang for lang in facts.languages if facts.texts.get(lang, {}).get(name)]
        if not written:
            continue
        for language in facts.languages:
            if language in written:
                continue
            found.append(
                Finding(
                    "translation_missing",
                    document,
                    "§7003(b)(2)",
                    f"“{label}” is written in {_language(written[0])} but not in "
                    f"{_language(language)}. Write the {_language(language)} text in "
                    f"{_text_field(name, language)}.",
                )
            )
    return found


RULES: tuple[Rule, ...] = (
    privacy_policy_not_published,
    notice_at_collection_not_published,
    notice_at_collection_without_policy,
    notice_missing_a_language,
    policy_older_than_12_months,
    data_broker_without_registration_url,
    inventory_empty,
    sells_without_opt_out,
    opt_out_without_sale,
    sensitive_use_without_limit,
    limit_without_sensitive_use,
    sale_purposes_missing,
    disclosure_purposes_missing,
    minors_processes_missing,
    minors_sale_without_sale,
    no_verification_reason_missing,
    verification_not_reevaluated,
    offline_practices_missing,
    contact_missing,
    translation_missing,
)


def findings(facts: NoticeFacts, document: str | None = None) -> list[Finding]:
    """Every finding, or only those of ``document`` (and of the business as a whole)."""
    found = [finding for rule in RULES for finding in rule(facts)]
    if document is None:
        return found
    return [f for f in found if f.document in (document, BUSINESS)]
