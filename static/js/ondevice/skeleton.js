// Draws Holistic results (hands, pose, face outline) on a canvas laid over the camera preview. The
// canvas holds the unmirrored frame's pixels; CSS mirrors it together with the preview.
(function () {
  "use strict";

  const COLOURS = { pose: "#f6c84c", face: "#9fd3e6", left: "#ff7a59", right: "#5ad19b" };
  // Pose points of the face and hands are drawn by their own parts: only arms and shoulders here.
  const POSE_BODY_FROM = 11;

  function segments(ctx, points, connections, width, height) {
    ctx.beginPath();
    for (const [a, b] of connections) {
      const p = points[a];
      const q = points[b];
      if (!p || !q) continue;
      ctx.moveTo(p.x * width, p.y * height);
      ctx.lineTo(q.x * width, q.y * height);
    }
    ctx.stroke();
  }

  function dots(ctx, points, width, height, radius) {
    ctx.beginPath();
    for (const p of points) {
      ctx.moveTo(p.x * width + radius, p.y * height);
      ctx.arc(p.x * width, p.y * height, radius, 0, 2 * Math.PI);
    }
    ctx.fill();
  }

  // results: a Holistic result; width/height: the frame's size in pixels (the canvas is resized to it).
  function draw(canvas, results, width, height) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    ctx.lineWidth = Math.max(2, width / 240);
    const parts = [
      ["face", results.faceLandmarks, window.FACEMESH_FACE_OVAL, 0],
      ["pose", results.poseLandmarks, window.POSE_CONNECTIONS, 0],
      ["left", results.leftHandLandmarks, window.HAND_CONNECTIONS, 3],
      ["right", results.rightHandLandmarks, window.HAND_CONNECTIONS, 3],
    ];
    for (const [name, points, connections, radius] of parts) {
      if (!points || !points.length) continue;
      ctx.strokeStyle = ctx.fillStyle = COLOURS[name];
      const drawn = connections || [];
      const lines = name === "pose" ? drawn.filter(([a, b]) => a >= POSE_BODY_FROM && b >= POSE_BODY_FROM) : drawn;
      segments(ctx, points, lines, width, height);
      if (radius) dots(ctx, points, width, height, radius * (width / 640));
    }
  }

  function clear(canvas) {
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  }

  window.SignLearnSkeleton = { draw, clear };
})();
