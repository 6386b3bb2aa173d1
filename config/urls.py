from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import TokenView
from servicelist.api import PublicCheckView
from web.views import health

api_v1 = [
    path("auth/token", TokenView.as_view(), name="api-token"),
    # The public contract: anonymous entitlement self-check.
    path("public/entitlements/check", PublicCheckView.as_view(), name="servicelist_api_public_check"),
    path("registry/", include("registry.api_urls")),
    path("care/", include("care.api_urls")),
    path("services/", include("servicelist.api_urls")),
    path("exchange/", include("exchange.api_urls")),
    path("schools/", include("schools.api_urls")),
    path("stats/", include("stats.api_urls")),
]

urlpatterns = [
    path("", include("web.urls")),
    path("accounts/", include("accounts.urls")),
    path("children/", include("registry.urls")),
    path("ledger/", include("ledger.urls")),
    path("care/", include("care.urls")),
    path("services/", include("servicelist.urls")),
    path("exchange/", include("exchange.urls")),
    path("schools/", include("schools.urls")),
    path("network/", include("network.urls")),
    path("stats/", include("stats.urls")),
    path("audit/", include("audit.urls")),
    path("places/", include("places.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
]
