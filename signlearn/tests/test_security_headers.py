"""Every page carries CSP (scripts only from our own files), nosniff and a Referrer-Policy, and no
template or page needs an inline script; our own pages need no inline style either."""

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from conftest import REPO_DIR
from lessons.models import Lesson, Sign
from progress.demo import demo_attempt_record

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
# The admin (its widgets and the registry's previews) and Swagger UI use inline styles, never scripts.
INLINE_STYLE_ALLOWED = ("/admin/", "/api/docs/")
EMAIL_TEMPLATES = "templates/progress/email/"  # read in a mail client, not served with our headers


def template_files() -> list[Path]:
    roots = [REPO_DIR / "templates", *REPO_DIR.glob("*/templates")]
    return sorted(path for root in roots for path in root.rglob("*.html"))


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(REPO_DIR)))
def test_no_template_holds_an_inline_script_or_event_handler(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), "move the script to a file under static/js/"
    assert not EVENT_HANDLER.search(text), "attach the handler from a static script"
    assert not JAVASCRIPT_URL.search(text)
    relative = str(path.relative_to(REPO_DIR))
    if not relative.startswith(EMAIL_TEMPLATES) and "/admin/" not in relative:
        assert not INLINE_STYLE.search(text), "style-src is 'self': use a class in static/css/"


def test_the_checks_catch_what_they_look_for():
    assert INLINE_SCRIPT.search("<p><script>alert(1)</script>") and INLINE_SCRIPT.search("<SCRIPT defer>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/a.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script id="x" type="application/json">{}</script>')
    assert EVENT_HANDLER.search('<img src="x" onerror="go()">') and EVENT_HANDLER.search("<body\nonload=f()>")
    assert not EVENT_HANDLER.search('<button data-action="record">') and not EVENT_HANDLER.search(
        "<p>on=1</p>"
    )
    assert JAVASCRIPT_URL.search('<a href="javascript:go()">')
    assert INLINE_STYLE.search('<span style="width: 5%">') and not INLINE_STYLE.search('<span class="s">')


def plain_paths(patterns=None, prefix: str = "") -> list[str]:
    """Every URL of the site that takes no parameter, read from the URL conf (so none is forgotten)."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if "<" not in route and "(" not in route:
                found += plain_paths(entry.url_patterns, prefix + route.lstrip("^"))
        elif isinstance(entry, URLPattern) and "<" not in route and "(" not in route:
            path = "/" + prefix + route.lstrip("^").rstrip("$")
            found.append(path.replace("\\", ""))
    return sorted(set(found))


@pytest.fixture
def site(curriculum, hamlet, iago):
    lesson = Lesson.objects.order_by("order").first()
    sign = Sign.objects.get(name="cloud")
    attempt = demo_attempt_record(learner=hamlet, sign=sign, rank=2, at=timezone.now())
    return {
        "parameterised": [
            f"/learn/lessons/{lesson.slug}/",
            f"/signs/{sign.name}/",
            f"/practice/attempts/{attempt.pk}/",
            f"/dashboard/{hamlet.pk}/",
            f"/accounts/profiles/{hamlet.pk}/edit/",
            f"/data/profiles/{hamlet.pk}/delete/",
            "/api/docs/?script=",
            "/api/no-such-endpoint/",
            "/no/such/page/",
        ],
        "hamlet": hamlet,
        "iago": iago,
    }


def check_headers(path: str, response) -> None:
    csp = response.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives.get("default-src") == "'self'", (path, csp)
    assert directives.get("script-src") == "'self' 'wasm-unsafe-eval'", (path, csp)  # never unsafe-inline
    assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'"
    if not path.startswith(INLINE_STYLE_ALLOWED):
        assert directives.get("style-src") == "'self'", (path, csp)
    assert response.get("X-Content-Type-Options") == "nosniff", path
    assert response.get("Referrer-Policy") == "same-origin", path
    if response.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html) and not EVENT_HANDLER.search(html), path
        if not path.startswith(INLINE_STYLE_ALLOWED):
            assert not INLINE_STYLE.search(html), (path, INLINE_STYLE.search(html))


def test_every_page_sends_the_security_headers(client, site):
    paths = plain_paths() + site["parameterised"]
    assert {"/", "/learn/", "/dashboard/", "/accounts/login/", "/api/docs/", "/admin/"} <= set(paths)
    seen = 0
    for who in (None, site["hamlet"].user, site["iago"].user):
        client.logout()
        if who is not None:
            client.force_login(who)
        for path in paths:
            response = client.get(path)
            assert response.status_code < 500, (path, who, response.status_code)
            check_headers(path, response)
            seen += 1
    assert seen == 3 * len(paths)


def test_refusals_answered_before_the_views_carry_the_headers_too(client):
    response = client.post("/accounts/login/", b"x", content_type="text/plain", CONTENT_LENGTH=str(64 << 20))
    assert response.status_code == 413
    check_headers("/accounts/login/", response)
