"""Stored media: what a file is (by its bytes, never its name), how it is stored and how it is served.

A client names its upload; the name is not evidence. An MP4 with HTML after it, uploaded as `x.html`,
decodes as a video, so a type taken from the name would serve script on the site's origin. Here the
first bytes decide: the container's signature picks the stored extension from an allow-list and the
served type, anything else is stored as `.bin` and only ever downloaded. Every response carries
`nosniff`, so a browser never second-guesses the type either.

Browsers fetch video with `Range: bytes=...` to seek; Django's FileResponse always sends the whole
file, so a parent could not scrub back through a tutorial. One byte range is enough for <video>.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.files import File
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024
SNIFF_BYTES = 64  # enough for every signature below (the EBML DocType sits in the first ~40 bytes)


@dataclass(frozen=True)
class MediaType:
    content_type: str
    extension: str
    inline: bool = True  # False: served only as a download


MP4 = MediaType("video/mp4", ".mp4")
QUICKTIME = MediaType("video/quicktime", ".mov")
WEBM = MediaType("video/webm", ".webm")
MATROSKA = MediaType("video/x-matroska", ".mkv")
PNG = MediaType("image/png", ".png")
UNKNOWN = MediaType("application/octet-stream", ".bin", inline=False)
VIDEO_TYPES = (MP4, QUICKTIME, WEBM, MATROSKA)

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# QuickTime files written before the `ftyp` box existed start with one of these atoms.
QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def media_type_of(head: bytes) -> MediaType:
    """The type of a file from its first bytes; UNKNOWN unless a known container signature is there."""
    box = head[4:8]
    if box == b"ftyp":
        return QUICKTIME if head[8:12] == b"qt  " else MP4
    if box in QUICKTIME_ATOMS:
        return QUICKTIME
    if head.startswith(EBML_MAGIC):
        # The EBML header's DocType says which flavour of Matroska this is.
        if b"webm" in head[:SNIFF_BYTES]:
            return WEBM
        if b"matroska" in head[:SNIFF_BYTES]:
            return MATROSKA
        return UNKNOWN
    if head.startswith(PNG_MAGIC):
        return PNG
    return UNKNOWN


def media_type_of_file(file: File) -> MediaType:
    """Sniff an open or openable file (an upload, a stored FieldFile), leaving it at its start."""
    if getattr(file, "closed", True):
        file.open("rb")
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    return media_type_of(head if isinstance(head, bytes) else head.encode())


class SniffedFieldFile(FieldFile):
    def save(self, name: str, content: File, save: bool = True) -> None:
        # The field's upload_to sees only this name: its extension comes from the bytes, its stem is
        # a constant, so nothing the client chose reaches the stored path.
        super().save(f"upload{media_type_of_file(content).extension}", content, save)


class SniffedFileField(models.FileField):
    """A FileField whose stored extension is chosen by what the content is (see media_type_of)."""

    attr_class = SniffedFieldFile


def media_response(request: HttpRequest, file: File, *, cache: str = "private, max-age=3600") -> HttpResponse:
    """The stored file with a type sniffed from its bytes: the whole file (200) or the one byte range asked
    for (206); 416 for a range past the end. Unknown content is sent as an attachment, never inline."""
    try:
        media_type = media_type_of_file(file)
    except FileNotFoundError:
        raise Http404("The stored file is missing.") from None
    size = file.size
    match = RANGE.match(request.headers.get("Range", "").strip())
    if not match or match.groups() == ("", ""):
        response = FileResponse(file, content_type=media_type.content_type)
    else:
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:  # "bytes=-N": the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            file.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            response["X-Content-Type-Options"] = "nosniff"
            return response
        response = StreamingHttpResponse(
            _byte_range(file, start, end - start + 1), status=206, content_type=media_type.content_type
        )
        response["Content-Length"] = str(end - start + 1)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    # The name offered for saving is ours too: the stored stem with the sniffed extension.
    filename = PurePosixPath(file.name or "media").stem + media_type.extension
    disposition = "inline" if media_type.inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache
    return response


def _byte_range(file: File, start: int, length: int) -> Iterator[bytes]:
    """`length` bytes from `start`, a chunk at a time (a range can be most of a 50 MB clip)."""
    with file:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
