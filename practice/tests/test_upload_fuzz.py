"""A bounded fuzz of the upload endpoints (web form and API; video, landmark file, landmark JSON).

Each case says what it sends and the one answer it must get: no 5xx, a stable code, and nothing left
in MEDIA_ROOT or the upload temp folder except the files of the attempts it accepted. Fixed seed:
the same cases every run. Clips are made with ffmpeg (scripts/ensure_test_tools.sh installs it).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from ml.islr_io import write_sequence
from ml.layout import N_COORDS, ROWS_PER_FRAME
from practice.landmarks_input import MAX_FRAMES
from practice.models import Attempt

pytestmark = pytest.mark.usefixtures("curriculum")

SEED = 20261129
API = "/api/v1/attempts/"
WEB = "/practice/signs/{sign}/attempts/"
ACCEPTED = (202, "accepted")
BAD_LANDMARKS = (400, "invalid_landmarks")
JSON = "application/json"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, bytes]:
    if shutil.which("ffmpeg") is None:
        message = "needs ffmpeg: bash scripts/ensure_test_tools.sh"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    folder = tmp_path_factory.mktemp("fuzz-clips")
    testsrc = "testsrc=size=160x120:rate=10"
    ffmpeg("-f", "lavfi", "-i", f"{testsrc}:duration=2", "-f", "lavfi", "-i", "sine=duration=2",
           "-pix_fmt", "yuv420p", "-shortest", str(folder / "clip.mp4"))  # fmt: skip
    ffmpeg("-i", str(folder / "clip.mp4"), "-vn", "-c:a", "aac", str(folder / "audio.m4a"))  # its sound only
    ffmpeg("-i", str(folder / "clip.mp4"), "-frames:v", "1", "-an", str(folder / "one_frame.mp4"))
    ffmpeg("-f", "lavfi", "-i", f"{testsrc}:duration=17", "-pix_fmt", "yuv420p", str(folder / "long.mp4"))
    ffmpeg("-i", str(folder / "clip.mp4"), "-c:v", "libvpx", "-an", str(folder / "recorder.webm"))
    return {path.stem: path.read_bytes() for path in folder.iterdir()}


@dataclass
class Case:
    name: str
    endpoint: str  # "api" or "web"
    expected: tuple[int, str]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)  # field -> (name, bytes, type)
    data: dict | None = None  # form fields (multipart) or, with as_json, the JSON body
    as_json: bool = False
    sign: str = "rain"
    raw: tuple[bytes, str] | None = None  # (body, content type) sent as is


def landmarks(frames: int, fill: float = 0.5) -> np.ndarray:
    return np.full((frames, ROWS_PER_FRAME, N_COORDS), fill, dtype=np.float32)


def parquet(array: np.ndarray) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        write_sequence(array, Path(tmp) / "x.parquet")
        return (Path(tmp) / "x.parquet").read_bytes()


def json_frames(frames: int, value: str = "0.5") -> str:
    point = f"[{value},{value},{value}]"
    frame = "[" + ",".join([point] * ROWS_PER_FRAME) + "]"
    return "[" + ",".join([frame] * frames) + "]"


def rain(landmarks_value) -> dict:
    """The API's fields for an attempt at "rain" with these landmarks."""
    return {"sign": "rain", "landmarks": landmarks_value}


def video_case(
    name, endpoint, content, expected, *, filename="clip.mp4", content_type="video/mp4", sign="rain"
):
    return Case(name, endpoint, expected, files={"video": (filename, content, content_type)}, sign=sign)


def random_bytes(rng: random.Random, size: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(size))


def video_cases(clips: dict[str, bytes], endpoint: str) -> list[Case]:
    """A `video` file on the web form or the API: real clips, broken ones, odd names, odd signs."""
    valid = clips["clip"]
    web = endpoint == "web"
    unreadable = (400, "unreadable_video")
    no_file = (400, "invalid_upload" if web else "invalid")
    unknown_sign = (404 if web else 400, "unknown_sign")
    webm = {"filename": "recording.webm", "content_type": "video/webm"}
    # (name, bytes, expected answer, video_case options)
    table = [
        ("valid mp4", valid, ACCEPTED, {}),
        ("recorder webm", clips["recorder"], ACCEPTED, webm),
        ("zero-length", b"", no_file if web else unreadable, {}),
        ("truncated to half", valid[: len(valid) // 2], unreadable, {}),
        ("truncated to 100 bytes", valid[:100], unreadable, {}),
        ("audio only", clips["audio"], unreadable, {"filename": "a.m4a"}),
        ("one frame", clips["one_frame"], (400, "too_short"), {}),
        ("17 s", clips["long"], (400, "too_long"), {}),
        ("a video named .html", valid, ACCEPTED, {"filename": "x.html", "content_type": "text/html"}),
        # a file part without a file name is how a browser sends "no file chosen"
        ("a video without a name", valid, no_file, {"filename": "", "content_type": ""}),
        ("a name of 300 characters", valid, ACCEPTED, {"filename": "c." + "a" * 300}),
        ("a path as name", valid, ACCEPTED, {"filename": "../../../etc/passwd.mp4"}),
        ("html named .mp4", b"<html><script>alert(1)</script>", unreadable, {}),
        ("unknown sign", valid, unknown_sign, {"sign": "unicorn"}),
        ("NUL in the sign", valid, unknown_sign, {"sign": "ra\x00in"}),
    ]
    found = [
        video_case(name, endpoint, content, expected, **options) for name, content, expected, options in table
    ]
    return [*found, Case("no file at all", endpoint, no_file)]


def random_video_cases(rng: random.Random, endpoint: str) -> list[Case]:
    """Random bytes under random names and types: never a video."""
    found = []
    for i in range(12):
        size = rng.choice([1, 7, 512, 4096, 65536, 300_000])
        content = random_bytes(rng, size)
        filename = "r" + rng.choice([".mp4", ".webm", ".mov", ".svg", ".exe", "", ".MP4"])
        content_type = rng.choice(["video/mp4", "application/octet-stream", "image/svg+xml", ""])
        options = {"filename": filename, "content_type": content_type}
        found.append(video_case(f"random bytes {i}", endpoint, content, (400, "unreadable_video"), **options))
    return found


def landmark_field_cases() -> list[Case]:
    """API form fields: `sign` and `landmarks` (JSON text) missing, oversized or malformed."""
    # (name, expected answer, form fields)
    table = [
        ("no sign", (400, "invalid"), {"landmarks": json.dumps(landmarks(2).tolist())}),
        ("sign only", (400, "invalid"), {"sign": "rain"}),
        ("unknown sign, landmarks", (400, "unknown_sign"), {"sign": "unicorn", "landmarks": "[]"}),
        ("a sign of 10k characters", (400, "unknown_sign"), {"sign": "x" * 10_000}),
        ("901 frames as a form field", (413, "too_large"), rain(json_frames(MAX_FRAMES + 1))),
        ("strings for numbers", BAD_LANDMARKS, rain(json_frames(2, '"a"'))),
        ("542 points a frame", BAD_LANDMARKS, rain(json.dumps(np.zeros((2, 542, 3)).tolist()))),
        ("ragged frames", BAD_LANDMARKS, rain(json.dumps([[[0, 0, 0]] * 543, [[0, 0]] * 543]))),
        ("an object for landmarks", BAD_LANDMARKS, rain('{"a": 1}')),
        ("nested 100k deep in a field", BAD_LANDMARKS, rain("[" * 100_000 + "]" * 100_000)),
        ("nested 40 deep", BAD_LANDMARKS, rain("[" * 40 + "0" + "]" * 40)),
    ]
    return [Case(name, "api", expected, data=data) for name, expected, data in table]


def json_body_cases() -> list[Case]:
    """A JSON request body {"sign": "rain", "landmarks": <frames>} of every size and number form."""
    full_precision = json_frames(MAX_FRAMES, "0.4837281107902527")
    # (name, expected answer, the landmarks as JSON text)
    table = [
        ("200 frames as a JSON body", ACCEPTED, json_frames(200)),
        ("901 frames of 0 as a JSON body (4 MB)", BAD_LANDMARKS, json_frames(MAX_FRAMES + 1, "0")),
        ("900 full-precision frames as a JSON body (over 5 MB)", (413, "too_large"), full_precision),
        ("NaN token in a JSON body", (400, "parse_error"), json_frames(2, "NaN")),
        ("1e999 in a JSON body", BAD_LANDMARKS, json_frames(2, "1e999")),
    ]
    found = [
        Case(name, "api", expected, raw=(f'{{"sign": "rain", "landmarks": {frames}}}'.encode(), JSON))
        for name, expected, frames in table
    ]
    sent_by_the_client = rain(json.loads(json_frames(3)))
    return [Case("landmarks JSON body", "api", ACCEPTED, data=sent_by_the_client, as_json=True), *found]


def landmark_file_cases(rng: random.Random) -> list[Case]:
    """A `landmarks` file (parquet or JSON) beside sign=rain on the API, broken in each way we know."""
    over, octets = landmarks(MAX_FRAMES + 1), "application/octet-stream"
    # (name, expected answer, file name, bytes, content type)
    table = [
        ("901 frames as a JSON file", BAD_LANDMARKS, "x.json", json_frames(MAX_FRAMES + 1).encode(), JSON),
        ("901 frames as a parquet file", BAD_LANDMARKS, "x.parquet", parquet(over), octets),
        ("all missing (NaN) parquet", ACCEPTED, "x.parquet", parquet(landmarks(4, np.nan)), ""),
        ("inf in a parquet file", BAD_LANDMARKS, "x.parquet", parquet(landmarks(4, np.inf)), ""),
        ("Infinity in a JSON file", BAD_LANDMARKS, "x.json", json_frames(2, "Infinity").encode(), JSON),
        ("truncated parquet", BAD_LANDMARKS, "x.parquet", parquet(landmarks(3))[:200], ""),
        ("PAR1 and noise", BAD_LANDMARKS, "x.parquet", b"PAR1" + random_bytes(rng, 999), ""),
        ("empty landmarks file", BAD_LANDMARKS, "x.json", b"", ""),
        ("latin-1 landmarks file", BAD_LANDMARKS, "x.json", b"\xff\xfe[", ""),
    ]
    return [
        Case(name, "api", expected, files={"landmarks": (filename, content, kind)}, data={"sign": "rain"})
        for name, expected, filename, content, kind in table
    ]


def malformed_body_cases(rng: random.Random) -> list[Case]:
    """Bodies that are not what their content type says, or a type nobody accepts."""
    form = "application/x-www-form-urlencoded"
    # (name, endpoint, expected answer, body, content type)
    table = [
        ("JSON list body", "api", (400, "invalid"), b"[1, 2, 3]", JSON),
        ("broken JSON body", "api", (400, "parse_error"), b'{"sign": "rain", "landm', JSON),
        ("XML body", "api", (415, "unsupported_media_type"), b"<a/>", "application/xml"),
        ("multipart without boundary", "api", (400, "parse_error"), b"--x\r\n", "multipart/form-data"),
        ("multipart without boundary", "web", (400, "bad_request"), b"--x\r\n", "multipart/form-data"),
        ("random random bytes as a form", "web", (400, "invalid_upload"), random_bytes(rng, 2048), form),
    ]
    return [
        Case(name, endpoint, expected, raw=(body, kind)) for name, endpoint, expected, body, kind in table
    ]


def cases(clips: dict[str, bytes]) -> list[Case]:
    """Every case. One seeded generator, drawn from in this order, makes them the same every run."""
    rng = random.Random(SEED)
    found: list[Case] = []
    for endpoint in ("api", "web"):
        found += video_cases(clips, endpoint) + random_video_cases(rng, endpoint)
    found += landmark_field_cases() + json_body_cases()
    return found + landmark_file_cases(rng) + malformed_body_cases(rng)


def send(case: Case, api: APIClient, web, clips) -> object:
    if case.endpoint == "api":
        client, url, extra = api, API, {}
    else:
        client, url, extra = web, WEB.format(sign=case.sign), {"headers": {"accept": "application/json"}}
    if case.raw is not None:
        return client.generic("POST", url, case.raw[0], content_type=case.raw[1], **extra)
    if case.as_json:
        return client.post(url, json.dumps(case.data), content_type="application/json", **extra)
    data = dict(case.data or {})
    if case.endpoint == "api" and case.files and "sign" not in data:
        data["sign"] = case.sign
    body, content_type = multipart(data, case.files)
    return client.generic("POST", url, body, content_type=content_type, **extra)


def multipart(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart body written by hand: Django's test client refuses odd file names (empty, paths)."""
    boundary = "fuzz-boundary-7f3a"
    parts = []
    for name, value in data.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        parts.append(str(value).encode() + b"\r\n")
    for name, (filename, content, content_type) in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        head += f"Content-Type: {content_type}\r\n\r\n" if content_type else "\r\n"
        parts += [head.encode(), content, b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def answer_code(response) -> str:
    if not response.get("Content-Type", "").startswith("application/json"):
        return f"not JSON: {response.get('Content-Type')}"
    return response.json().get("code")


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_fuzzed_uploads_get_a_stable_answer_and_leave_no_file_behind(
    hamlet,
    hamlet_client,
    clips,
    sent_tasks,
    settings,
    tmp_path,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"uploads": "10000/min"}}
    uploads_tmp = tmp_path / "upload-tmp"
    uploads_tmp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads_tmp)
    monkeypatch.setattr(tempfile, "tempdir", str(uploads_tmp))  # the validators' and services' temp files
    media = Path(settings.MEDIA_ROOT)
    media_before = files_under(media)
    api = APIClient()
    api.force_authenticate(hamlet.user)

    outcomes = []
    all_cases = cases(clips)
    assert len(all_cases) > 80
    with django_capture_on_commit_callbacks(execute=True):
        for case in all_cases:
            response = send(case, api, hamlet_client, clips)
            code = "accepted" if response.status_code == 202 else answer_code(response)
            outcomes.append((case.endpoint, case.name, (response.status_code, code), case.expected))

    wrong = [outcome for outcome in outcomes if outcome[2] != outcome[3]]
    assert not wrong, "\n".join(f"{e} {n!r}: got {got}, expected {exp}" for e, n, got, exp in wrong)
    accepted = [case for case in all_cases if case.expected == ACCEPTED]
    assert Attempt.objects.count() == len(accepted) == len(sent_tasks)
    kept = {
        name
        for attempt in Attempt.objects.all()
        for name in (attempt.video.name, attempt.landmarks.name)
        if name
    }
    assert files_under(media) - media_before == kept  # only the accepted attempts' files
    assert all(".." not in name and not name.startswith("/") for name in kept)
    assert files_under(uploads_tmp) == set()


def test_the_fuzz_cases_are_the_same_every_run(clips):
    first, second = cases(clips), cases(clips)
    assert [(c.name, c.files, c.raw) for c in first] == [(c.name, c.files, c.raw) for c in second]


def test_the_web_form_without_javascript_never_answers_5xx(hamlet_client, clips, sent_tasks):
    for content in (b"", clips["audio"], b"\x00" * 100, clips["long"]):
        response = hamlet_client.post(
            WEB.format(sign="rain"), {"video": SimpleUploadedFile("x.mp4", content)}, follow=True
        )
        assert response.status_code == 200 and response.redirect_chain[-1][0].endswith("#practice")
    assert Attempt.objects.count() == 0
