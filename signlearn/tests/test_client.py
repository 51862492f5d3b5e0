"""The command-line client: pure formatting and exit codes, then against a live server."""

import io
import json

import pytest

from signlearn import client

GRADED = {
    "id": 7,
    "sign": "hello",
    "status": "graded",
    "failure_reason": "",
    "result": {
        "passed": True,
        "rank": 2,
        "xp": 15,
        "top10": [{"sign": "bye", "score": 0.5}, {"sign": "hello", "score": 0.25}],
        "detected": {"face": 1.0, "left_hand": 0.2, "pose": 1.0, "right_hand": 0.9},
        "model_version": "seed-1",
    },
}


def with_result(**changes):
    return {**GRADED, "result": {**GRADED["result"], **changes}}


@pytest.mark.parametrize(
    ("attempt", "code"),
    [
        (GRADED, 0),
        (with_result(passed=False, rank=None, xp=2), 1),
        ({"id": 1, "sign": "hello", "status": "failed", "failure_reason": "no_hands", "result": None}, 1),
        (
            {
                "id": 1,
                "sign": "hello",
                "status": "failed",
                "failure_reason": "internal_error",
                "result": None,
            },
            2,
        ),
    ],
)
def test_exit_code_of_an_attempt(attempt, code):
    assert client.attempt_exit_code(attempt) == code


def test_result_table_marks_the_intended_sign_and_says_the_verdict():
    text = client.format_result(GRADED)
    assert text.splitlines() == [
        "rank  sign              score",
        "   1  bye               0.500 ############",
        "   2  hello             0.250 ###### <",
        'PASSED: "hello" ranked 2 of 10 (+15 XP)',
        "model: seed-1",
    ]
    not_passed = client.format_result(with_result(passed=False, rank=None, xp=2))
    assert not_passed.splitlines()[-2] == 'NOT PASSED: "hello" is not in the top 10 (+2 XP)'
    failed = {"id": 1, "sign": "hello", "status": "failed", "failure_reason": "too_short", "result": None}
    assert client.format_result(failed) == "NOT GRADED (too_short)"


def test_multipart_body_carries_fields_and_the_file(tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x01video")
    body, content_type = client.encode_multipart({"sign": "hello"}, {"video": clip})
    boundary = content_type.split("boundary=")[1]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="sign"\r\n\r\nhello\r\n' in body
    assert b'name="video"; filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n\x00\x01video\r\n' in body


def test_an_unreachable_server_is_exit_2(capsys):
    assert client.main(["health", "--url", "http://127.0.0.1:9"]) == 2
    assert "unreachable" in capsys.readouterr().err


def test_a_missing_clip_is_exit_2(tmp_path, capsys):
    assert (
        client.main(["submit", str(tmp_path / "nope.mp4"), "--sign", "hello", "--url", "http://127.0.0.1:9"])
        == 2
    )
    assert "no such file" in capsys.readouterr().err


def test_the_module_imports_without_django_settings():
    import subprocess
    import sys

    code = "import os; os.environ.pop('DJANGO_SETTINGS_MODULE', None); import signlearn.client, django.conf; "
    code += "assert not django.conf.settings.configured; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr


@pytest.fixture
def server(live_server, transactional_db, curriculum, hamlet):
    return live_server.url


def run(*argv):
    out = io.StringIO()
    code = client.main(list(argv), out=out)
    return code, out.getvalue()


def test_signs_lists_the_whole_vocabulary_across_pages(server):
    code, text = run("signs", "--url", server)
    assert code == 0
    assert text.splitlines()[-1] == "250 sign(s)"
    code, text = run("signs", "--url", server, "--query", "hello", "--json")
    assert code == 0
    assert [sign["name"] for sign in json.loads(text)] == ["hello"]


def test_login_with_username_and_password_then_progress_needs_it(server, capsys, monkeypatch):
    monkeypatch.delenv("SIGNLEARN_TOKEN", raising=False)
    code, _ = run("progress", "--url", server)
    assert code == 2
    err = capsys.readouterr().err
    assert "HTTP 401 not_authenticated" in err and "hint:" in err
    code, _ = run("progress", "--url", server, "--username", "hamlet", "--password", "wrong")
    assert code == 2
    assert "HTTP 400 invalid: Unable to log in" in capsys.readouterr().err


def test_health_against_the_live_server(server):
    code, text = run("health", "--url", server, "--json")
    body = json.loads(text)
    assert set(body["checks"]) == {"database", "broker", "model"}
    assert code == (0 if body["status"] == "ready" else 1)
    assert body["checks"]["database"]["ok"] is True


def test_progress_with_a_token_from_the_environment(server, hamlet, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from lessons.models import Sign
    from progress.demo import demo_attempt_record as attempt_graded

    attempt_graded(
        learner=hamlet, sign=Sign.objects.get(name="hello"), rank=2, at=timezone.now() - timedelta(seconds=1)
    )
    monkeypatch.setenv("SIGNLEARN_TOKEN", Token.objects.create(user=hamlet.user).key)
    code, text = run("progress", "--url", server)
    assert code == 0
    lines = text.splitlines()
    assert lines[1] == "level   1: 15 XP, 85 XP to level 2"
    assert lines[2] == "streak  1 day(s), longest 1, 0 freeze(s)"
    assert lines[3] == "goal    15/50 XP today (30 %)"
    assert lines[4] == "signs   0 mastered, 1 learning, 249 new, 0 due for review"
    assert lines[5] == "tries   1 attempt(s), 1 passed (100 %)"
    code, text = run(
        "progress", "--url", server, "--username", "hamlet", "--password", "correct horse battery", "--json"
    )
    assert code == 0 and json.loads(text)["level"]["xp_total"] == 15


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_indicator_spins_on_a_terminal_and_logs_changes_elsewhere():
    polls = [("queued", 0.2), ("processing", 0.9), ("processing", 1.6), ("graded", 2.3)]
    terminal = FakeTerminal()
    spinner = client.PollProgress(stream=terminal)
    for status, elapsed in polls:
        spinner({"id": 5, "status": status}, elapsed)
    assert terminal.getvalue() == (
        "\r/ attempt 5: queued       0.2 s"
        "\r- attempt 5: processing   0.9 s"
        "\r\\ attempt 5: processing   1.6 s"
        "\r  attempt 5: graded       2.3 s\n"
    )
    log = io.StringIO()
    lines = client.PollProgress(stream=log)
    for status, elapsed in polls:
        lines({"id": 5, "status": status}, elapsed)
    assert log.getvalue().splitlines() == [
        "attempt 5: queued after 0.2 s",
        "attempt 5: processing after 0.9 s",
        "attempt 5: graded after 2.3 s",
    ]
