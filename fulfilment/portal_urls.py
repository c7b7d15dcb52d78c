"""Secure delivery's pages in the consumer portal (§7024(f)), joined into the ``portal``
namespace by privacyportal/portal_urls.py. A package is named by its random ``public_id``,
never its sequential id; the address is a page, not a key: downloading needs a fresh email
sign-in."""

from django.urls import path

from . import portal_views as views

urlpatterns = [
    path("your-data/package.css", views.package_stylesheet, name="package_stylesheet"),
    path("your-data/<str:public_id>/", views.package_delivery, name="package_delivery"),
    path(
        "your-data/<str:public_id>/sign-in/",
        views.package_sign_in,
        name="package_sign_in",
    ),
    path(
        "your-data/<str:public_id>/download/",
        views.package_download,
        name="package_download",
    ),
    path("your-data/<str:public_id>/page/", views.package_page, name="package_page"),
]
