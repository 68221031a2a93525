"""`make explain`: render a video that explains your own expression.

    python -m src.cli.explain "tanh(x*w + b)" x=2 w=-1.5 b=0.5 [--quality low]

The expression is parsed and checked first (src/lesson/expression.py; bad
input gets one line and exit status 2, before anything renders), then the
explainer scene (src/rendering/explainer.py, through explain_expression.py)
renders in the manimgl CLI, and the video and its captions move into place.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from src.lesson.expression import (
    FUNCTIONS, OUTPUT_DIR, SCENE_FILE, SCENE_NAME, ExplainError, explain, scene_environment, slug,
)


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m src.cli.explain",
        description="Render a video that explains the graph and backward pass of an expression.",
        epilog="Example: python -m src.cli.explain \"tanh(x*w + b)\" x=2 w=-1.5 b=0.5 --quality low",
    )
    parser.add_argument("expression", help=f"a formula in names, numbers, + - * / ** and "
                                           f"{', '.join(FUNCTIONS)}")
    parser.add_argument("values", nargs="*", metavar="NAME=NUMBER",
                        help="one value per variable")
    parser.add_argument("-q", "--quality", choices=["low", "medium", "high", "4k"],
                        default="high", help="low=480p ... high=1080p (default), 4k")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="where the video goes (default: videos/explain/ for high "
                             "quality, videos/explain/<quality>/ for the others, as the scenes)")
    parser.add_argument("--check", action="store_true",
                        help="only check the input; render nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="show manimgl's output")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = _parse_args(argv)
    if args.out_dir is None:  # a quick low-quality look never overwrites the 1080p video
        args.out_dir = OUTPUT_DIR if args.quality == "high" else OUTPUT_DIR / args.quality
    try:
        explanation = explain(args.expression, args.values)
    except ExplainError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    name = slug(explanation.expression.text, explanation.values)
    if args.check:
        print(f"ok: {explanation.operations} operations, depth {explanation.depth}; "
              f"would write {args.out_dir / (name + '.mp4')}")
        return 0
    # No manim import here: the scene renders in the manimgl CLI.
    from src.publish.progress import SceneJob, reporting
    from src.publish.render import render_scene

    out_dir = args.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".explain-", dir=out_dir))
    error_file = work / "error.txt"
    try:
        # One redrawn line on a terminal, a line every few seconds in a log.
        job = SceneJob(name, out_dir / f"{name}.mp4", reasons=[], inputs={})
        with reporting([job], sys.stderr):
            job.start()
            ok, info = render_scene(SCENE_NAME, SCENE_FILE, args.quality, False, work,
                                    args.verbose, None, progress=job.frames_done,
                                    extra_env=scene_environment(explanation, str(error_file)))
        if not ok:
            if error_file.is_file():  # the scene refused (its own exact legibility check)
                print(f"error: {error_file.read_text(encoding='utf-8').strip()}",
                      file=sys.stderr)
                return 2
            print(f"error: the render failed; last lines of manimgl's output:\n{info}",
                  file=sys.stderr)
            return 1
        produced = Path(info)
        final = out_dir / f"{name}.mp4"
        for suffix in (".narration.json", ".vtt"):
            side = produced.with_name(produced.stem + suffix)
            if side.is_file():
                os.replace(side, final.with_name(final.stem + suffix))
        os.replace(produced, final)
        shown = os.path.relpath(final, Path.cwd())
        print(f"wrote {shown} (+ {final.stem}.vtt)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

