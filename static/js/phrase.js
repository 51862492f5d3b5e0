// Phrase tutorial: play the phrase's sign clips (and the whole-phrase clip, if there is one) back to back
// in one player, highlighting the sign that is playing.
(function () {
  "use strict";

  const player = document.querySelector("[data-phrase-player]");
  const list = document.querySelector("[data-phrase-steps]");
  if (!player || !list) return;
  const steps = Array.from(list.querySelectorAll("li[data-clip]"));
  const nowPlaying = document.querySelector("[data-now-playing]");
  if (!steps.length) {
    player.hidden = true;
    if (nowPlaying) nowPlaying.textContent = "No tutorial videos for these signs yet.";
    return;
  }
  let current = 0;

  function load(index, autoplay) {
    current = index;
    steps.forEach((step, i) => step.classList.toggle("is-playing", i === index));
    const rate = player.playbackRate;
    player.src = steps[index].dataset.clip;
    player.playbackRate = rate;
    if (nowPlaying) nowPlaying.textContent = (index + 1) + " of " + steps.length + ": " + steps[index].dataset.label;
    if (autoplay) player.play().catch(() => {});
  }

  player.addEventListener("ratechange", () => {
    player.defaultPlaybackRate = player.playbackRate; // keep slow motion across clips
  });
  player.addEventListener("ended", () => load((current + 1) % steps.length, current + 1 < steps.length));
  load(0, false);
})();
