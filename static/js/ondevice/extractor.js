// MediaPipe Holistic (legacy solution, npm @mediapipe/holistic, served from our own static files) with
// the Python extractor's configuration (ml/landmarks.py): model complexity 1, smoothing on, no
// segmentation, no iris refinement, confidences 0.5, selfie mode off (unmirrored frames).
(function () {
  "use strict";

  const OPTIONS = {
    modelComplexity: 1,
    smoothLandmarks: true,
    enableSegmentation: false,
    refineFaceLandmarks: false,
    minDetectionConfidence: 0.5,
    minTrackingConfidence: 0.5,
    selfieMode: false,
  };

  // Why this browser cannot run Holistic, or "" when it can (WebAssembly and WebGL2 are needed).
  function unsupportedReason() {
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") return "no WebAssembly";
    try {
      if (!document.createElement("canvas").getContext("webgl2")) return "no WebGL2";
    } catch (error) {
      return "no WebGL2";
    }
    return "";
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.crossOrigin = "anonymous";
      script.addEventListener("load", resolve);
      script.addEventListener("error", () => reject(new Error("could not load " + src)));
      document.head.appendChild(script);
    });
  }

  class Extractor {
    // base: the URL folder holding holistic.js and its WASM/model files (ends with "/").
    constructor(base) {
      this.base = base;
      this.holistic = null;
      this.results = null;
      this.busy = Promise.resolve();
    }

    async load() {
      const reason = unsupportedReason();
      if (reason) throw new Error(reason);
      if (!window.Holistic) await loadScript(this.base + "holistic.js");
      this.holistic = new window.Holistic({ locateFile: (file) => this.base + file });
      this.holistic.setOptions(OPTIONS);
      this.holistic.onResults((results) => {
        this.results = results;
      });
      await this.holistic.initialize();
      return this;
    }

    // Landmarks of one image (video, canvas or image element), in order: calls are serialised because
    // Holistic tracks from one frame to the next. Resolves to {results, ms}.
    process(image) {
      const run = this.busy.then(async () => {
        const started = performance.now();
        this.results = null;
        await this.holistic.send({ image: image });
        return { results: this.results || {}, ms: performance.now() - started };
      });
      this.busy = run.catch(() => {});
      return run;
    }

    // Forget the tracking state (a new clip), as ml.landmarks does between videos.
    reset() {
      this.busy = this.busy.then(() => this.holistic.reset());
      return this.busy;
    }
  }

  window.SignLearnExtractor = { Extractor, unsupportedReason, OPTIONS };
})();
