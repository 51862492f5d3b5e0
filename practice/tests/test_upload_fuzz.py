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


def video_case(
    name, endpoint, content, expected, *, filename="clip.mp4", content_type="video/mp4", sign="rain"
):
    field_name = "video"
    return Case(name, endpoint, expected, files={field_name: (filename, content, content_type)}, sign=sign)


def cases(clips: dict[str, bytes]) -> list[Case]:
    rng = random.Random(SEED)
    valid = clips["clip"]
    found: list[Case] = []
    for endpoint in ("api", "web"):
        invalid = (400, "invalid_upload") if endpoint == "web" else (400, "unreadable_video")
        found += [
            video_case("valid mp4", endpoint, valid, ACCEPTED),
            video_case(
                "recorder webm",
                endpoint,
                clips["recorder"],
                ACCEPTED,
                filename="recording.webm",
                content_type="video/webm",
            ),  # fmt: skip
            video_case("zero-length", endpoint, b"", invalid),
            video_case("truncated to half", endpoint, valid[: len(valid) // 2], (400, "unreadable_video")),
            video_case("truncated to 100 bytes", endpoint, valid[:100], (400, "unreadable_video")),
            video_case("audio only", endpoint, clips["audio"], (400, "unreadable_video"), filename="a.m4a"),
            video_case("one frame", endpoint, clips["one_frame"], (400, "too_short")),
            video_case("17 s", endpoint, clips["long"], (400, "too_long")),
            video_case(
                "a video named .html", endpoint, valid, ACCEPTED, filename="x.html", content_type="text/html"
            ),
            # a file part without a file name is how a browser sends "no file chosen"
            video_case(
                "a video without a name",
                endpoint,
                valid,
                (400, "invalid" if endpoint == "api" else "invalid_upload"),
                filename="",
                content_type="",
            ),  # fmt: skip
            video_case("a name of 300 characters", endpoint, valid, ACCEPTED, filename="c." + "a" * 300),
            video_case("a path as name", endpoint, valid, ACCEPTED, filename="../../../etc/passwd.mp4"),
            video_case(
                "html named .mp4", endpoint, b"<html><script>alert(1)</script>", (400, "unreadable_video")
            ),
            video_case(
                "unknown sign",
                endpoint,
                valid,
                (400 if endpoint == "api" else 404, "unknown_sign"),
                sign="unicorn",
            ),  # fmt: skip
            video_case(
                "NUL in the sign",
                endpoint,
                valid,
                (400 if endpoint == "api" else 404, "unknown_sign"),
                sign="ra\x00in",
            ),  # fmt: skip
            Case("no file at all", endpoint, (400, "invalid" if endpoint == "api" else "invalid_upload")),
        ]
        for i in range(12):  # random bytes, random names and types
            size = rng.choice([1, 7, 512, 4096, 65536, 300_000])
            content = bytes(rng.getrandbits(8) for _ in range(size))
            filename = "r" + rng.choice([".mp4", ".webm", ".mov", ".svg", ".exe", "", ".MP4"])
            content_type = rng.choice(["video/mp4", "application/octet-stream", "image/svg+xml", ""])
            found.append(video_case(f"random bytes {i}", endpoint, content, (400, "unreadable_video"),
                                    filename=filename, content_type=content_type))  # fmt: skip
    bad_landmarks = (400, "invalid_landmarks")
    over = landmarks(MAX_FRAMES + 1)
    found += [
        Case("no sign", "api", (400, "invalid"), data={"landmarks": json.dumps(landmarks(2).tolist())}),
        Case("sign only", "api", (400, "invalid"), data={"sign": "rain"}),
        Case(
            "unknown sign, landmarks",
            "api",
            (400, "unknown_sign"),
            data={"sign": "unicorn", "landmarks": "[]"},
        ),
        Case("a sign of 10k characters", "api", (400, "unknown_sign"), data={"sign": "x" * 10_000}),
        Case(
            "landmarks JSON body",
            "api",
            ACCEPTED,
            data={"sign": "rain", "landmarks": json.loads(json_frames(3))},
            as_json=True,
        ),  # fmt: skip
        Case(
            "200 frames as a JSON body",
            "api",
            ACCEPTED,
            raw=(f'{{"sign": "rain", "landmarks": {json_frames(200)}}}'.encode(), "application/json"),
        ),
        Case(
            "901 frames of 0 as a JSON body (4 MB)",
            "api",
            bad_landmarks,
            raw=(
                f'{{"sign": "rain", "landmarks": {json_frames(MAX_FRAMES + 1, "0")}}}'.encode(),
                "application/json",
            ),
        ),
        Case(
            "900 full-precision frames as a JSON body (over 5 MB)",
            "api",
            (413, "too_large"),
            raw=(
                f'{{"sign": "rain", "landmarks": {json_frames(MAX_FRAMES, "0.4837281107902527")}}}'.encode(),
                "application/json",
            ),
        ),  # fmt: skip
        Case(
            "901 frames as a JSON file",
            "api",
            bad_landmarks,
            data={"sign": "rain"},
            files={"landmarks": ("x.json", json_frames(MAX_FRAMES + 1).encode(), "application/json")},
        ),
        Case(
            "901 frames as a form field",
            "api",
            (413, "too_large"),
            data={"sign": "rain", "landmarks": json_frames(MAX_FRAMES + 1)},
        ),  # fmt: skip
        Case(
            "901 frames as a parquet file",
            "api",
            bad_landmarks,
            files={"landmarks": ("x.parquet", parquet(over), "application/octet-stream")},
            data={"sign": "rain"},
        ),
        Case(
            "all missing (NaN) parquet",
            "api",
            ACCEPTED,
            files={"landmarks": ("x.parquet", parquet(landmarks(4, np.nan)), "")},
            data={"sign": "rain"},
        ),
        Case(
            "inf in a parquet file",
            "api",
            bad_landmarks,
            files={"landmarks": ("x.parquet", parquet(landmarks(4, np.inf)), "")},
            data={"sign": "rain"},
        ),
        Case(
            "Infinity in a JSON file",
            "api",
            bad_landmarks,
            files={"landmarks": ("x.json", json_frames(2, "Infinity").encode(), "application/json")},
            data={"sign": "rain"},
        ),  # fmt: skip
        Case(
            "NaN token in a JSON body",
            "api",
            (400, "parse_error"),
            raw=(f'{{"sign": "rain", "landmarks": {json_frames(2, "NaN")}}}'.encode(), "application/json"),
        ),
        Case(
            "1e999 in a JSON body",
            "api",
            bad_landmarks,
            raw=(f'{{"sign": "rain", "landmarks": {json_frames(2, "1e999")}}}'.encode(), "application/json"),
        ),
        Case(
            "strings for numbers",
            "api",
            bad_landmarks,
            data={"sign": "rain", "landmarks": json_frames(2, '"a"')},
        ),  # fmt: skip
        Case(
            "542 points a frame",
            "api",
            bad_landmarks,
            data={"sign": "rain", "landmarks": json.dumps(np.zeros((2, 542, 3)).tolist())},
        ),
        Case(
            "ragged frames",
            "api",
            bad_landmarks,
            data={"sign": "rain", "landmarks": json.dumps([[[0, 0, 0]] * 543, [[0, 0]] * 543])},
        ),
        Case(
            "an object for landmarks",
            "api",
            bad_landmarks,
            data={"sign": "rain", "landmarks": '{"a": 1}'},
        ),  # fmt: skip
        Case(
            "nested 100k deep in a field",
            "api",
            bad_landmarks,
            data={"sign": "rain", "landmarks": "[" * 100_000 + "]" * 100_000},
        ),
        Case(
            "nested 40 deep",
            "api",
            bad_landmarks,
            data={"sign": "rain", "landmarks": "[" * 40 + "0" + "]" * 40},
        ),  # fmt: skip
        Case(
            "truncated parquet",
            "api",
            bad_landmarks,
            files={"landmarks": ("x.parquet", parquet(landmarks(3))[:200], "")},
            data={"sign": "rain"},
        ),
        Case(
            "PAR1 and noise",
            "api",
            bad_landmarks,
            files={"landmarks": ("x.parquet", b"PAR1" + bytes(rng.getrandbits(8) for _ in range(999)), "")},
            data={"sign": "rain"},
        ),  # fmt: skip
        Case(
            "empty landmarks file",
            "api",
            bad_landmarks,
            files={"landmarks": ("x.json", b"", "")},
            data={"sign": "rain"},
        ),  # fmt: skip
        Case(
            "latin-1 landmarks file",
            "api",
            bad_landmarks,
            files={"landmarks": ("x.json", b"\xff\xfe[", "")},
            data={"sign": "rain"},
        ),  # fmt: skip
        Case("JSON list body", "api", (400, "invalid"), raw=(b"[1, 2, 3]", "application/json")),
        Case(
            "broken JSON body",
            "api",
            (400, "parse_error"),
            raw=(b'{"sign": "rain", "landm', "application/json"),
        ),
        Case("XML body", "api", (415, "unsupported_media_type"), raw=(b"<a/>", "application/xml")),
        Case(
            "multipart without boundary", "api", (400, "parse_error"), raw=(b"--x\r\n", "multipart/form-data")
        ),
        Case(
            "multipart without boundary", "web", (400, "bad_request"), raw=(b"--x\r\n", "multipart/form-data")
        ),
        Case(
            "random random bytes as a form",
            "web",
            (400, "invalid_upload"),
            raw=(bytes(rng.getrandbits(8) for _ in range(2048)), "application/x-www-form-urlencoded"),
        ),
    ]
    return found


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
