"""The error format, token login and the write throttle."""

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "detail"}


def test_token_login_gives_a_token_that_authenticates(anon_api, hamlet):
    response = anon_api.post(
        "/api/v1/auth/token/", {"username": "hamlet", "password": "correct horse battery"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert anon_api.get("/api/v1/learners/").status_code == 401
    anon_api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anon_api.get("/api/v1/learners/").json()["results"][0]["display_name"] == "Hamlet"


def test_wrong_password_is_an_invalid_error_with_field_detail(anon_api, hamlet):
    response = anon_api.post("/api/v1/auth/token/", {"username": "hamlet", "password": "nope"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "Unable to log in with provided credentials."
    assert "non_field_errors" in body["errors"]


def test_missing_field_names_the_field(anon_api):
    body = anon_api.post("/api/v1/auth/token/", {"username": "hamlet"}, format="json").json()
    assert body["code"] == "invalid"
    assert body["detail"] == "password: This field is required."
    assert body["errors"] == {"password": ["This field is required."]}


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("get", "/api/v1/learners/", 401, "not_authenticated"),
        ("get", "/api/v1/course/", 401, "not_authenticated"),
        ("get", "/api/v1/signs/nosuchsign/", 404, "not_found"),
        ("delete", "/api/v1/signs/", 405, "method_not_allowed"),
    ],
)
def test_errors_have_a_stable_code_and_a_detail(anon_api, method, url, status, code):
    response = getattr(anon_api, method)(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    assert body["detail"]


def test_a_bad_token_is_refused_even_where_reading_is_public(anon_api, curriculum):
    assert anon_api.get("/api/v1/signs/hello/").status_code == 200
    anon_api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = anon_api.get("/api/v1/signs/hello/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_malformed_json_is_a_parse_error(hamlet_api):
    response = hamlet_api.post("/api/v1/learners/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unsupported_media_type(hamlet_api):
    response = hamlet_api.post("/api/v1/learners/", "display_name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


class Boom(APIView):
    permission_classes = []

    def get(self, request):
        raise RuntimeError("a bug")


class Fine(APIView):
    permission_classes = []
    throttle_scope = "uploads"

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True}, status=201)


urlpatterns = [path("boom/", Boom.as_view()), path("fine/", Fine.as_view())]


@pytest.mark.urls(__name__)
def test_an_unexpected_error_is_a_json_500_and_is_logged(anon_api, caplog):
    response = anon_api.get("/boom/")
    assert response.status_code == 500
    assert response.json() == {
        "code": "internal_error",
        "detail": "Something went wrong on our side. Please try again.",
    }
    assert any("unhandled error in Boom" in record.getMessage() for record in caplog.records)


@pytest.mark.urls(__name__)
def test_uploads_are_throttled_per_user_but_reads_never(anon_api, hamlet_api, ophelia_api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"uploads": "3/min"}}
    assert [hamlet_api.post("/fine/").status_code for _ in range(4)] == [201, 201, 201, 429]
    throttled = hamlet_api.post("/fine/")
    assert throttled.json()["code"] == "throttled"
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert [hamlet_api.get("/fine/").status_code for _ in range(10)] == [200] * 10  # polling is free
    assert ophelia_api.post("/fine/").status_code == 201  # counted per user


def test_token_logins_are_throttled(anon_api, hamlet, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "2/min"}}
    statuses = [
        anon_api.post("/api/v1/auth/token/", {"username": "hamlet", "password": "guess"}).status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/api/v1/attempts/-4/", "No API endpoint at this address."),
        ("/api/v2/signs/", "No API endpoint at this address."),
        ("/api/v2/signs", "No API endpoint at this address."),
        ("/api/v1/signs", "No API endpoint at this address; did you mean /api/v1/signs/ (with the slash)?"),
    ],
)
def test_unknown_api_paths_are_json_404s(anon_api, url, detail):
    response = anon_api.get(url)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": detail}


def test_nul_bytes_are_refused_not_a_database_error(anon_api, hamlet_api, curriculum):
    """PostgreSQL refuses NUL in text: each place a client string reaches a query answers 4xx."""
    assert anon_api.get("/api/v1/signs/hel%00lo/").json()["code"] == "not_found"
    assert anon_api.get("/api/v1/signs/", {"q": "a\x00"}).json()["code"] == "invalid"
    response = hamlet_api.post(
        "/api/v1/attempts/", {"sign": "hel\x00lo", "landmarks": [[[0.5] * 3] * 543]}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "unknown_sign")
    response = hamlet_api.post("/api/v1/learners/", {"display_name": "a\x00"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
