"""The verification pages of the consumer portal, joined into the ``portal`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("verify/email/", views.verify_email, name="verify_email"),
    path("verify/", views.verify, name="verify"),
    path("verify/new-link/", views.verify_new_link, name="verify_new_link"),
    path("verify/agent/", views.verify_agent, name="verify_agent"),
]
