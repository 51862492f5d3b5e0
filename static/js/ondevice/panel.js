// On-device practice: runs Holistic on the camera preview, draws the parent's skeleton over it with
// hints when a hand or the face leaves the picture, keeps the recording's landmarks in the ISLR layout
// and hands practice.js a landmark submission, so the video stays on the device (unless the parent opts
// in to uploading it for the replay). Falls back to record-and-upload when the browser lacks WebAssembly
// or WebGL2, when the files are not installed, or when Holistic runs below MIN_FPS.
//
// Page switches (query string): ?ondevice=off never runs it; ?ondevice=force skips the frame-rate check
// (tests on slow machines); &ondevice_frames=N samples N evenly spaced frames while recording and
// extracts them after it (a slow machine cannot keep up live); &debug=1 shows the frame rate.
(function () {
  "use strict";

  const MIN_FPS = 8;
  const PROBE_FRAMES = 5; // frames timed, after the first (warm-up), before deciding
  const HOPELESS_MS = 1000; // one frame this slow after warm-up settles it: far below MIN_FPS
  const MAX_SECONDS = 5; // practice.js stops recording after 5 s
  const HINT_AFTER = 3; // consecutive frames a part must be missing before the hint shows
  const EDGE = 0.06; // a hand last seen this close to the frame's edge has left the picture
  // Holistic's WASM holds the main thread for a whole frame; with ondevice_frames (a slow machine) the live
  // skeleton only refreshes this often, so clicks, timers and the recorder still get their turn.
  const SAMPLED_LIVE_GAP_MS = 3000;
  // Recorded frames at most at the grading worker's rate (SIGNLEARN_GRADING_FPS), as the server would take them.
  const RECORD_FPS = 15;
  const FALLBACK_END = "so your clip will be uploaded and graded on our server.";

  const panel = document.getElementById("practice-panel");
  const box = panel && panel.querySelector("[data-ondevice]");
  if (!box || !window.SignLearnISLR || !window.SignLearnExtractor) return;
  const $ = (selector) => panel.querySelector(selector);
  const preview = $("[data-preview]");
  const canvas = $("[data-skeleton]");
  const hint = $("[data-ondevice-hint]");
  const fpsBox = $("[data-fps]");
  const note = box.querySelector("[data-ondevice-note]");
  const optin = box.querySelector("[data-ondevice-optin]");
  const optinBox = optin.querySelector("input[type=checkbox]");
  const privacy = $("[data-privacy]");
  const ISLR = window.SignLearnISLR;

  const params = new URLSearchParams(window.location.search);
  const mode = params.get("ondevice") || "auto"; // auto | force | off
  const sampled = Math.max(0, parseInt(params.get("ondevice_frames") || "0", 10) || 0);
  if (params.has("debug")) fpsBox.hidden = false;

  let state = "idle"; // idle -> loading -> probing -> live | fallback
  let extractor = null;
  let looping = false;
  let recording = false;
  let recordingOnDevice = false; // this recording's landmarks were taken on the device
  let frames = []; // Float32Array(543 * 3) per frame of the recording
  let snapshots = [];
  let snapshotTimer = null;
  let extracting = Promise.resolve();
  let probe = [];
  let lastKept = -Infinity; // when the last recorded frame was kept
  let fps = 0;
  const missing = { face: 0, hands: 0 };
  const lastWrist = { left_hand: null, right_hand: null };

  function setState(next) {
    state = next;
    box.dataset.state = next;
  }

  function setPrivacy() {
    const live = state === "live";
    optin.hidden = !live;
    privacy.textContent = !live
      ? privacy.dataset.uploadText
      : optinBox.checked
        ? privacy.dataset.optinText
        : privacy.dataset.ondeviceText;
  }

  function fallBack(sentence) {
    setState("fallback");
    note.textContent = sentence;
    note.hidden = false;
    canvas.hidden = true;
    hint.hidden = true;
    setPrivacy();
  }

  function goLive() {
    setState("live");
    note.hidden = true;
    setPrivacy();
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const cameraOn = () => !!(preview.srcObject && preview.srcObject.active);

  async function start() {
    if (state === "live" || state === "probing") return loop();
    if (state !== "idle") return;
    if (mode === "off") return fallBack("On-device landmarks are switched off, " + FALLBACK_END);
    setState("loading");
    note.textContent = "Loading the hand tracker on this device…";
    note.hidden = false;
    try {
      extractor = await new window.SignLearnExtractor.Extractor(box.dataset.holisticBase).load();
    } catch (error) {
      return fallBack("This browser cannot find your hands on the device (" + error.message + "), " + FALLBACK_END);
    }
    if (mode === "force") goLive();
    else {
      setState("probing");
      note.textContent = "Checking that this device can follow your hands…";
    }
    canvas.hidden = false;
    loop();
  }

  function timed(ms) {
    fps = fps ? 0.8 * fps + 0.2 * (1000 / ms) : 1000 / ms;
    fpsBox.textContent = "Holistic " + fps.toFixed(1) + " frames/s (" + Math.round(ms) + " ms)";
    if (state !== "probing") return;
    probe.push(ms);
    const timedFrames = probe.slice(1); // the first frame only warms up
    if (!timedFrames.length) return;
    if (timedFrames.length < PROBE_FRAMES && ms < HOPELESS_MS) return;
    const rate = 1000 / (timedFrames.reduce((a, b) => a + b, 0) / timedFrames.length);
    if (rate < MIN_FPS) {
      fallBack("This device finds your hands too slowly (" + rate.toFixed(1) + " frames/s), " + FALLBACK_END);
    } else goLive();
  }

  function showHints(results) {
    const found = ISLR.partsFound(results);
    let text = "";
    missing.face = found.face ? 0 : missing.face + 1;
    missing.hands = found.left_hand || found.right_hand ? 0 : missing.hands + 1;
    for (const part of ["left_hand", "right_hand"]) {
      const field = part === "left_hand" ? "leftHandLandmarks" : "rightHandLandmarks";
      if (found[part]) lastWrist[part] = results[field][0];
      else if (lastWrist[part]) {
        const w = lastWrist[part];
        if (w.x < EDGE || w.x > 1 - EDGE || w.y > 1 - EDGE) text = "A hand left the picture: step back a little.";
        lastWrist[part] = null;
      }
    }
    if (missing.face >= HINT_AFTER) text = "Keep your face in the picture.";
    else if (missing.hands >= HINT_AFTER) text = "Show your hands in the picture.";
    if (text) {
      hint.textContent = text;
      hint.hidden = false;
    } else if (found.face && (found.left_hand || found.right_hand)) hint.hidden = true;
  }

  async function loop() {
    if (looping) return;
    looping = true;
    try {
      while (cameraOn() && (state === "live" || state === "probing")) {
        const paused = preview.hidden || preview.readyState < 2 || (sampled && (recording || snapshots.length));
        if (paused) {
          await sleep(200);
          continue;
        }
        const { results, ms } = await extractor.process(preview);
        timed(ms);
        if (state === "fallback") break;
        window.SignLearnSkeleton.draw(canvas, results, preview.videoWidth, preview.videoHeight);
        showHints(results);
        const now = performance.now();
        if (recording && recordingOnDevice && !sampled && now - lastKept >= 1000 / RECORD_FPS - 5) {
          frames.push(ISLR.frameRows(results));
          lastKept = now;
        }
        box.dataset.frames = String(frames.length);
        await sleep(sampled ? SAMPLED_LIVE_GAP_MS : 0); // a macrotask turn: events and timers run
      }
    } finally {
      looping = false;
    }
  }

  function snapshot() {
    const frame = document.createElement("canvas");
    frame.width = preview.videoWidth;
    frame.height = preview.videoHeight;
    frame.getContext("2d").drawImage(preview, 0, 0);
    snapshots.push(frame);
  }

  function recordStarted() {
    recording = true;
    recordingOnDevice = state === "live";
    frames = [];
    lastKept = -Infinity;
    box.dataset.frames = "0";
    delete box.dataset.extracted;
    if (!recordingOnDevice) return;
    extractor.reset(); // a new clip, as ml.landmarks starts each video afresh
    if (sampled) {
      snapshots = [];
      snapshot();
      snapshotTimer = setInterval(() => {
        if (snapshots.length < sampled) snapshot();
      }, (MAX_SECONDS * 1000) / sampled);
    }
  }

  function recordStopped() {
    recording = false;
    clearInterval(snapshotTimer);
    if (!recordingOnDevice || !sampled) return;
    const queued = snapshots;
    extracting = (async () => {
      for (const frame of queued) {
        const { results, ms } = await extractor.process(frame);
        timed(ms);
        frames.push(ISLR.frameRows(results));
        box.dataset.frames = String(frames.length);
        await sleep(0);
      }
      snapshots = [];
      box.dataset.extracted = "true";
      loop();
    })();
  }

  // For practice.js: whether the last recording goes as landmarks, and the request that sends it.
  function active() {
    return recordingOnDevice && state === "live";
  }

  async function submission(formData, recorded) {
    await extracting;
    if (!frames.length) throw new Error("We could not follow you in this recording: retake it with your hands and face in the picture.");
    formData.delete("video");
    formData.append("landmarks", new Blob([ISLR.toJson(frames)], { type: "application/json" }), "landmarks.json");
    if (optinBox.checked) {
      const extension = recorded.type.includes("mp4") ? "mp4" : "webm";
      formData.append("video", recorded.blob, "recording." + extension);
    }
    return { url: box.dataset.landmarksUrl, data: formData };
  }

  preview.addEventListener("playing", start);
  panel.addEventListener("practice:record", (event) => {
    if (event.detail.state === "start") recordStarted();
    else recordStopped();
  });
  optinBox.addEventListener("change", setPrivacy);
  privacy.dataset.uploadText = privacy.textContent;
  window.SignLearnOnDevice = { active, submission };
})();
