"""Request size and malformed requests: refused from the headers before the body is read, 400/413 with
a stable code (JSON for programs, a page for people), never a 500."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from conftest import REPO_DIR
from core.limits import MULTIPART_ALLOWANCE, body_refusal

MB = 1024 * 1024
WEB_UPLOAD = "/practice/signs/rain/attempts/"
API_UPLOAD = "/api/v1/attempts/"


@pytest.mark.parametrize(
    ("method", "path", "meta", "expected"),
    [
        ("POST", WEB_UPLOAD, {"CONTENT_LENGTH": str(200 * MB)}, (413, "too_large")),
        ("POST", API_UPLOAD, {"CONTENT_LENGTH": str(51 * MB + 1)}, (413, "too_large")),
        ("POST", API_UPLOAD, {"CONTENT_LENGTH": str(50 * MB)}, None),
        ("POST", "/accounts/login/", {"CONTENT_LENGTH": str(6 * MB)}, (413, "too_large")),
        ("POST", "/accounts/login/", {"CONTENT_LENGTH": "900"}, None),
        ("POST", "/no/such/page/", {"CONTENT_LENGTH": str(6 * MB)}, (413, "too_large")),
        ("POST", "/admin/registry/modelversion/upload/", {"CONTENT_LENGTH": str(60 * MB)}, None),
        (
            "POST",
            "/admin/registry/modelversion/upload/",
            {"CONTENT_LENGTH": str(201 * MB)},
            (413, "too_large"),
        ),
        ("PUT", API_UPLOAD, {"HTTP_TRANSFER_ENCODING": "chunked"}, (411, "length_required")),
        ("POST", WEB_UPLOAD, {"HTTP_TRANSFER_ENCODING": "gzip, Chunked"}, (411, "length_required")),
        ("POST", WEB_UPLOAD, {"CONTENT_LENGTH": "-5"}, (400, "bad_request")),
        ("POST", WEB_UPLOAD, {"CONTENT_LENGTH": "lots"}, (400, "bad_request")),
        ("GET", WEB_UPLOAD, {"CONTENT_LENGTH": str(200 * MB)}, None),
        ("POST", WEB_UPLOAD, {}, None),
    ],
)
def test_body_refusal_is_decided_from_the_headers(method, path, meta, expected):
    refusal = body_refusal(method=method, meta=meta, path_info=path)
    assert (refusal and (refusal.status, refusal.code)) == expected or (refusal is None and expected is None)


def test_the_upload_limit_follows_the_clip_limit(settings):
    settings.SIGNLEARN_MAX_UPLOAD_BYTES = 10 * MB
    too_big = str(10 * MB + MULTIPART_ALLOWANCE + 1)
    assert (
        body_refusal(method="POST", meta={"CONTENT_LENGTH": too_big}, path_info=API_UPLOAD).code
        == "too_large"
    )


# --- over a real socket: the server answers before the body is sent -------------------------------


def raw_request(base_url: str, head: str, body_sent: bytes = b"x" * 1024, timeout: float = 10) -> tuple:
    """Send the request line and headers and only `body_sent` of the body; return (status, headers,
    body) of the answer. A server that waits for the rest of the body makes this time out."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body_sent)
        data = b""
        while not complete(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    header_block, _, body = data.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    # Only this answer: a server that reads on finds the unread body and may answer it as a request.
    return int(lines[0].split()[1]), headers, body[: int(headers.get("content-length", len(body)))]


def complete(data: bytes) -> bool:
    """The headers and as many body bytes as Content-Length says (without one: wait for the close)."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def post_head(path: str, *, host: str, headers: dict[str, str], length: int | None = 200 * MB) -> str:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def server(live_server, transactional_db, curriculum, hamlet):
    return live_server.url


def session_cookie(client, user) -> str:
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


MULTIPART = "multipart/form-data; boundary=----x"


@pytest.mark.parametrize(
    ("who", "path", "accept", "json_answer"),
    [
        ("logged_in", WEB_UPLOAD, "text/html", False),
        ("logged_in", WEB_UPLOAD, "application/json", True),
        ("anonymous_with_csrf_cookie", WEB_UPLOAD, "text/html", False),
        ("logged_in", API_UPLOAD, "application/json", True),  # session auth on the API
        ("token", API_UPLOAD, "*/*", True),
    ],
)
def test_a_200_mb_upload_is_refused_before_its_body_is_read(
    server, client, hamlet, who, path, accept, json_answer
):
    host = urlsplit(server).netloc
    headers = {"Content-Type": MULTIPART, "Accept": accept, "X-CSRFToken": "b" * 32}
    csrf = "csrftoken=" + "a" * 32
    if who == "logged_in":
        headers["Cookie"] = f"{csrf}; {settings.SESSION_COOKIE_NAME}={session_cookie(client, hamlet.user)}"
    elif who == "anonymous_with_csrf_cookie":
        headers["Cookie"] = csrf
    else:
        headers["Authorization"] = f"Token {Token.objects.create(user=hamlet.user).key}"

    status, response_headers, body = raw_request(server, post_head(path, host=host, headers=headers))

    assert status == 413
    if json_answer:
        answer = json.loads(body)
        assert answer["code"] == "too_large" and "50 MB" in answer["detail"]
    else:
        assert response_headers["content-type"].startswith("text/html")
        assert b"too large" in body and b"50 MB" in body


def test_a_chunked_upload_without_length_is_refused_unread(server, client, hamlet):
    headers = {
        "Content-Type": MULTIPART,
        "Transfer-Encoding": "chunked",
        "Accept": "application/json",
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_cookie(client, hamlet.user)}",
    }
    head = post_head(API_UPLOAD, host=urlsplit(server).netloc, headers=headers, length=None)
    status, _, body = raw_request(server, head, body_sent=b"400\r\n" + b"x" * 1024)
    assert (status, json.loads(body)["code"]) == (411, "length_required")


# --- what Django refuses while reading: 400/413 with a code, JSON for programs --------------------


@pytest.fixture
def api(hamlet):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hamlet.user).key}")
    return client


def too_many_fields():
    return {"sign": "rain", **{f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}}


def too_many_files():
    files = {
        f"file{i}": SimpleUploadedFile(f"{i}.bin", b"x")
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    }
    return {"sign": "rain", **files}


def big_field():
    return {"sign": "rain", "landmarks": "[" + "0," * (3 * MB) + "0]"}  # 6 MB of form field


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (too_many_fields, 400, "too_many_fields"),
        (too_many_files, 400, "too_many_files"),
        (big_field, 413, "too_large"),
    ],
)
def test_api_answers_what_django_refuses_to_read_with_a_code(api, curriculum, payload, status, code):
    response = api.post(API_UPLOAD, payload(), format="multipart")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["detail"]


def test_json_nested_a_thousand_deep_is_a_parse_error(api, curriculum):
    body = '{"sign": "rain", "landmarks": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api.post(API_UPLOAD, body, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")
    field = api.post(API_UPLOAD, {"sign": "rain", "landmarks": "[" * 100_000}, format="multipart")
    assert (field.status_code, field.json()["code"]) == (400, "invalid_landmarks")


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (too_many_fields, 400, "too_many_fields"),
        (too_many_files, 400, "too_many_files"),
        (big_field, 413, "too_large"),
    ],
)
@pytest.mark.parametrize("logged_in", [True, False])
def test_the_web_form_answers_json_clients_in_json_and_people_with_a_page(
    hamlet, curriculum, payload, status, code, logged_in
):
    client = Client(enforce_csrf_checks=True)  # the CSRF middleware reads the form before login_required
    client.cookies["csrftoken"] = "a" * 32
    if logged_in:
        client.force_login(hamlet.user)
    url = reverse("attempt-submit", args=["rain"])
    as_json = client.post(url, payload(), headers={"accept": "application/json"})
    assert (as_json.status_code, as_json.json()["code"]) == (status, code)
    as_page = client.post(url, payload())
    assert as_page.status_code == status and as_page["Content-Type"].startswith("text/html")
    assert "Go back and try again" in as_page.content.decode()


def test_a_csrf_failure_answers_json_clients_in_json(hamlet, curriculum):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hamlet.user)
    url = reverse("attempt-submit", args=["rain"])
    as_json = client.post(url, {"video": ""}, headers={"accept": "application/json"})
    assert (as_json.status_code, as_json.json()["code"]) == (403, "csrf_failed")
    assert client.post(url, {"video": ""})["Content-Type"].startswith("text/html")


@pytest.fixture
def gunicorn(tmp_path):
    """The production web server as the container runs it (gunicorn.conf.py), on a free port, with a
    TMPDIR of its own so any spooled body would show."""
    spool = tmp_path / "tmpdir"
    spool.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")},
        "DJANGO_SETTINGS_MODULE": "signlearn.settings.base",
        "DEBUG": "false",
        "SIGNLEARN_VAR_DIR": str(tmp_path / "var"),
        "TMPDIR": str(spool),
    }
    log_path = tmp_path / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "signlearn.wsgi:application",
        "-c",
        "gunicorn.conf.py",
    ]
    command += ["--bind", "127.0.0.1:0", "--workers", "2"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Listening at: (http://\S+)", log_path.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield found[1], spool
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_refuses_a_200_mb_upload_unread_and_spools_nothing(gunicorn):
    url, spool = gunicorn
    headers = {"Content-Type": MULTIPART, "Accept": "text/html", "Cookie": "csrftoken=" + "a" * 32}
    head = post_head(WEB_UPLOAD, host=urlsplit(url).netloc, headers=headers)
    status, _, body = raw_request(url, head, body_sent=b"x" * (256 * 1024))
    assert status == 413 and b"50 MB" in body
    status, _, body = raw_request(url, "GET /healthz HTTP/1.1\nHost: 127.0.0.1\n", body_sent=b"")
    assert status == 200  # the server is fine and reads the next client
    assert list(spool.iterdir()) == []


def test_the_api_schema_documents_413_for_writes(client):
    schema = client.get("/api/schema/", headers={"accept": "application/json"}).json()
    upload = schema["paths"]["/api/v1/attempts/"]["post"]["responses"]["413"]
    assert upload["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "413" not in schema["paths"]["/api/v1/attempts/"]["get"]["responses"]
