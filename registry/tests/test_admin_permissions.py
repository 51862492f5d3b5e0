"""Every registry screen and action needs the model permission of what it does (issue 14, items 2 and
15): staff status alone opens the admin, but cannot roll back the grading model, start training or label
families' attempts."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from conftest import make_learner
from core.testing.clips import PNG_1PX
from registry.models import ModelVersion

pytestmark = pytest.mark.usefixtures("curriculum")

# (screen, method, url name, url args, the permission(s) it needs)
SCREENS = [
    ("upload", "get", "admin:registry_modelversion_upload", [], ["add_modelversion"]),
    ("activate", "get", "admin:registry_modelversion_activate", [], ["add_activeconfiguration"]),
    ("monitoring", "get", "admin:practice_monitoring", [], ["view_modelversion"]),
    ("plot", "get", "admin:registry_modelversion_plot", [999, "curves.png"], ["view_modelversion"]),
    ("rollback", "post", "admin:registry_rollback", [], ["add_activeconfiguration"]),
    ("build evaluation set", "post", "admin:registry_evaluationset_build", [], ["add_evaluationset"]),
    ("start training", "get", "admin:registry_trainingrun_start", [], ["add_trainingrun"]),
    ("start training", "post", "admin:registry_trainingrun_start", [], ["add_trainingrun"]),
    ("review", "get", "admin:registry_attempt_review", [], ["add_attemptlabel", "change_attemptlabel"]),
]


def staff_with(*codenames: str):
    """A staff member (not a superuser) holding exactly these registry permissions."""
    learner = make_learner(f"staff{len(codenames)}{'-'.join(codenames)[:20]}", "Staff")
    learner.user.is_staff = True
    learner.user.save()
    learner.user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="registry", codename__in=codenames)
    )
    return learner.user


@pytest.mark.parametrize(
    ("screen", "method", "name", "args", "needs"), SCREENS, ids=[s[0] + " " + s[1] for s in SCREENS]
)
def test_staff_without_the_permission_get_403(client, screen, method, name, args, needs):
    url = reverse(name, args=args)
    unrelated = "view_trainingrun" if "view_trainingrun" not in needs else "view_evaluationset"
    client.force_login(staff_with(unrelated))
    assert getattr(client, method)(url).status_code == 403
    if len(needs) > 1:  # every permission it needs, not any one of them
        client.force_login(staff_with(needs[0]))
        assert getattr(client, method)(url).status_code == 403


@pytest.mark.parametrize(
    ("screen", "method", "name", "args", "needs"),
    [s for s in SCREENS if s[0] != "build evaluation set"],  # building one extracts every tutorial
    ids=[s[0] + " " + s[1] for s in SCREENS if s[0] != "build evaluation set"],
)
def test_staff_with_the_permission_get_through(client, screen, method, name, args, needs):
    client.force_login(staff_with(*needs))
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code in (200, 302, 404) and response.status_code != 403
    if screen == "plot":
        assert response.status_code == 404  # past the permission, to the lookup of model 999


@pytest.mark.parametrize(
    ("changelist", "action", "can_view"),
    [
        ("admin:registry_activeconfiguration_changelist", "reactivate", "view_activeconfiguration"),
        ("admin:registry_modelversion_changelist", "evaluate_selected", "view_modelversion"),
        ("admin:registry_modelversion_changelist", "activate_selected", "view_modelversion"),
    ],
)
def test_admin_actions_need_the_permission_of_what_they_do(client, changelist, action, can_view):
    """Seeing a list is not enough to act on it: the action checks its own permission."""
    version = ModelVersion.objects.create(version="v-test", name="test", sha256="0" * 64, size_bytes=1)
    client.force_login(staff_with(can_view))
    response = client.post(reverse(changelist), {"action": action, "_selected_action": [version.pk]})
    assert response.status_code == 403


def test_a_training_plot_is_served_as_png_with_nosniff(client, settings):
    """The plots go through the one media module too (type from the bytes, not the name)."""

    from registry.models import ModelVersion

    folder = Path(settings.MEDIA_ROOT) / "models" / "plot-test"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "curves.png").write_bytes(PNG_1PX)
    version = ModelVersion.objects.create(
        version="plot-test",
        name="plot test",
        sha256="0" * 64,
        size_bytes=1,
        file="models/plot-test/model.tflite",
        card={"plots": ["curves.png"]},
    )
    client.force_login(staff_with("view_modelversion"))
    response = client.get(reverse("admin:registry_modelversion_plot", args=[version.pk, "curves.png"]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG_1PX
