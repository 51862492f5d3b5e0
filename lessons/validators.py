"""Upload checks shared by tutorial and practice clips: decode, don't trust the extension."""

import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile


def clip_problem(path: Path, *, max_seconds: float | None = None) -> tuple[str, str] | None:
    """(code, message) if the clip at `path` fails the cheap checks, else None.

    `max_seconds` defaults to the single-sign limit; phrase clips pass their own, longer one.
    """
    from ml.video import VideoError, probe_video

    if path.stat().st_size > settings.SIGNLEARN_MAX_UPLOAD_BYTES:
        return (
            "too_large",
            f"The file is larger than {settings.SIGNLEARN_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
        )
    try:
        probe_video(
            path,
            min_seconds=settings.SIGNLEARN_MIN_CLIP_SECONDS,
            max_seconds=max_seconds or settings.SIGNLEARN_MAX_CLIP_SECONDS,
        )
    except VideoError as error:
        return error.code, error.message
    return None


def uploaded_clip_problem(upload, *, max_seconds: float | None = None) -> tuple[str, str] | None:
    """Like clip_problem, for an UploadedFile (in memory or on disk)."""
    if upload.size > settings.SIGNLEARN_MAX_UPLOAD_BYTES:
        return (
            "too_large",
            f"The file is larger than {settings.SIGNLEARN_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
        )
    if isinstance(upload, TemporaryUploadedFile):
        return clip_problem(Path(upload.temporary_file_path()), max_seconds=max_seconds)
    suffix = Path(upload.name or "clip").suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        upload.seek(0)
        return clip_problem(Path(tmp.name), max_seconds=max_seconds)


def validate_clip_upload(file) -> None:
    """Model-field validator: only runs on new uploads (an already stored file has no chunks to re-check)."""
    upload = getattr(file, "file", None)
    if upload is None or getattr(file, "_committed", True):
        return
    problem = uploaded_clip_problem(upload)
    if problem:
        raise ValidationError(problem[1], code=problem[0])
