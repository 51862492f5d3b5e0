// MediaPipe Holistic results -> one frame in the ISLR layout (DESIGN §2, ml/layout.py): 543 rows of
// (x, y, z) in the order face 0-467, left hand 468-488, pose 489-521, right hand 522-542; NaN for a part
// not found. Holistic is fed the camera's own (unmirrored) frames with selfieMode off, exactly what the
// Python extractor sees, so x/y are normalised to the unmirrored frame and "left"/"right" follow the
// same MediaPipe convention; only the preview is mirrored, by CSS.
(function () {
  "use strict";

  const ROWS_PER_FRAME = 543;
  const N_COORDS = 3;
  // [results field, first row, rows] in ISLR row order.
  const PARTS = [
    ["faceLandmarks", 0, 468],
    ["leftHandLandmarks", 468, 21],
    ["poseLandmarks", 489, 33],
    ["rightHandLandmarks", 522, 21],
  ];
  const PART_NAMES = { faceLandmarks: "face", leftHandLandmarks: "left_hand", poseLandmarks: "pose", rightHandLandmarks: "right_hand" };

  // One frame as a Float32Array of 543 * 3 numbers, NaN where a part is missing.
  function frameRows(results) {
    const out = new Float32Array(ROWS_PER_FRAME * N_COORDS).fill(NaN);
    for (const [field, start, count] of PARTS) {
      const points = results[field];
      if (!points || !points.length) continue;
      if (points.length !== count) throw new Error(field + ": " + points.length + " landmarks, expected " + count);
      for (let i = 0; i < count; i++) {
        const p = points[i];
        const at = (start + i) * N_COORDS;
        out[at] = p.x;
        out[at + 1] = p.y;
        out[at + 2] = p.z;
      }
    }
    return out;
  }

  // Which parts a frame has: {face: true, left_hand: false, ...}.
  function partsFound(results) {
    const found = {};
    for (const [field] of PARTS) found[PART_NAMES[field]] = !!(results[field] && results[field].length);
    return found;
  }

  // Frames -> the JSON the server reads (practice/landmarks_input.py): [T][543][3], null for NaN,
  // rounded to 1e-5 (a tenth of a pixel on a 4K frame) to keep the body small.
  function toJson(frames) {
    const round = (v) => (Number.isNaN(v) ? null : Math.round(v * 1e5) / 1e5);
    return JSON.stringify(
      frames.map((rows) => {
        const frame = new Array(ROWS_PER_FRAME);
        for (let r = 0; r < ROWS_PER_FRAME; r++) {
          const at = r * N_COORDS;
          frame[r] = [round(rows[at]), round(rows[at + 1]), round(rows[at + 2])];
        }
        return frame;
      })
    );
  }

  window.SignLearnISLR = { ROWS_PER_FRAME, N_COORDS, PARTS, frameRows, partsFound, toJson };
})();
