"""From rendered scenes to the published lecture (no manim import here).

    captions    narration beats -> caption cues, WebVTT and SubRip files
    freshness   the up-to-date rule: which scenes must render again
    assemble    one lecture video with chapters (ffmpeg, stream copy)
    posters     a poster frame per scene and a contact sheet
    page        index.html: the lecture and its scenes, offline
    build       `make lecture`: render what is stale, then all of the above
"""
