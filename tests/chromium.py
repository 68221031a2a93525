"""A small driver for headless Chromium, for tests (standard library only).

It speaks the Chrome DevTools Protocol over `--remote-debugging-pipe`:
Chromium reads commands from its file descriptor 3 and writes replies and
events to its file descriptor 4, one JSON message per NUL-terminated chunk.
No port, no websocket, no extra Python package.

    with Chromium() as browser:
        browser.open(page.as_uri())
        browser.evaluate("document.title")                 # -> str
        browser.evaluate("fetchSomething()")                # promises are awaited
        browser.click("a.chapter")                          # a real mouse click
        browser.screenshot(Path("/tmp/page.png"), full_page=True)

`require_chromium()` skips the calling test, with the Debian install
command, when the browser is not installed (scripts/system-deps.sh installs
it for `make test`).
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = "apt-get install -y --no-install-recommends chromium  (or: bash scripts/system-deps.sh)"

# The machine running the tests may have no network at all: every flag below
# that turns off a background service keeps Chromium from stalling on
# refused connections (updates, sync, safe browsing lists, field trials...).
FLAGS = [
    "--headless",
    "--no-sandbox",                   # tests may run as root, in a container
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]


class ChromiumError(RuntimeError):
    pass


def find_chromium() -> str | None:
    """Path of the Chromium executable, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """Path of Chromium; skips the test (saying how to install it) if missing."""
    path = find_chromium()
    if path is None:
        import pytest
        pytest.skip(f"Chromium is not installed; install it with: {INSTALL_HINT}")
    return path


class Chromium:
    """One headless browser with one page, driven over the DevTools pipe."""

    def __init__(self, executable: str | None = None, width: int = 1280, height: int = 800,
                 timeout: float = 20.0, extra_flags: list[str] | None = None):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise ChromiumError(f"Chromium is not installed; install it with: {INSTALL_HINT}")
        self.width, self.height, self.timeout = width, height, timeout
        self.extra_flags = list(extra_flags or [])
        self.process: subprocess.Popen | None = None
        self.session: str | None = None
        self.events: list[dict] = []      # events received and not yet consumed
        self.console: list[str] = []      # console messages and uncaught exceptions of the page
        self._next_id = 0
        self._buffer = b""

    # -- life cycle ---------------------------------------------------------

    def __enter__(self) -> "Chromium":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="chromium-test-")
        # Chromium's own log goes to a file: an unread pipe could fill and stall it.
        self._log = open(os.path.join(self.profile, "stderr.log"), "w+b")
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # The child's ends, moved to numbers above 4 so that they cannot clash
        # with the descriptors 3 and 4 that bash puts them on.
        child_fds = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
                          for fd in (to_browser_r, from_browser_w))
        # bash puts the two pipe ends on descriptors 3 and 4 (whatever numbers
        # they have here), closes the originals and then becomes Chromium.
        script = f'exec 3<&{child_fds[0]} 4>&{child_fds[1]} {child_fds[0]}<&- {child_fds[1]}>&-; exec "$@"'
        args = [self.executable, *FLAGS, *self.extra_flags,
                f"--user-data-dir={self.profile}",
                f"--window-size={self.width},{self.height}", "about:blank"]
        self.process = subprocess.Popen(
            ["bash", "-c", script, "chromium", *args],
            pass_fds=child_fds, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True)
        for fd in (to_browser_r, from_browser_w, *child_fds):
            os.close(fd)
        self._write_fd, self._read_fd = to_browser_w, from_browser_r
        try:
            self._attach()
        except Exception:
            self.close()
            raise

    def _attach(self) -> None:
        """Attach to the browser's first page with a flat session."""
        targets = self.call("Target.getTargets")["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        if pages:
            target = pages[0]["targetId"]
        else:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page.enable", "Runtime.enable"):
            self.call(domain, session=True)
        self.set_viewport(self.width, self.height)

    def close(self) -> None:
        """Ask the browser to quit; kill it if it does not within a few seconds."""
        process, self.process = self.process, None
        if process is None:
            return
        try:
            if process.poll() is None:
                try:
                    self._send("Browser.close", {}, None)
                except OSError:
                    pass
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait(timeout=5)
        finally:
            for fd in (self._write_fd, self._read_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._log.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    # -- protocol -----------------------------------------------------------

    def _send(self, method: str, params: dict, session: str | None) -> int:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            written = os.write(self._write_fd, data)
            data = data[written:]
        return self._next_id

    def _receive(self, deadline: float) -> dict:
        """The next message from the browser (reply or event)."""
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChromiumError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise ChromiumError("Chromium closed the DevTools pipe" + self._stderr_tail())
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        if message.get("method") == "Runtime.consoleAPICalled":
            params = message["params"]
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.console.append(f"{params['type']}: {text}")
        elif message.get("method") == "Runtime.exceptionThrown":
            details = message["params"]["exceptionDetails"]
            self.console.append("exception: " + details.get("exception", {}).get("description", details["text"]))
        return message

    def _stderr_tail(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return ":\n" + self._log.read().decode(errors="replace")[-2000:]

    def call(self, method: str, session: bool = False, timeout: float | None = None, **params) -> dict:
        """Send a command (to the page when session=True) and return its result."""
        if self.process is None:
            raise ChromiumError("the browser is not running")
        ident = self._send(method, params, self.session if session else None)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            message = self._receive(deadline)
            if message.get("id") == ident:
                if "error" in message:
                    raise ChromiumError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for_event(self, method: str, timeout: float | None = None) -> dict:
        """Parameters of the first (pending or coming) event named `method`."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(i)["params"]
            message = self._receive(deadline)
            if "method" in message:
                self.events.append(message)

    # -- page ---------------------------------------------------------------

    def set_viewport(self, width: int, height: int, scale: float = 1, mobile: bool = False) -> None:
        self.width, self.height = width, height
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                  height=height, deviceScaleFactor=scale, mobile=mobile)

    def open(self, url: str) -> None:
        """Navigate and wait for the page's load event."""
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        result = self.call("Page.navigate", session=True, url=url)
        if result.get("errorText"):
            raise ChromiumError(f"cannot open {url}: {result['errorText']}")
        self.wait_for_event("Page.loadEventFired")

    def evaluate(self, expression: str, timeout: float | None = None):
        """Value of a JavaScript expression in the page (promises are awaited)."""
        result = self.call("Runtime.evaluate", session=True, timeout=timeout,
                           expression=expression, awaitPromise=True, returnByValue=True,
                           userGesture=False)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise ChromiumError(f"JavaScript error: {text}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (a user gesture) in the middle of the element."""
        box = self.evaluate(f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return null;
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect();
            return {{x: r.left + r.width / 2, y: r.top + r.height / 2}};
        }})()""")
        if box is None:
            raise ChromiumError(f"no element matches {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=box["x"], y=box["y"],
                      button="left", clickCount=1)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """Write a PNG of the viewport (or of the whole page) to `path`."""
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.evaluate("({w: document.documentElement.scrollWidth,"
                                 " h: document.documentElement.scrollHeight})")
            params["clip"] = {"x": 0, "y": 0, "width": size["w"], "height": size["h"], "scale": 1}
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        path = Path(path)
        path.write_bytes(base64.b64decode(data))
        return path

    # -- keyboard and other windows (added for the slide deck's tests) --------

    # key -> (DOM code, Windows virtual key code): the keys a presentation answers to
    KEYS = {
        "ArrowRight": ("ArrowRight", 39), "ArrowLeft": ("ArrowLeft", 37),
        "ArrowDown": ("ArrowDown", 40), "ArrowUp": ("ArrowUp", 38),
        "PageDown": ("PageDown", 34), "PageUp": ("PageUp", 33),
        " ": ("Space", 32), "s": ("KeyS", 83), "Escape": ("Escape", 27),
    }

    def press(self, key: str) -> None:
        """A real key press (a user gesture) on the focused page: one of KEYS."""
        code, key_code = self.KEYS[key]
        text = {"text": key} if len(key) == 1 else {}
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", session=True, type=kind, key=key, code=code,
                      windowsVirtualKeyCode=key_code, nativeVirtualKeyCode=key_code,
                      **(text if kind == "keyDown" else {}))

    def page_targets(self) -> list[dict]:
        """Every open page (tab or popup window) of the browser: targetId, url, title..."""
        return [t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"]

    def attached(self, target_id: str):
        """Context manager: page commands (evaluate, screenshot...) go to another
        page, e.g. a popup the first page opened, until the block ends."""
        from contextlib import contextmanager

        @contextmanager
        def swap():
            session = self.call("Target.attachToTarget", targetId=target_id, flatten=True)["sessionId"]
            previous, self.session = self.session, session
            try:
                self.call("Runtime.enable", session=True)
                yield self
            finally:
                self.session = previous
                try:
                    self.call("Target.detachFromTarget", sessionId=session)
                except ChromiumError:
                    pass
        return swap()
