from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("learn/phrases/<slug:slug>/", views.phrase_detail, name="phrase-detail"),
    path("media/phrases/<slug:slug>/", views.phrase_video, name="phrase-video"),
    path("signs/", views.explorer, name="explorer"),
    path("signs/<int:index>/", views.sign_redirect, name="sign-by-index"),
    path("signs/<str:name>/", views.sign_detail, name="sign-detail"),
    path("media/tutorials/<int:tutorial_id>/", views.tutorial_media, name="tutorial-media"),
]
