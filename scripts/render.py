#!/usr/bin/env python3
"""`make video` / `make frame`: render scenes headlessly (see src/publish/render.py).

    .venv/bin/python scripts/render.py -q low --scenes BackwardPassScene
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from src.publish.render import *  # noqa: E402,F401,F403
from src.publish.render import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
