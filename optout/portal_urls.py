"""Opt-out's portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py)."""

from django.urls import path

from . import agent_views, opt_in_views, signal_views, views

urlpatterns = [
    # The addresses every business's footer links point to (§7013(c), §7014(c), §7015(b)).
    path("do-not-sell-or-share/", views.opt_out, name="opt_out"),
    path("limit-sensitive/", views.limit, name="limit"),
    path("privacy-choices/", views.privacy_choices, name="privacy_choices"),
    path("recipients/acknowledge/", views.recipient_acknowledge, name="recipient_acknowledge"),
    path("signal/", signal_views.signal_report, name="gpc_signal"),
]

# An authorized agent's opt-out or limit, with the consumer's signed permission (§7026(j),
# §7027(j)).
urlpatterns += [
    path("agent-opt-out/", agent_views.agent_choice, name="agent_opt_out"),
    path("agent-opt-out/sent/", agent_views.agent_choice_sent, name="agent_opt_out_sent"),
]

# Opting back in (§7028(a)): the request, its separate confirmation, and the result.
urlpatterns += [
    path("opt-in/", opt_in_views.opt_in, name="opt_in"),
    path("opt-in/confirm/", opt_in_views.opt_in_confirm_page, name="opt_in_confirm"),
    path("opt-in/done/", opt_in_views.opt_in_done, name="opt_in_done"),
]
