"""Command-line entry points: make video, lecture, slides, explain (python -m src.cli.<name>)."""
