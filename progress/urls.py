from django.urls import path

from . import views

urlpatterns = [
    path("learn/", views.course_map_view, name="course-map"),
    path("learn/lessons/<slug:slug>/", views.lesson_detail, name="lesson-detail"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<int:learner_id>/", views.dashboard, name="learner-dashboard"),
    path(
        "dashboard/attempts/<int:attempt_id>/thumbnail.png", views.attempt_thumbnail, name="attempt-thumbnail"
    ),
    path("family/", views.family, name="family"),
    path("review/", views.review, name="review-queue"),
    path("review/session/", views.session, name="review-session"),
    path("review/session/start/", views.session_start, name="review-session-start"),
    path("data/profiles/<int:learner_id>/export.csv", views.export_csv, name="learner-export"),
]
