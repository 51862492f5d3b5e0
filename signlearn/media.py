"""Serving stored media to people allowed to see it, with HTTP range support.

Browsers fetch video with `Range: bytes=...` to seek; Django's FileResponse always sends the whole
file, so a parent could not scrub back through a tutorial. One byte range is enough for <video>.
"""

import re

from django.core.files import File
from django.http import FileResponse, HttpRequest, HttpResponse

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def media_response(
    request: HttpRequest, file: File, content_type: str, *, cache: str = "private, max-age=3600"
) -> HttpResponse:
    """The whole file (200) or the one byte range asked for (206); 416 for a range past the end."""
    size = file.size
    match = RANGE.match(request.headers.get("Range", "").strip())
    if not match or match.groups() == ("", ""):
        response = FileResponse(file.open("rb"), content_type=content_type)
    else:
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:  # "bytes=-N": the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        with file.open("rb") as handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        response = HttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache
    return response
