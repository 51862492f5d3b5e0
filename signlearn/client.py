"""Command-line client for a running SignLearn server. It uses only the public HTTP API (stdlib urllib),
so it runs anywhere Python does, without Django settings.

    python -m signlearn.client submit CLIP --sign hello [--url URL] [--token T | --username U --password P]
    python -m signlearn.client submit CLIP --phrase 7     # a phrase: each sign's span and verdict
    python -m signlearn.client signs [--query Q]
    python -m signlearn.client progress
    python -m signlearn.client health

CLIP is a video (mp4, webm, mov, mkv), or a landmark sequence already extracted on this machine
(ISLR `.parquet`, or `.json` `[T][543][3]` with nulls), which is faster and sends no video.
`--json` prints the server's JSON instead of tables. SIGNLEARN_URL and SIGNLEARN_TOKEN give defaults.

Exit codes: 0 passed (other commands: success, server ready), 1 not passed (not ready), 2 error.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"
EXIT_PASSED, EXIT_NOT_PASSED, EXIT_ERROR = 0, 1, 2
LANDMARK_SUFFIXES = {".parquet", ".json"}
FINAL_STATUSES = {"graded", "failed"}
SPINNER = "|/-\\"
BAR_WIDTH = 24


class ClientError(Exception):
    """Anything that stops a command: the server's error (`code`, `detail`) or a transport failure."""

    def __init__(self, detail: str, *, code: str = "client_error", status: int | None = None):
        super().__init__(detail)
        self.detail, self.code, self.status = detail, code, status

    def __str__(self) -> str:
        where = f"HTTP {self.status} " if self.status else ""
        return f"{where}{self.code}: {self.detail}"


@dataclass
class Response:
    status: int
    data: dict


def encode_multipart(fields: dict[str, str], files: dict[str, Path]) -> tuple[bytes, str]:
    boundary = f"signlearn-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, path in files.items():
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class SignLearnClient:
    """Thin wrapper over the v1 API: one method per call, JSON in and out."""

    def __init__(self, base_url: str = DEFAULT_URL, *, token: str | None = None, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict | None = None,
        fields: dict[str, str] | None = None,
        files: dict[str, Path] | None = None,
        ok: tuple[int, ...] = (),
    ) -> Response:
        """Send one request; statuses >= 400 raise ClientError unless listed in `ok`."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        headers = {"Accept": "application/json"}
        body = None
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if files:
            body, headers["Content-Type"] = encode_multipart(fields or {}, files)
        elif json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return Response(reply.status, _json(reply.read()))
        except urllib.error.HTTPError as error:
            data = _json(error.read())
            if error.code in ok:
                return Response(error.code, data)
            raise ClientError(
                str(data.get("detail") or error.reason),
                code=str(data.get("code") or "http_error"),
                status=error.code,
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ClientError(f"cannot reach {self.base_url}: {reason}", code="unreachable") from None

    # --- the API -------------------------------------------------------------------------------
    def login(self, username: str, password: str) -> str:
        self.token = None
        data = self.request(
            "POST", "/api/v1/auth/token/", json_body={"username": username, "password": password}
        )
        self.token = data.data["token"]
        return self.token

    def attempt_submit(self, clip: Path, *, sign: str | None = None, phrase: int | None = None) -> dict:
        """Submit a clip of one sign, or (`phrase`, an id from /api/v1/phrases/) of a phrase."""
        field = "landmarks" if clip.suffix.lower() in LANDMARK_SUFFIXES else "video"
        target = {"phrase": str(phrase)} if phrase is not None else {"sign": sign}
        return self.request("POST", "/api/v1/attempts/", fields=target, files={field: clip}).data

    def attempt_get(self, attempt_id: int) -> dict:
        return self.request("GET", f"/api/v1/attempts/{attempt_id}/").data

    def attempt_wait(
        self,
        attempt_id: int,
        *,
        timeout: float = 180.0,
        on_poll: Callable[[dict, float], None] | None = None,
    ) -> dict:
        """Poll until graded or failed, backing off from 0.25 s to 2 s between polls."""
        started = time.monotonic()
        delay = 0.25
        while True:
            attempt = self.attempt_get(attempt_id)
            elapsed = time.monotonic() - started
            if on_poll:
                on_poll(attempt, elapsed)
            if attempt["status"] in FINAL_STATUSES:
                return attempt
            if elapsed > timeout:
                raise ClientError(
                    f"attempt {attempt_id} still {attempt['status']} after {timeout:.0f} s", code="timeout"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    def signs(self, *, query: str = "") -> list[dict]:
        """Every sign matching `query`, following the pagination."""
        url = "/api/v1/signs/" + (f"?{urllib.parse.urlencode({'q': query})}" if query else "")
        signs: list[dict] = []
        while url:
            page = self.request("GET", url).data
            signs.extend(page["results"])
            url = page.get("next")
        return signs

    def progress(self) -> dict:
        return self.request("GET", "/api/v1/progress/").data

    def health(self) -> Response:
        return self.request("GET", "/readyz", ok=(503,))


def _json(raw: bytes) -> dict:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {"detail": raw[:200].decode(errors="replace")}
    return data if isinstance(data, dict) else {"results": data}


# --- output ------------------------------------------------------------------------------------
class PollProgress:
    """A one-line spinner on a terminal; one line per status change otherwise (logs, CI)."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.last_status = None
        self.ticks = 0

    def __call__(self, attempt: dict, elapsed: float) -> None:
        status = attempt["status"]
        if self.tty:
            self.ticks += 1
            spinner = SPINNER[self.ticks % len(SPINNER)] if status not in FINAL_STATUSES else " "
            self.stream.write(f"\r{spinner} attempt {attempt['id']}: {status:<10} {elapsed:5.1f} s")
            if status in FINAL_STATUSES:
                self.stream.write("\n")
        elif status != self.last_status:
            self.stream.write(f"attempt {attempt['id']}: {status} after {elapsed:.1f} s\n")
        self.stream.flush()
        self.last_status = status


def format_result(attempt: dict) -> str:
    """The top-10 table and the verdict, as a person reads it."""
    sign = attempt.get("sign")
    if attempt["status"] == "failed":
        reason = attempt.get("failure_reason") or "failed"
        message = attempt.get("failure_message") or ""
        return f"NOT GRADED ({reason}){': ' + message if message else ''}"
    result = attempt.get("result") or {}
    if attempt.get("phrase") is not None:
        return format_phrase_result(result)
    lines = [f"{'rank':>4}  {'sign':<16} {'score':>6}"]
    for rank, row in enumerate(result.get("top10") or [], start=1):
        bar = "#" * max(0, round(float(row["score"]) * BAR_WIDTH))
        marker = " <" if row["sign"] == sign else ""
        lines.append(f"{rank:>4}  {row['sign']:<16} {float(row['score']):6.3f} {bar}{marker}")
    passed = f'PASSED: "{sign}" ranked {result.get("rank")} of 10'
    lines += verdict_lines(result, passed=passed, not_passed=f'NOT PASSED: "{sign}" is not in the top 10')
    return "\n".join(lines)


def format_phrase_result(result: dict) -> str:
    """Each sign of a phrase with its span of the clip and its verdict, then the phrase's."""
    lines = [f"{'#':>2}  {'sign':<16} {'span (s)':<13} verdict"]
    for position, row in enumerate(result.get("signs") or [], start=1):
        span = f"{row['start_s']:.2f}-{row['end_s']:.2f}"
        verdict = f"found, rank {row['rank']}" if row["found"] else f"MISSED (rank {row['rank']})"
        lines.append(f"{position:>2}  {row['sign']:<16} {span:<13} {verdict}")
    signs = result.get("signs") or []
    found = sum(1 for row in signs if row["found"])
    not_passed = f"NOT PASSED: {found} of {len(signs)} signs found"
    lines += verdict_lines(result, passed="PASSED: every sign found in order", not_passed=not_passed)
    return "\n".join(lines)


def verdict_lines(result: dict, *, passed: str, not_passed: str) -> list[str]:
    """The verdict with the XP it earned, then the model version that graded it."""
    xp = result.get("xp")
    gained = f" (+{xp} XP)" if xp is not None else ""
    lines = [(passed if result.get("passed") else not_passed) + gained]
    if result.get("model_version"):
        lines.append(f"model: {result['model_version']}")
    return lines


def attempt_exit_code(attempt: dict) -> int:
    if attempt["status"] == "graded":
        return EXIT_PASSED if (attempt.get("result") or {}).get("passed") else EXIT_NOT_PASSED
    # A clip the server could not grade (no hands, too short...) is a not-passed attempt; only a
    # failure on the server's side is an error.
    return EXIT_ERROR if attempt.get("failure_reason") == "internal_error" else EXIT_NOT_PASSED


def format_progress(data: dict) -> str:
    """The headline numbers of GET /api/v1/progress/."""
    level, goal, signs = data["level"], data["goal"], data["signs"]
    pass_rate = f" ({data['pass_rate']} %)" if data.get("pass_rate") is not None else ""
    lines = [
        f"learner {data['learner']}, today {data['today']}",
        f"level   {level['level']}: {level['xp_total']} XP, {level['xp_to_next']} XP to level {level['level'] + 1}",
        f"streak  {data['streak']} day(s), longest {data['streak_longest']}, {data['freezes']} freeze(s)",
        f"goal    {goal['xp']}/{goal['goal']} XP today ({goal['percent']} %){' - met' if goal['met'] else ''}",
        f"signs   {signs['mastered']} mastered, {signs['learning']} learning, {signs['new']} new, "
        f"{signs['due']} due for review",
        f"tries   {data['attempts']} attempt(s), {data['passes']} passed{pass_rate}",
    ]
    if data.get("weakest"):
        lines.append("practise " + ", ".join(weak["sign"] for weak in data["weakest"]))
    return "\n".join(lines)


# --- commands ----------------------------------------------------------------------------------
def _client(args) -> SignLearnClient:
    client = SignLearnClient(args.url, token=args.token)
    if args.username:
        if not args.password:
            raise ClientError("--password is needed with --username", code="usage")
        client.login(args.username, args.password)
    return client


def cmd_submit(args, out) -> int:
    clip = Path(args.clip)
    if not clip.is_file():
        raise ClientError(f"no such file: {clip}", code="usage")
    client = _client(args)
    created = client.attempt_submit(clip, sign=args.sign, phrase=args.phrase)
    progress = PollProgress() if not args.quiet else None
    attempt = client.attempt_wait(created["id"], timeout=args.timeout, on_poll=progress)
    out.write((json.dumps(attempt, indent=2) if args.json else format_result(attempt)) + "\n")
    return attempt_exit_code(attempt)


def cmd_signs(args, out) -> int:
    signs = _client(args).signs(query=args.query)
    if args.json:
        out.write(json.dumps(signs, indent=2) + "\n")
        return 0
    for sign in signs:
        videos = len(sign.get("tutorials") or [])
        out.write(f"{sign['index']:>3}  {sign['name']:<16} {sign.get('unit') or '-':<24} {videos} video(s)\n")
    out.write(f"{len(signs)} sign(s)\n")
    return 0


def cmd_progress(args, out) -> int:
    data = _client(args).progress()
    out.write((json.dumps(data, indent=2) if args.json else format_progress(data)) + "\n")
    return 0


def cmd_health(args, out) -> int:
    reply = _client(args).health()
    if args.json:
        out.write(json.dumps(reply.data, indent=2) + "\n")
    else:
        out.write(f"{reply.data.get('status', 'unknown')}\n")
        for name, check in (reply.data.get("checks") or {}).items():
            state = "ok  " if check.get("ok") else "FAIL"
            out.write(f"  {state} {name:<10} {check.get('detail', '')} ({check.get('ms', 0)} ms)\n")
    return 0 if reply.status == 200 else 1


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", default=os.environ.get("SIGNLEARN_URL", DEFAULT_URL), help="server (SIGNLEARN_URL)"
    )
    common.add_argument(
        "--token", default=os.environ.get("SIGNLEARN_TOKEN"), help="API token (SIGNLEARN_TOKEN)"
    )
    common.add_argument("--username", help="log in with a username and password instead of a token")
    common.add_argument("--password")
    common.add_argument("--json", action="store_true", help="print the server's JSON")

    parser = argparse.ArgumentParser(prog="python -m signlearn.client", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    submit = commands.add_parser("submit", parents=[common], help="grade a clip and print the top-10")
    submit.add_argument("clip", help="video, or landmarks as ISLR .parquet / .json")
    target = submit.add_mutually_exclusive_group(required=True)
    target.add_argument("--sign", help="the sign you meant, e.g. hello")
    target.add_argument("--phrase", type=int, help="a phrase id (GET /api/v1/phrases/): graded sign by sign")
    submit.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for grading")
    submit.add_argument("--quiet", action="store_true", help="no progress indicator")
    submit.set_defaults(handler=cmd_submit)
    signs = commands.add_parser("signs", parents=[common], help="list the vocabulary")
    signs.add_argument("--query", default="", help="search names and descriptions")
    signs.set_defaults(handler=cmd_signs)
    progress = commands.add_parser("progress", parents=[common], help="the active learner's progress")
    progress.set_defaults(handler=cmd_progress)
    health = commands.add_parser(
        "health", parents=[common], help="is the server ready (database, broker, model)"
    )
    health.set_defaults(handler=cmd_health)
    return parser


def main(argv: list[str] | None = None, out=None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, out)
    except ClientError as error:
        sys.stderr.write(f"error: {error}\n")
        if error.status == 401:
            sys.stderr.write("hint: pass --token (or SIGNLEARN_TOKEN), or --username and --password\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
