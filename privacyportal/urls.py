from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from optout.signal_views import gpc_json, gpc_script
from tenants.portal import favicon

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("favicon.ico", favicon),
    path(".well-known/gpc.json", gpc_json),
    # The embeddable script's stable address, which businesses paste into their sites.
    path("gpc.js", gpc_script, name="gpc_script"),
    path("admin/", admin.site.urls),
    path("api/", include("privacyportal.api_urls")),
    # Consumer portal pages of each business, /<slug>/...; last, so platform prefixes win.
    path("<slug:tenant_slug>/", include("privacyportal.portal_urls")),
]
