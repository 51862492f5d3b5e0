// Toggle slow motion on tutorial videos: signs are easier to copy at half speed.
document.querySelectorAll(".speed-toggle").forEach((button) => {
  button.addEventListener("click", () => {
    const video = button.closest("figure").querySelector("video");
    const slow = video.playbackRate !== 1;
    video.playbackRate = slow ? 1 : 0.5;
    button.textContent = slow ? "Slow down" : "Normal speed";
  });
});
