from django.urls import path

from . import views

urlpatterns = [
    path("practice/signs/<str:name>/attempts/", views.attempt_submit, name="attempt-submit"),
    path("practice/phrases/<slug:slug>/attempts/", views.phrase_attempt_submit, name="phrase-attempt-submit"),
    path("practice/attempts/<int:pk>/", views.attempt_detail, name="attempt-detail"),
    path("practice/attempts/<int:pk>/status/", views.attempt_status, name="attempt-status"),
    path("practice/attempts/<int:pk>/media/<str:kind>/", views.attempt_media, name="attempt-media"),
]
