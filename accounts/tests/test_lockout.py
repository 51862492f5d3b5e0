"""Password guessing is stopped per account and per address, on the log-in page and the token endpoint,
with one count shared by every web process."""

import os
import subprocess
import sys
import time

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.lockout import login_lockout
from conftest import REPO_DIR

RIGHT = "correct horse battery"


def page_login(client, username: str, password: str, address: str = "203.0.113.5"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def token_login(username: str, password: str, address: str = "203.0.113.5"):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_a_hundred_wrong_passwords_then_the_right_one_does_not_log_in(client, hamlet):
    for i in range(100):
        page_login(client, "hamlet", f"guess {i}")
    response = page_login(client, "hamlet", RIGHT)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Too many wrong passwords for this account" in page and "even with the right password" in page
    # the token endpoint is the same door: locked too
    locked = token_login("hamlet", RIGHT, address="198.51.100.9")
    assert (locked.status_code, locked.json()["code"]) == (429, "login_locked")
    assert int(locked["Retry-After"]) > 800


def test_the_admin_log_in_is_the_same_door(client, iago, settings):
    for i in range(settings.SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT):
        client.post("/admin/login/", {"username": "iago", "password": f"guess {i}"}, REMOTE_ADDR="192.0.2.9")
    client.post(
        "/admin/login/?next=/admin/", {"username": "iago", "password": RIGHT}, REMOTE_ADDR="192.0.2.10"
    )
    assert "_auth_user_id" not in client.session
    assert login_lockout(username="iago", address="192.0.2.11").scope == "account"


def test_signing_up_logs_the_new_parent_in(client, curriculum):
    form = {"username": "horatio", "email": "h@example.org", "password1": RIGHT, "password2": RIGHT}
    client.post(reverse("signup"), {**form, "display_name": "Horatio", "time_zone": "UTC"})
    assert client.get(reverse("course-map")).status_code == 200  # the session's backend is a listed one


def test_the_lock_lifts_when_the_window_passes(client, hamlet, settings):
    settings.SIGNLEARN_LOGIN_WINDOW_SECONDS = 3
    started = time.monotonic()
    for i in range(settings.SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT):
        page_login(client, "hamlet", f"guess {i}")
    assert page_login(client, "hamlet", RIGHT).status_code == 429
    time.sleep(max(0.0, started + 3.5 - time.monotonic()))
    assert page_login(client, "hamlet", RIGHT).status_code == 302
    assert client.session["_auth_user_id"] == str(hamlet.user.pk)


def test_fewer_wrong_passwords_than_the_limit_still_let_the_owner_in(client, hamlet, settings):
    for i in range(settings.SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT - 1):
        page_login(client, "HAMLET ", f"guess {i}")  # the same account however it is typed
    assert page_login(client, "hamlet", RIGHT).status_code == 302


def test_one_address_guessing_many_accounts_is_locked(client, hamlet, ophelia, settings):
    settings.SIGNLEARN_LOGIN_FAILURES_PER_ADDRESS = 12
    for i in range(12):
        token_login(f"someone{i}", "guess")  # never the same account twice
    assert token_login("ophelia", RIGHT).status_code == 429
    assert "your network address" in token_login("ophelia", RIGHT).json()["detail"]
    assert token_login("ophelia", RIGHT, address="198.51.100.9").status_code == 200  # another address


def test_token_endpoint_counts_wrong_passwords_per_account(hamlet, settings):
    for i in range(settings.SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT):
        assert token_login("hamlet", f"guess {i}", address=f"192.0.2.{i}").status_code == 400
    assert token_login("hamlet", RIGHT, address="192.0.2.200").status_code == 429


def test_the_count_is_shared_with_other_processes(hamlet, settings):
    """gunicorn's workers are processes: failures counted in one lock the account in all."""
    assert "locmem" not in settings.CACHES["default"]["BACKEND"]
    code = (
        "import django; django.setup(); from accounts.lockout import login_failure_record as f\n"
        f"for _ in range({settings.SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT}): "
        "f(username='hamlet', address='192.0.2.1')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "signlearn.settings.test"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO_DIR, env=env, check=True, timeout=120)
    assert login_lockout(username="hamlet", address="192.0.2.77").scope == "account"
    assert token_login("hamlet", RIGHT, address="192.0.2.78").status_code == 429


@pytest.mark.parametrize("cache_url", ["", "redis://127.0.0.1:6379/12"])
def test_the_default_cache_is_shared_between_processes(cache_url):
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "signlearn.settings.base", "CACHE_URL": cache_url}
    backend = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
    assert backend == (
        "django.core.cache.backends.redis.RedisCache"
        if cache_url
        else "django.core.cache.backends.filebased.FileBasedCache"
    )
