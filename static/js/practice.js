// Practice panel: record (camera preview, 3-2-1 countdown, 3-5 s, replay, retake) or upload a clip,
// submit it, poll the attempt's status and show the graded result rendered by the server.
(function () {
  "use strict";

  const POLL_MS = 1000;
  // Landmarks are graded in well under a second: poll fast at first so the result shows as soon as it is in.
  const POLL_FAST_MS = 200;
  const POLL_FAST_FOR_MS = 3000;
  const POLL_GIVE_UP_MS = 5 * 60 * 1000;
  const MIME_TYPES = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm", "video/mp4"];

  const panel = document.getElementById("practice-panel");
  if (!panel) return;
  // A phrase panel records longer than a single sign's (data attributes set by the server).
  const MIN_SECONDS = Number(panel.dataset.minSeconds) || 3;
  const MAX_SECONDS = Number(panel.dataset.maxSeconds) || 5;

  const $ = (selector) => panel.querySelector(selector);
  const recorderBox = $("[data-recorder]");
  const preview = $("[data-preview]");
  const playback = $("[data-playback]");
  const countdown = $("[data-countdown]");
  const recIndicator = $("[data-rec]");
  const elapsed = $("[data-elapsed]");
  const stageHint = $("[data-stage-hint]");
  const statusBox = $("[data-status]");
  const resultBox = $("[data-result]");
  const uploadForm = $("[data-upload-form]");
  const buttons = {
    camera: $('[data-action="camera"]'),
    record: $('[data-action="record"]'),
    stop: $('[data-action="stop"]'),
    retake: $('[data-action="retake"]'),
    submit: $('[data-action="submit"]'),
  };

  let stream = null;
  let recorder = null;
  let chunks = [];
  let recording = null; // {blob, url, type}
  let timers = [];

  function show(names) {
    for (const [name, button] of Object.entries(buttons)) button.hidden = !names.includes(name);
  }

  // The buttons for what the parent can do next, once nothing is uploading: after a result, record again
  // (retake) or, when they uploaded a file, turn the camera on; after a refused upload, try again.
  function idle(afterResult) {
    if (stream && recording) return afterResult ? ["retake"] : ["retake", "submit"];
    if (stream) return ["record"];
    return canRecord ? ["camera"] : [];
  }

  function setStatus(text, kind) {
    statusBox.textContent = text || "";
    statusBox.className = "practice-status" + (kind ? " " + kind : "");
  }

  function clearTimers() {
    timers.forEach((t) => clearTimeout(t));
    timers = [];
  }

  function csrfToken() {
    const input = uploadForm.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  const canRecord = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  if (canRecord) {
    recorderBox.hidden = false;
  } else {
    uploadForm.closest("details").open = true;
  }

  async function cameraOn() {
    setStatus("");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
        audio: false,
      });
    } catch (error) {
      setStatus("We could not open your camera (" + error.name + "). You can upload a video file instead.", "error");
      uploadForm.closest("details").open = true;
      return;
    }
    preview.srcObject = stream;
    preview.hidden = false;
    playback.hidden = true;
    stageHint.hidden = true;
    show(["record"]);
    buttons.record.focus();
  }

  function startCountdown() {
    show([]);
    countdown.hidden = false;
    let n = 3;
    countdown.textContent = n;
    const tick = () => {
      n -= 1;
      if (n > 0) {
        countdown.textContent = n;
        timers.push(setTimeout(tick, 1000));
      } else {
        countdown.hidden = true;
        startRecording();
      }
    };
    timers.push(setTimeout(tick, 1000));
  }

  function startRecording() {
    const type = MIME_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || "";
    chunks = [];
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    recorder.ondataavailable = (event) => {
      if (event.data && event.data.size) chunks.push(event.data);
    };
    recorder.onstop = finishRecording;
    const started = performance.now();
    recorder.start(250);
    panel.dispatchEvent(new CustomEvent("practice:record", { detail: { state: "start" } }));
    recIndicator.hidden = false;
    show(["stop"]);
    buttons.stop.disabled = true;
    const update = () => {
      const seconds = (performance.now() - started) / 1000;
      elapsed.textContent = seconds.toFixed(1);
      if (seconds >= MIN_SECONDS) buttons.stop.disabled = false;
      if (seconds >= MAX_SECONDS) stopRecording();
      else timers.push(setTimeout(update, 100));
    };
    update();
  }

  function stopRecording() {
    clearTimers();
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  function finishRecording() {
    panel.dispatchEvent(new CustomEvent("practice:record", { detail: { state: "stop" } }));
    recIndicator.hidden = true;
    const type = (recorder.mimeType || "video/webm").split(";")[0];
    const blob = new Blob(chunks, { type: type });
    if (recording) URL.revokeObjectURL(recording.url);
    recording = { blob: blob, url: URL.createObjectURL(blob), type: type };
    playback.src = recording.url;
    playback.hidden = false;
    preview.hidden = true;
    playback.play().catch(() => {});
    show(["retake", "submit"]);
    setStatus("Watch your recording. Submit it for grading, or retake it.");
    buttons.submit.focus();
  }

  function retake() {
    clearTimers();
    if (recording) URL.revokeObjectURL(recording.url);
    recording = null;
    playback.hidden = true;
    playback.removeAttribute("src");
    preview.hidden = false;
    resultBox.innerHTML = "";
    setStatus("");
    show(["record"]);
  }

  async function submit(formData, url) {
    clearTimers();
    show([]);
    resultBox.innerHTML = "";
    setStatus("Uploading…", "busy");
    let response;
    try {
      response = await fetch(url || uploadForm.action, {
        method: "POST",
        body: formData,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
    } catch (error) {
      setStatus("The upload failed (" + error.message + "). Check your connection and try again.", "error");
      show(idle(false));
      return;
    }
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) {
      setStatus(payload.detail || "The upload was refused.", "error");
      show(idle(false));
      return;
    }
    poll(payload.status_url, performance.now());
  }

  async function poll(url, since) {
    let payload;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      payload = await response.json();
    } catch (error) {
      payload = null;
    }
    if (payload && payload.html) {
      const firstShown = !resultBox.querySelector("[data-attempt-status=graded], [data-attempt-status=failed]");
      resultBox.innerHTML = payload.html;
      if (firstShown) {
        setStatus(payload.status === "graded" ? "Graded." : "");
        const heading = resultBox.querySelector("h3");
        if (heading) {
          heading.tabIndex = -1;
          heading.focus();
        }
        show(idle(true));
      }
      // The replay is drawn just after the grade is stored: fetch the result again once it is there.
      if (payload.replay_pending && performance.now() - since < POLL_GIVE_UP_MS) {
        timers.push(setTimeout(() => poll(url, since), POLL_MS));
      }
      return;
    }
    if (performance.now() - since > POLL_GIVE_UP_MS) {
      setStatus("Grading is taking unusually long. Your attempt is saved; check back on this page later.", "error");
      return;
    }
    const waiting = payload && payload.status === "processing" ? "Grading your clip…" : "Waiting for a grader…";
    setStatus(waiting, "busy");
    const delay = performance.now() - since < POLL_FAST_FOR_MS ? POLL_FAST_MS : POLL_MS;
    timers.push(setTimeout(() => poll(url, since), delay));
  }

  buttons.camera.addEventListener("click", cameraOn);
  buttons.record.addEventListener("click", startCountdown);
  buttons.stop.addEventListener("click", stopRecording);
  buttons.retake.addEventListener("click", retake);
  buttons.submit.addEventListener("click", async () => {
    if (!recording) return;
    const onDevice = window.SignLearnOnDevice; // static/js/ondevice/panel.js: landmarks, not the video
    if (onDevice && onDevice.active()) {
      show([]);
      setStatus("Preparing your landmarks…", "busy");
      try {
        const prepared = await onDevice.submission(new FormData(uploadForm), recording);
        submit(prepared.data, prepared.url);
      } catch (error) {
        setStatus(error.message, "error");
        show(idle(false));
      }
      return;
    }
    const data = new FormData(uploadForm);
    data.delete("video");
    const extension = recording.type.includes("mp4") ? "mp4" : "webm";
    data.append("video", recording.blob, "recording." + extension);
    submit(data);
  });
  uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(new FormData(uploadForm));
  });
  window.addEventListener("pagehide", () => {
    if (stream) stream.getTracks().forEach((track) => track.stop());
  });
})();
