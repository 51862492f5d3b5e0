import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.models import Learner
from accounts.selectors import learner_active


def signup_form(**changes) -> dict:
    """The sign-up form as Polonius fills it in, with `changes`."""
    return {
        "username": "polonius",
        "email": "polonius@example.org",
        "password1": "a long family passphrase",
        "password2": "a long family passphrase",
        "display_name": "Polonius",
        "time_zone": "Europe/Berlin",
    } | changes


def test_signup_creates_account_with_selected_profile_and_logs_in(client, curriculum):
    response = client.post(reverse("signup"), signup_form())
    assert response.status_code == 302
    learner = Learner.objects.get(user__username="polonius")
    assert (learner.display_name, learner.time_zone, learner.is_selected) == (
        "Polonius",
        "Europe/Berlin",
        True,
    )
    assert learner.training_consent is False
    assert client.get(reverse("course-map")).status_code == 200


def test_signup_rejects_mismatched_passwords(client, db):
    response = client.post(reverse("signup"), signup_form(password2="different passphrase"))
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="polonius").exists()


def test_adding_a_profile_switches_to_it_and_switching_back_works(hamlet_client, hamlet):
    hamlet_client.post(
        reverse("profiles"), {"display_name": "Gertrude", "time_zone": "UTC", "daily_xp_goal": 30}
    )
    assert learner_active(user=hamlet.user).display_name == "Gertrude"
    assert hamlet.user.learners.filter(is_selected=True).count() == 1
    hamlet_client.post(reverse("profile-switch", args=[hamlet.pk]))
    assert learner_active(user=hamlet.user).pk == hamlet.pk


def test_cannot_switch_to_another_familys_profile(hamlet_client, hamlet, ophelia):
    assert hamlet_client.post(reverse("profile-switch", args=[ophelia.pk])).status_code == 404
    assert hamlet_client.get(reverse("profile-edit", args=[ophelia.pk])).status_code == 404


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/progress/", "/progress/"),
        ("http://testserver/review/", "http://testserver/review/"),  # this site, absolute
        ("", "/learn/"),
        ("//evil.example/", "/learn/"),
        ("/\\evil.example/", "/learn/"),  # browsers read a backslash as a slash
        ("https://evil.example/", "/learn/"),
        ("javascript:alert(1)", "/learn/"),
    ],
)
def test_switching_profile_returns_only_to_this_site(hamlet_client, hamlet, next_url, lands_on):
    response = hamlet_client.post(reverse("profile-switch", args=[hamlet.pk]), {"next": next_url})
    assert response.status_code == 302
    assert response.url == lands_on.replace("/learn/", reverse("course-map"))


def test_duplicate_profile_name_is_refused(hamlet_client, hamlet):
    response = hamlet_client.post(
        reverse("profiles"), {"display_name": "Hamlet", "time_zone": "UTC", "daily_xp_goal": 50}
    )
    assert response.status_code == 200 and "already have a profile" in response.content.decode()


def test_password_reset_sends_an_email(client, hamlet):
    client.post(reverse("password_reset"), {"email": "hamlet@example.org"})
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body


def test_logout_is_a_post(hamlet_client):
    assert hamlet_client.post(reverse("logout")).status_code == 302
    assert hamlet_client.get(reverse("course-map")).status_code == 302


@pytest.mark.parametrize("goal", [-5, 0, 9, 501])
def test_an_out_of_range_daily_goal_gets_one_clear_message(hamlet_client, hamlet, goal):
    response = hamlet_client.post(
        reverse("profile-edit", args=[hamlet.pk]),
        {"display_name": "Hamlet", "time_zone": "UTC", "daily_xp_goal": goal},
    )
    assert "Choose a goal between 10 and 500 XP a day." in response.content.decode()
    hamlet.refresh_from_db()
    assert hamlet.daily_xp_goal == 50
