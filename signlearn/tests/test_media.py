"""Stored media: the type comes from the bytes (never the name), unknown content is only downloaded,
every response says nosniff, and one byte range works so a parent can seek in a tutorial or replay."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory

from core.media import MATROSKA, MP4, PNG, QUICKTIME, UNKNOWN, WEBM, media_response, media_type_of
from core.testing.clips import tiny_clip

HTML = b"<!doctype html><script>alert(document.domain)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2mp41", MP4),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", MP4),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", QUICKTIME),
        (b"\x00\x00\x00\x08wide\x00\x00\x02\xabmdat", QUICKTIME),  # QuickTime before `ftyp` existed
        (b"\x1a\x45\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webm", WEBM),
        (
            b"\x1a\x45\xdf\xa3\xa3B\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x88matroska",
            MATROSKA,
        ),
        (b"\x1a\x45\xdf\xa3\x80", UNKNOWN),  # EBML, but no DocType we serve
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", PNG),
        (HTML, UNKNOWN),
        (SVG, UNKNOWN),
        (b"GIF89a", UNKNOWN),
        (b"", UNKNOWN),
    ],
)
def test_the_first_bytes_decide_the_type(head, expected):
    assert media_type_of(head) == expected


@pytest.mark.parametrize(
    ("container", "expected"), [("mp4", MP4), ("mov", QUICKTIME), ("webm", WEBM), ("matroska", MATROSKA)]
)
def test_real_clips_are_recognised(container, expected):
    assert media_type_of(tiny_clip(container)[:64]) == expected


def stored(body: bytes, name: str):
    name = default_storage.save(f"tests/{name}", ContentFile(body))
    return default_storage.open(name)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def video_file():
    file = stored(BODY, "media-range.mp4")
    yield file
    default_storage.delete(file.name)


BODY = (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 4)[:1024]


@pytest.mark.parametrize(
    ("header", "status", "content", "content_range"),
    [
        (None, 200, BODY, None),
        ("bytes=0-99", 206, BODY[:100], "bytes 0-99/1024"),
        ("bytes=1000-", 206, BODY[1000:], "bytes 1000-1023/1024"),
        ("bytes=-24", 206, BODY[-24:], "bytes 1000-1023/1024"),
        ("bytes=1000-5000", 206, BODY[1000:], "bytes 1000-1023/1024"),
        ("bytes=2000-", 416, b"", "bytes */1024"),
        ("bytes=50-10", 416, b"", "bytes */1024"),
        ("items=0-10", 200, BODY, None),
    ],
)
def test_media_honours_one_byte_range(video_file, header, status, content, content_range):
    headers = {"HTTP_RANGE": header} if header else {}
    response = media_response(RequestFactory().get("/", **headers), video_file)
    assert (response.status_code, body_of(response)) == (status, content)
    assert response.get("Content-Range") == content_range
    assert response["X-Content-Type-Options"] == "nosniff"
    if status != 416:
        assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/mp4"
        assert response["Content-Disposition"].startswith("inline;")


@pytest.mark.parametrize("name", ["old.html", "old.svg", "old.js", "old.xhtml", "old.mp4"])
@pytest.mark.parametrize("header", [None, "bytes=0-9"])
def test_a_file_under_a_client_chosen_name_is_served_by_its_content(name, header):
    """Files stored before names were generated keep the client's suffix: it must not matter."""
    headers = {"HTTP_RANGE": header} if header else {}
    video = stored(tiny_clip("mp4") + HTML, name)
    page = stored(HTML, name)
    as_video = media_response(RequestFactory().get("/", **headers), video)
    as_page = media_response(RequestFactory().get("/", **headers), page)

    assert as_video["Content-Type"] == "video/mp4"
    assert as_video["Content-Disposition"].startswith("inline;") and ".mp4" in as_video["Content-Disposition"]
    assert as_page["Content-Type"] == "application/octet-stream"
    assert (
        as_page["Content-Disposition"].startswith("attachment;") and ".bin" in as_page["Content-Disposition"]
    )
    for response in (as_video, as_page):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response.status_code == (206 if header else 200)
        body_of(response)
    default_storage.delete(video.name)
    default_storage.delete(page.name)
