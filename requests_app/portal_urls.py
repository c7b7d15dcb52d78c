"""The request pages of the consumer portal, joined into the ``portal`` namespace by
privacyportal/portal_urls.py (under ``/<tenant_slug>/`` and on a business's own domain)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("know/", views.know, name="know"),
    path("know/limit/", views.know_limit, name="know_limit"),
    path("delete/", views.delete, name="delete"),
    path("delete/confirm/", views.delete_confirm, name="delete_confirm"),
    path("delete/cancelled/", views.cancelled, name="cancelled"),
    path("correct/", views.correct, name="correct"),
    path("sent/", views.submitted, name="submitted"),
    path("status/", views.status, name="status"),
    path("status/check-email/", views.status_check_email, name="status_check_email"),
    path("status/sign-in/", views.status_sign_in, name="status_sign_in"),
    path("status/request/", views.status_detail, name="status_detail"),
    path("status/withdraw/", views.withdraw, name="withdraw"),
    path("status/statement/", views.correction_statement, name="correction_statement"),
    path(
        "status/statement/sent/",
        views.correction_statement_sent,
        name="correction_statement_sent",
    ),
    path("status/sign-out/", views.status_sign_out, name="status_sign_out"),
]
