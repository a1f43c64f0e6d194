// Words read in a video's sampled frames: each box is shown while the player is within its frame's time window
// (data-from <= time < data-until, seconds), and not while the player still shows its poster (no frame yet).
"use strict";
(function () {
  for (const holder of document.querySelectorAll(".ocr-video")) {
    const video = holder.querySelector("video");
    const boxes = Array.from(holder.querySelectorAll(".ocr-box"));
    let started = !video.poster; // a seek or playback replaces the poster with the frame at the current time
    function show() {
      const now = video.currentTime;
      for (const box of boxes) {
        box.hidden = !(started && Number(box.dataset.from) <= now && now < Number(box.dataset.until));
      }
    }
    for (const event of ["play", "seeking"]) {
      video.addEventListener(event, () => { started = true; show(); });
    }
    for (const event of ["timeupdate", "seeked", "loadeddata", "ended"]) {
      video.addEventListener(event, show);
    }
    if (video.requestVideoFrameCallback) { // to the frame while playing (timeupdate comes ~4 times a second)
      const frame = () => { show(); video.requestVideoFrameCallback(frame); };
      video.requestVideoFrameCallback(frame);
    }
    show();
  }
})();
