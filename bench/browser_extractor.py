"""The page's landmark extractor (static/js/ondevice/) in headless Debian Chromium, fed chosen RGB frames.

Used by bench/browser_parity.py and the on-device tests, so both compare the browser and `ml.landmarks`
on exactly the same pixels: each frame is drawn on a canvas in the page and handed to MediaPipe Holistic
(WASM + WebGL2, software-rendered by SwiftShader here). Files are served to the page by Playwright from
node_modules and static/, at a made-up origin: the page fetches nothing from the internet.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_DIR = Path(__file__).resolve().parents[1]
HOLISTIC_DIR = REPO_DIR / "node_modules" / "@mediapipe" / "holistic"
ONDEVICE_JS = REPO_DIR / "static" / "js" / "ondevice"
ORIGIN = "http://signlearn.test"
# Software WebGL2 for Holistic's GPU calculators: headless Chromium on a machine without a GPU.
WEBGL_ARGS = ["--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
# The strictest policy the practice page can have with Holistic: its WASM needs 'wasm-unsafe-eval'.
PAGE_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' blob: data:"
HARNESS_HTML = """<!doctype html><html><head><meta charset="utf-8">
<script src="/js/islr.js"></script><script src="/js/extractor.js"></script></head>
<body><canvas id="frame"></canvas></body></html>"""

LOAD_JS = """async () => {
  const extractor = new SignLearnExtractor.Extractor("/holistic/");
  await extractor.load();
  window.extractor = extractor;
  return true;
}"""

# One RGB frame (base64) -> canvas -> Holistic -> ISLR rows (NaN survives Playwright's serialisation).
PROCESS_JS = """async ({ width, height, rgb }) => {
  const bytes = Uint8Array.from(atob(rgb), (c) => c.charCodeAt(0));
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < bytes.length; i += 3, j += 4) {
    rgba[j] = bytes[i]; rgba[j + 1] = bytes[i + 1]; rgba[j + 2] = bytes[i + 2]; rgba[j + 3] = 255;
  }
  const canvas = document.getElementById("frame");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  const { results, ms } = await window.extractor.process(canvas);
  return { rows: Array.from(SignLearnISLR.frameRows(results)), ms };
}"""


@dataclass
class BrowserExtraction:
    data: np.ndarray  # [T, 543, 3] float32, ISLR order, NaN where missing
    frame_ms: list[float]  # Holistic time per frame in the page
    load_s: float  # loading the WASM and models


def chromium_args() -> list[str]:
    from conftest import CHROMIUM_ARGS

    return [arg for arg in CHROMIUM_ARGS if arg != "--disable-gpu"] + WEBGL_ARGS


def chromium_path() -> Path:
    return Path(os.environ.get("SIGNLEARN_CHROMIUM", "/usr/bin/chromium"))


def _serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?", 1)[0]
    if path == "/harness.html":
        headers = {"Content-Security-Policy": PAGE_CSP}
        route.fulfill(status=200, content_type="text/html", body=HARNESS_HTML, headers=headers)
        return
    for prefix, folder in (("/holistic/", HOLISTIC_DIR), ("/js/", ONDEVICE_JS)):
        if path.startswith(prefix):
            file = (folder / path.removeprefix(prefix)).resolve()
            if file.parent == folder.resolve() and file.is_file():
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                route.fulfill(status=200, content_type=kind, body=file.read_bytes())
                return
    route.fulfill(status=404, body="not found")


class BrowserExtractor:
    """A Chromium page holding one Holistic graph; `extract(frames)` is one clip (tracking reset first)."""

    def __init__(self, playwright, *, profile_dir: Path, timeout_ms: int = 120_000):
        if not (HOLISTIC_DIR / "holistic.js").exists():
            raise FileNotFoundError(f"{HOLISTIC_DIR} is missing: run `npm ci` (make frontend)")
        self.context = playwright.chromium.launch_persistent_context(
            str(profile_dir), executable_path=str(chromium_path()), headless=True, args=chromium_args()
        )
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.set_default_timeout(timeout_ms)
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.context.route(f"{ORIGIN}/**", _serve)
        started = time.perf_counter()
        self.page.goto(f"{ORIGIN}/harness.html")
        self.page.evaluate(LOAD_JS)
        refused = [line for line in self.console if "Content Security Policy" in line]
        if refused:
            raise RuntimeError(f"the page's Content-Security-Policy blocked Holistic: {refused}")
        self.load_s = time.perf_counter() - started

    def extract(self, frames: list[np.ndarray]) -> BrowserExtraction:
        self.page.evaluate("() => window.extractor.reset()")
        rows, frame_ms = [], []
        for frame in frames:
            height, width = frame.shape[:2]
            rgb = base64.b64encode(np.ascontiguousarray(frame, dtype=np.uint8).tobytes()).decode()
            answer = self.page.evaluate(PROCESS_JS, {"width": width, "height": height, "rgb": rgb})
            rows.append(np.array(answer["rows"], dtype=np.float32).reshape(543, 3))
            frame_ms.append(float(answer["ms"]))
        data = np.stack(rows) if rows else np.empty((0, 543, 3), dtype=np.float32)
        return BrowserExtraction(data=data, frame_ms=frame_ms, load_s=self.load_s)

    def close(self) -> None:
        self.context.close()


def evenly_spaced(n_total: int, n: int) -> list[int]:
    """n frame indices spread evenly over a clip of n_total frames (all of them if n >= n_total)."""
    if n >= n_total:
        return list(range(n_total))
    return [int(round(i)) for i in np.linspace(0, n_total - 1, n)]
