"""Which recipients hear of which complied request, and what they are told (pure: no Django).

A recipient is a third party, service provider or contractor the business registered, with two
facts about it: whether the business sells or shares personal information with it, and whether
it uses or receives sensitive personal information for purposes beyond §7027(m).

==========  ==============================  =======================================
request     service provider / contractor   third party
==========  ==============================  =======================================
delete      always (§7022(b)(2))            if sold to or shared with (§7022(b)(3))
correct     always (§7023(c))               never
opt-out     never                           always (§7026(f)(2)-(3))
limit       if SPI beyond §7027(m)          if SPI beyond §7027(m) (§7027(g)(3)-(4))
            (§7027(g)(2))
know        never                           never
opt-in      never                           never
==========  ==============================  =======================================

Opt-out: §7026(f)(3) reaches every third party to whom the business makes personal information
available, which is every registered third party, sold to or not. Third parties are also told to
forward the request (§7026(f)(2)-(3), §7027(g)(3)-(4)); service providers and contractors act
for the business and have no one to forward it to.
"""

from __future__ import annotations

THIRD_PARTY = "third_party"
SERVICE_PROVIDER = "service_provider"
CONTRACTOR = "contractor"
KINDS = (THIRD_PARTY, SERVICE_PROVIDER, CONTRACTOR)

# The request types, as requests_app.vocabulary spells them.
DELETE = "delete"
CORRECT = "correct"
OPT_OUT = "opt_out"
LIMIT = "limit"

# What each recipient is asked to do, by request type.
INSTRUCTIONS = {
    DELETE: "Delete the consumer's personal information from your records.",
    CORRECT: ("Correct the consumer's personal information in your systems and keep it corrected."),
    OPT_OUT: "Stop selling and sharing the consumer's personal information.",
    LIMIT: (
        "Stop using and disclosing the consumer's sensitive personal information for purposes "
        "other than those permitted by §7027(m)."
    ),
}
FORWARD = (
    " Forward this request to every person to whom you disclosed or shared the personal "
    "information, so that they comply too."
)

# The sections each notification cites, by request type and whether it goes to a third party.
SECTIONS = {
    (DELETE, False): "§7022(b)(2)",
    (DELETE, True): "§7022(b)(3)",
    (CORRECT, False): "§7023(c)",
    (OPT_OUT, True): "§7026(f)(2)-(3)",
    (LIMIT, False): "§7027(g)(2)",
    (LIMIT, True): "§7027(g)(3)-(4)",
}


def is_notified(
    *, request_type: str, kind: str, sold_or_shared: bool, sensitive_beyond_permitted: bool
) -> bool:
    """Whether a recipient of ``kind`` must be told of a complied request of ``request_type``."""
    if kind not in KINDS:
        raise ValueError(f"unknown recipient kind {kind!r}")
    third_party = kind == THIRD_PARTY
    if request_type == DELETE:
        return sold_or_shared if third_party else True
    if request_type == CORRECT:
        return not third_party
    if request_type == OPT_OUT:
        return third_party
    if request_type == LIMIT:
        return sensitive_beyond_permitted
    return False


def instruction(*, request_type: str, kind: str) -> str:
    """What the notification asks the recipient to do (third parties also forward it)."""
    text = INSTRUCTIONS[request_type]
    return text + FORWARD if kind == THIRD_PARTY else text


def section(*, request_type: str, kind: str) -> str:
    """The section that requires this notification."""
    return SECTIONS[(request_type, kind == THIRD_PARTY)]
