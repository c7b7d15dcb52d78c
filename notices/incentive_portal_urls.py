"""The financial incentive pages' portal addresses (§7016, issue 15 item 5), joined into the
``portal`` namespace through ``notices/portal_urls.py`` (``urlpatterns += incentive_urlpatterns``)."""

from django.urls import path

from . import incentive_views

urlpatterns = [
    path("incentives/", incentive_views.incentives, name="incentives"),
    path("incentives/<slug:program_slug>/", incentive_views.incentive, name="incentive"),
    path(
        "incentives/<slug:program_slug>/withdraw/",
        incentive_views.incentive_withdraw,
        name="incentive_withdraw",
    ),
]
