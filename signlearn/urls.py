from django.contrib import admin
from django.urls import include, path, re_path

from api.views import NotFoundView

from . import health

handler400 = "core.errors.bad_request"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("data/", include("accounts.data_urls")),
    path("api/", include("api.urls")),
    re_path(r"^api/", NotFoundView.as_view()),  # unmatched API paths answer JSON, not HTML
    path("", include("practice.urls")),
    path("", include("progress.urls")),
    path("", include("lessons.urls")),
]
