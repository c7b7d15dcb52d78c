"""Opt-out's portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py)."""

from django.urls import path

from . import agent_views, views

urlpatterns = [
    path("recipients/acknowledge/", views.recipient_acknowledge, name="recipient_acknowledge"),
]

# An authorized agent's opt-out or limit, with the consumer's signed permission (§7026(j),
# §7027(j)).
urlpatterns += [
    path("agent-opt-out/", agent_views.agent_choice, name="agent_opt_out"),
    path("agent-opt-out/sent/", agent_views.agent_choice_sent, name="agent_opt_out_sent"),
]
