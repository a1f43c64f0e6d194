"""Video variants: a source clip re-cut for each platform (size, fit, length, titles, subtitles, logo, loudness,
cover), encoded once per distinct recipe. Pipeline: `probe` the source → load the platform's video `template` →
draw text overlays with the graphics engine (`overlays`) → build the ffmpeg filter graph (`graph`) or the moviepy
composition (`compose`) → `encode` (progress, atomic output, faststart) → the cover frame.
"""
