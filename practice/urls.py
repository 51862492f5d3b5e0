from django.urls import path

from . import views, views_ondevice

urlpatterns = [
    path("practice/signs/<str:name>/attempts/", views.attempt_submit, name="attempt-submit"),
    path("practice/phrases/<slug:slug>/attempts/", views.phrase_attempt_submit, name="phrase-attempt-submit"),
    path(
        "practice/signs/<str:name>/landmark-attempts/",
        views_ondevice.attempt_submit_landmarks,
        name="attempt-submit-landmarks",
    ),
    path("practice/attempts/<int:pk>/", views.attempt_detail, name="attempt-detail"),
    path("practice/attempts/<int:pk>/status/", views.attempt_status, name="attempt-status"),
    path("practice/attempts/<int:pk>/media/<str:kind>/", views.attempt_media, name="attempt-media"),
]
