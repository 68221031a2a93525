"""Rendering: LectureScene, the explainer's scene, the render speed-up with its fallback, and finding a file's scenes."""
