"""Range requests on media, so a parent can seek in a tutorial or their replay."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory

from signlearn.media import media_response

BODY = bytes(range(256)) * 4  # 1,024 distinct-enough bytes


@pytest.fixture
def stored_file(tmp_path):
    name = default_storage.save("tests/media-range.bin", ContentFile(BODY))
    yield default_storage.open(name)
    default_storage.delete(name)


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
def test_media_honours_one_byte_range(stored_file, header, status, content, content_range):
    headers = {"HTTP_RANGE": header} if header else {}
    response = media_response(RequestFactory().get("/", **headers), stored_file, "video/mp4")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert (response.status_code, body) == (status, content)
    assert response.get("Content-Range") == content_range
    if status != 416:
        assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/mp4"
