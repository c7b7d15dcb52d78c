"""``manage.py create_tenant <slug> --name "<legal name>" [options]``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.calendar import CA_STATE, CALENDAR_CHOICES
from tenants.models import OptOutIdentifier, RequestMethod
from tenants.services import tenant_create


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Command(BaseCommand):
    help = "Create a business (tenant) on the portal."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Short name used in the portal address: /<slug>/")
        parser.add_argument("--name", required=True, help="Legal name of the business")
        parser.add_argument(
            "--contact-email",
            default="",
            help="Where consumers can write (default privacy@<slug>.example)",
        )
        parser.add_argument(
            "--toll-free", default="", help="Toll-free number, e.g. +1 888 555 0100 (§7020(b))"
        )
        parser.add_argument(
            "--postal-address",
            default="",
            help="Where consumers can mail requests; needed when mail is a method (§7020)",
        )
        parser.add_argument("--time-zone", default="America/Los_Angeles")
        parser.add_argument("--languages", default="en,es", help="Comma-separated: en,es")
        parser.add_argument(
            "--methods",
            default="",
            help=f"Comma-separated request methods ({', '.join(RequestMethod.values)}); "
            "default: webform,toll_free_phone (email only when --online-only)",
        )
        parser.add_argument("--website", default="")
        parser.add_argument(
            "--domain", default=None, help="The business's own host name for the portal"
        )
        parser.add_argument(
            "--sells",
            action="store_true",
            help="Sells or shares personal information: its portal offers the opt-out page, "
            "linked as “Do Not Sell or Share My Personal Information” (§7013, §7026)",
        )
        parser.add_argument(
            "--uses-sensitive",
            action="store_true",
            help="Uses sensitive personal information beyond §7027(m): its portal offers the "
            "limit page, linked as “Limit the Use of My Sensitive Personal Information” (§7014)",
        )
        parser.add_argument(
            "--opt-out-identifier",
            choices=OptOutIdentifier.values,
            default=OptOutIdentifier.EMAIL,
            help="What the opt-out and limit forms ask for besides the browser, always optional "
            "(§7026(c)); default: email",
        )
        parser.add_argument(
            "--online-only", action="store_true", help="Online only, direct relationship (§7020(a))"
        )
        parser.add_argument(
            "--calendar",
            choices=[c for c, _ in CALENDAR_CHOICES],
            default=CA_STATE,
        )
        parser.add_argument(
            "--prefix",
            default=None,
            help="Reference prefix, 2-4 capital letters (default: initials)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        methods = _csv(options["methods"]) or (
            [RequestMethod.EMAIL]
            if options["online_only"]
            else [RequestMethod.WEBFORM, RequestMethod.TOLL_FREE_PHONE]
        )
        extra: dict[str, Any] = {}
        if options["prefix"]:
            extra["reference_prefix"] = options["prefix"]
        try:
            tenant = tenant_create(
                slug=options["slug"],
                legal_name=options["name"],
                contact_email=options["contact_email"] or f"privacy@{options['slug']}.example",
                toll_free_number=options["toll_free"],
                postal_address=options["postal_address"],
                time_zone=options["time_zone"],
                languages=_csv(options["languages"]),
                request_methods=methods,
                website_url=options["website"],
                domain=options["domain"] or None,
                sells_or_shares=options["sells"],
                uses_sensitive_beyond_7027m=options["uses_sensitive"],
                opt_out_identifier=options["opt_out_identifier"],
                online_only=options["online_only"],
                business_calendar=options["calendar"],
                **extra,
            )
        except ValidationError as error:
            raise CommandError(_explain(error)) from error
        self.stdout.write(
            f"Created business {tenant.legal_name} at /{tenant.slug}/ (references {tenant.reference_prefix}-…)"
        )
        pages = []
        if tenant.sells_or_shares:
            pages.append(f"/{tenant.slug}/do-not-sell-or-share/")
        if tenant.uses_sensitive_beyond_7027m:
            pages.append(f"/{tenant.slug}/limit-sensitive/")
        if pages:
            pages.append(f"/{tenant.slug}/privacy-choices/")
            self.stdout.write("Opt-out pages, linked from every page's footer: " + ", ".join(pages))
        else:
            self.stdout.write(
                "It neither sells nor shares personal information nor uses sensitive personal "
                "information beyond §7027(m): no opt-out or limit links (--sells, --uses-sensitive)."
            )


def _explain(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)
