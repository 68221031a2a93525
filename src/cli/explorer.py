"""`make explorer` and `make serve`: the explorer's folder, and a local server for it.

    python -m src.cli.explorer [--quality low]           # videos/low/explorer/
    python -m src.cli.explorer [--quality low] --serve   # build, then serve on 127.0.0.1:8000

The folder goes beside the lecture's files (videos/ for 1080p,
videos/<quality>/ otherwise), where the lecture's index.html links to it.
`--serve` serves that lecture folder, so the lecture page and the explorer
share one address; Ctrl-C stops it. Missing Pyodide (no `npm ci` yet) is one
line and exit status 2.
"""
from __future__ import annotations

import argparse
import functools
import sys
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from src.publish.explorer import ExplorerError, build, folder_size, output_dir


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m src.cli.explorer",
        description="Build the explorer: the lecture's engine, running in a web page.")
    parser.add_argument("-q", "--quality", choices=["low", "medium", "high", "4k"], default="high",
                        help="which lecture folder it goes beside: videos/ for high (default), "
                             "videos/<quality>/ otherwise")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="write the explorer exactly here instead")
    parser.add_argument("--serve", action="store_true",
                        help="then serve the folder it sits in at http://127.0.0.1:PORT/")
    parser.add_argument("--port", type=int, default=8000, help="port for --serve (default 8000)")
    parser.add_argument("--bind", default="127.0.0.1",
                        help="address for --serve (default 127.0.0.1: this machine only)")
    return parser.parse_args(argv)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per failed request only
        if len(args) > 1 and str(args[1]).startswith(("4", "5")):
            super().log_message(format, *args)


def main(argv=None) -> int:
    args = _parse_args(argv)
    out_dir = args.out_dir or output_dir(args.quality)
    started = time.monotonic()
    try:
        folder = build(out_dir)
    except ExplorerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {folder} ({folder_size(folder) / 1e6:.1f} MB, "
          f"{time.monotonic() - started:.1f} s)")
    if not args.serve:
        print(f"serve it: make serve, or: cd {folder} && python3 -m http.server 8000 --bind 127.0.0.1")
        return 0
    site = folder.parent
    handler = functools.partial(_QuietHandler, directory=str(site))
    try:
        server = ThreadingHTTPServer((args.bind, args.port), handler)
    except OSError as error:
        print(f"error: cannot serve on {args.bind}:{args.port}: {error.strerror}; "
              "pick another with --port (make serve PORT=8001)", file=sys.stderr)
        return 2
    host = args.bind if args.bind not in ("0.0.0.0", "") else "127.0.0.1"
    print(f"serving {site} at http://{host}:{args.port}/")
    print(f"  the explorer: http://{host}:{args.port}/{folder.name}/")
    if (site / "index.html").is_file():
        print(f"  the lecture:  http://{host}:{args.port}/")
    print("Ctrl-C stops it.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
