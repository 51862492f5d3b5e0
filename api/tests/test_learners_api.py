"""Learner profiles over the API: list, create, update, switch."""

import pytest

from accounts.models import Learner

pytestmark = pytest.mark.django_db


def test_list_shows_only_the_accounts_own_profiles(hamlet_api, hamlet, ophelia):
    body = hamlet_api.get("/api/v1/learners/").json()
    assert body["count"] == 1
    [profile] = body["results"]
    assert profile == {
        "id": hamlet.pk,
        "display_name": "Hamlet",
        "time_zone": "UTC",
        "daily_xp_goal": 50,
        "training_consent": False,
        "is_selected": True,
        "created_at": profile["created_at"],
    }


def test_create_a_profile_and_switch_to_it(hamlet_api, hamlet):
    response = hamlet_api.post(
        "/api/v1/learners/",
        {"display_name": " Young Hamlet ", "time_zone": "Europe/Copenhagen", "daily_xp_goal": 30},
        format="json",
    )
    assert response.status_code == 201
    child = response.json()
    assert child["display_name"] == "Young Hamlet"  # trimmed
    assert (child["time_zone"], child["daily_xp_goal"], child["training_consent"]) == (
        "Europe/Copenhagen",
        30,
        False,
    )
    assert child["is_selected"] is False  # creating does not switch unless asked
    assert Learner.objects.get(is_selected=True, user=hamlet.user) == hamlet

    switched = hamlet_api.post(f"/api/v1/learners/{child['id']}/select/")
    assert switched.status_code == 200 and switched.json()["is_selected"] is True
    assert Learner.objects.get(is_selected=True, user=hamlet.user).pk == child["id"]
    assert hamlet_api.get("/api/v1/course/").status_code in (200, 404)  # now acts for the child


def test_create_with_select(hamlet_api, hamlet):
    child = hamlet_api.post(
        "/api/v1/learners/", {"display_name": "Kid", "select": True}, format="json"
    ).json()
    assert child["is_selected"] is True
    hamlet.refresh_from_db()
    assert hamlet.is_selected is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"display_name": "Hamlet"}, "display_name"),  # duplicate name on the account
        ({"display_name": "   "}, "display_name"),
        ({}, "display_name"),
        ({"display_name": "x" * 61}, "display_name"),
        ({"display_name": "Kid", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"display_name": "Kid", "daily_xp_goal": 5}, "daily_xp_goal"),
        ({"display_name": "Kid", "daily_xp_goal": 501}, "daily_xp_goal"),
        ({"display_name": "Kid\x00"}, "display_name"),
    ],
)
def test_create_rejects_bad_input_by_field(hamlet_api, hamlet, payload, field):
    response = hamlet_api.post("/api/v1/learners/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"]
    assert Learner.objects.filter(user=hamlet.user).count() == 1


def test_patch_updates_goal_and_consent_only(hamlet_api, hamlet):
    response = hamlet_api.patch(
        f"/api/v1/learners/{hamlet.pk}/", {"daily_xp_goal": 100, "training_consent": True}, format="json"
    )
    assert response.status_code == 200
    hamlet.refresh_from_db()
    assert (hamlet.display_name, hamlet.time_zone, hamlet.daily_xp_goal, hamlet.training_consent) == (
        "Hamlet",
        "UTC",
        100,
        True,
    )
    assert (
        hamlet_api.patch(f"/api/v1/learners/{hamlet.pk}/", {"daily_xp_goal": 0}, format="json").status_code
        == 400
    )
    assert (
        hamlet_api.put(f"/api/v1/learners/{hamlet.pk}/", {"display_name": "H"}, format="json").status_code
        == 405
    )


def test_renaming_onto_another_profile_name_is_refused(hamlet_api, hamlet):
    hamlet_api.post("/api/v1/learners/", {"display_name": "Kid"}, format="json")
    response = hamlet_api.patch(f"/api/v1/learners/{hamlet.pk}/", {"display_name": "Kid"}, format="json")
    assert response.status_code == 400 and "display_name" in response.json()["errors"]
    renamed = hamlet_api.patch(f"/api/v1/learners/{hamlet.pk}/", {"display_name": "Prince"}, format="json")
    assert renamed.json()["display_name"] == "Prince"
