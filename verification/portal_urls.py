"""The verification pages of the consumer portal, joined into the ``portal`` namespace."""

from django.urls import path

from . import account_views, agent_views, household_views, views

urlpatterns = [
    path("verify/email/", views.verify_email, name="verify_email"),
    path("verify/", views.verify, name="verify"),
    path("verify/new-link/", views.verify_new_link, name="verify_new_link"),
    path("verify/agent/", agent_views.verify_agent, name="verify_agent"),
    path("verify/account/", account_views.verify_account, name="verify_account"),
    path("household/join/", household_views.household_join, name="household_join"),
]
