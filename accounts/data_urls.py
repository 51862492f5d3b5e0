"""Data-rights pages, mounted at /data/ next to progress's CSV export (signlearn/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("profiles/<int:learner_id>/delete/", views.profile_delete, name="profile-delete"),
    path("account/delete/", views.account_delete_view, name="account-delete"),
]
