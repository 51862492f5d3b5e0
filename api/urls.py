"""The public API. Each app keeps its endpoints in `<app>/api.py`; the v1 routes are listed here."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from lessons import api as lessons_api
from practice import api as practice_api
from progress import api as progress_api

from .views import TokenView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    # curriculum
    path("v1/signs/", lessons_api.SignListView.as_view(), name="api-sign-list"),
    path("v1/signs/<str:name>/", lessons_api.SignDetailView.as_view(), name="api-sign-detail"),
    path("v1/tutorials/<int:pk>/video/", lessons_api.TutorialVideoView.as_view(), name="api-tutorial-video"),
    path("v1/course/", progress_api.CourseView.as_view(), name="api-course"),
    path("v1/phrases/", lessons_api.PhraseListView.as_view(), name="api-phrase-list"),
    path("v1/phrases/<int:pk>/", lessons_api.PhraseDetailView.as_view(), name="api-phrase-detail"),
    path("v1/lessons/<slug:slug>/", progress_api.LessonDetailView.as_view(), name="api-lesson-detail"),
    # learner profiles
    path("v1/learners/", accounts_api.LearnerListView.as_view(), name="api-learner-list"),
    path("v1/learners/<int:pk>/", accounts_api.LearnerDetailView.as_view(), name="api-learner-detail"),
    path("v1/learners/<int:pk>/select/", accounts_api.LearnerSelectView.as_view(), name="api-learner-select"),
    # progress
    path("v1/progress/", progress_api.ProgressView.as_view(), name="api-progress"),
    path("v1/review/", progress_api.ReviewQueueView.as_view(), name="api-review-queue"),
    path("v1/family/", progress_api.FamilyView.as_view(), name="api-family"),
    # practice attempts
    path("v1/attempts/", practice_api.AttemptListCreateView.as_view(), name="api-attempt-list"),
    path("v1/attempts/<int:pk>/", practice_api.AttemptDetailView.as_view(), name="api-attempt-detail"),
]
