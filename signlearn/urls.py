from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("", include("practice.urls")),
    path("", include("progress.urls")),
    path("", include("lessons.urls")),
]
