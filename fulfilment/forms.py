"""The portal's form of secure delivery (§7024(f)): the email address a sign-in link goes to."""

from __future__ import annotations

from requests_app.forms import PortalForm, request_email_field


class DeliveryEmailForm(PortalForm):
    email = request_email_field()
