"""Tex and Text whose SVG parse is kept on disk: the same mobjects, parsed once.

    from src.visualization import parsed_svg
    label = parsed_svg.Tex(r"\\frac{\\partial L}{\\partial w}")   # a manimlib Tex
    title = parsed_svg.Text("Autograd", font="DejaVu Sans")    # a manimlib Text

Why. Building a Tex or Text in manimgl 1.7.2 is mostly turning its SVG
into mobjects (svgelements parses the file, then every glyph's path becomes
a VMobject command by command): 30-55% of an in-process scene run and of a
render. manimgl keeps the result for one process only (SVG_HASH_TO_MOB_MAP),
so every test worker, render, `make lecture` and `make explain` parsed the
same formulas again. The kit makes all its Tex and Text through these two
subclasses (`style.math_label`, `style.text_label`, `formulas.typeset_row`);
they override `mobjects_from_svg_string`, the one method whose output is
the parse: on a miss they call manimgl's own (and store what it returned),
on a hit they rebuild its list of glyph mobjects from stored arrays. They
are named Tex and Text like manimlib's, so `type(m).__name__` and
manimgl's in-process key (which contains the class name) are unchanged;
`isinstance(m, manimlib.Tex)` holds. Nothing in manimgl is patched.

What is stored, one file per key (`<sha256>.glyphs`: a line of JSON, then
plain arrays; no pickle, no mobjects): for each glyph mobject its kind (a
path, VMobjectFromSVGPath, or a rectangle such as a fraction bar), its
`data` array (points, colours, widths, joint angles, normals: every field
of VMobject.data), its bounding box and whether that is up to date, and
its `.label` (the substring it belongs to, for `tex["x"]`, `isolate=`,
`t2c=`). A rebuilt glyph is a copy of a template of its kind with these
put in. Every other attribute is the template's, which is exactly the
parse's: before an entry is written, the parse is rebuilt from the bytes
about to be stored and compared with the parse itself, attribute by
attribute (arrays byte for byte, types too); an entry that would not come
back identical is not written, and that formula is parsed every time.
The one difference: a rebuilt path glyph's `path_obj` (the svgelements
path it was parsed from, read by nothing after its construction) is None.

The key is the sha256 of everything the parse depends on: manimgl's,
svgelements' and numpy's versions, this file's FORMAT, the stock class
(Tex or Text), `svg_default`, `path_string_config`, `use_labelled_svg`,
the number of labelled spans and the SVG text itself (with manimgl 1.7.2's
default `use_labelled_svg=True`, that SVG is the labelled one, so the
labels come from it). Never Python's `hash()`, which differs per process.

Writes are atomic (a temporary file in the same folder, then os.replace),
so parallel test workers and renders never see half an entry. An entry
that cannot be read, or fails its length or CRC-32 check, is ignored
(parsed again, and overwritten). In a folder that cannot be written
nothing is stored, with one line on stderr per process; Tex and Text work
as before.

Falling back. The override relies on manimgl 1.7.2's parse: RELIES_ON
lists the methods (and the md5 of their 1.7.2 source) that decide what
`mobjects_from_svg_string` returns and how StringMobject labels it. The
first Tex or Text of a process checks them and the version; if anything
differs, every Tex and Text is parsed by stock manimgl and one line goes to
stderr, once per process (src/visualization/manimgl_internals.py). A
subclass that defines one of these methods again (its own way of turning
paths into mobjects, say) is simply parsed every time.

Measured on the 2-core development machine (load 2-4, another test run
going), MLPAutogradScene run in-process as the tests run it, a fresh
process each time: 136 of its Tex and Text are parsed (the others repeat
within the process). Stock: 37.2-41.4 s per run, 13.5-14.6 s of it inside
mobjects_from_svg_string (~0.1 s per formula). Empty cache (parse, check,
store): 34.9-44.8 s, the parse time unchanged (13.5-14.4 s). Warm cache:
23.8-27.9 s, 0.21 s inside mobjects_from_svg_string (~1.5 ms per formula,
~0.1 ms per glyph), about a third less per run; the last frame is the same
in all. An entry is ~50 KB on average (uncompressed float32 rows); a
full test run leaves several hundred of them, a few tens of MB.

Environment:
    AUTOGRAD_SVG_CACHE=FOLDER   keep the entries in FOLDER
                                (default: <project>/.cache/svg/)
    AUTOGRAD_SVG_CACHE=0        no cache: parse as stock manimgl, write nothing
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import tempfile
import zlib
from importlib import metadata
from pathlib import Path

import numpy as np
from manimlib import Mobject, Rectangle, VMobject
from manimlib import Tex as StockTex
from manimlib import Text as StockText
from manimlib.mobject.svg.string_mobject import StringMobject
from manimlib.mobject.svg.svg_mobject import SVGMobject, VMobjectFromSVGPath

from src.visualization.manimgl_internals import (
    MANIMGL_VERSION, fallback_line, manimgl_version, source_problem,
)

__all__ = ["Tex", "Text", "ParsedSVGCache", "ENV_CACHE", "DEFAULT_CACHE", "FORMAT", "RELIES_ON",
           "cache_dir", "stats", "manimgl_problems"]

ENV_CACHE = "AUTOGRAD_SVG_CACHE"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = ROOT / ".cache" / "svg"
FORMAT = 1          # what an entry holds and means; a change makes new keys

# What the parse of manimgl 1.7.2 is made of, and how init_svg_mobject uses
# and copies its result: (class, member, md5 of its 1.7.2 source). A class
# parsed through the cache must not define any of these members again
# (StringMobject's mobjects_from_svg_string over SVGMobject's is listed).
RELIES_ON = (
    (SVGMobject, "init_svg_mobject", "c13208a89573"),
    (SVGMobject, "hash_seed", "81a866b6e8f8"),
    (SVGMobject, "mobjects_from_svg_string", "53fd1792f10c"),
    (SVGMobject, "modify_xml_tree", "604367e7fdc8"),
    (SVGMobject, "generate_config_style_dict", "8daac7cb7cef"),
    (SVGMobject, "mobjects_from_svg", "dc123098dae7"),
    (SVGMobject, "apply_style_to_mobject", "da72dd74bb65"),
    (SVGMobject, "handle_transform", "dcbf4661c951"),
    (SVGMobject, "path_to_mobject", "e4e1f0762f26"),
    (SVGMobject, "rect_to_mobject", "2007119eeaa9"),
    (VMobjectFromSVGPath, "__init__", "191afde1c6ca"),
    (VMobjectFromSVGPath, "init_points", "d18724aa0d60"),
    (VMobjectFromSVGPath, "handle_commands", "c255ede9b2ab"),
    (StringMobject, "mobjects_from_svg_string", "d4a02b35e39f"),
    (StringMobject, "assign_labels_by_color", "e86b32f57cbc"),
    (Mobject, "copy", "729cee07e38a"),
)

# The kinds of glyph mobject a parse may give that can be rebuilt (index = stored kind).
KINDS = (VMobjectFromSVGPath, Rectangle)
PLAIN = (type(None), bool, int, float, str)   # configuration values a key can hold

stats = {"hits": 0, "misses": 0, "stored": 0, "not_stored": 0}   # this process's counts

_problems: list[str] | None = None      # what differs from 1.7.2 (checked once)
_overridden: dict[type, list] = {}      # class -> RELIES_ON members it overrides
_warned: set[str] = set()               # warnings printed by this process (one line each)
_templates: dict[str, list] = {}       # path_string_config -> glyphs to copy, by kind
_versions: dict[str, str] = {}


def cache_dir(env=None) -> Path | None:
    """Where entries are kept; None with AUTOGRAD_SVG_CACHE=0 (no cache)."""
    env = os.environ if env is None else env
    folder = env.get(ENV_CACHE, "").strip()
    if folder == "0":
        return None
    return Path(folder).expanduser() if folder else DEFAULT_CACHE


# --------------------------------------------------------------------------
# Tex and Text: the kit's, parsed at most once per machine
# --------------------------------------------------------------------------

class ParsedSVGCache:
    """Mixin before a manimlib StringMobject class: its parse from the disk cache."""

    def mobjects_from_svg_string(self, svg_string: str) -> list[VMobject]:
        folder = cache_dir()
        if (folder is None or not self.use_labelled_svg or manimgl_problems()
                or _overrides(type(self))):
            # use_labelled_svg=False reads a second svg through methods 1.7.2
            # does not have (stock raises): left to stock manimgl as it is
            return super().mobjects_from_svg_string(svg_string)
        key = _key(self, svg_string)
        path = folder / f"{key}.glyphs" if key else None
        if path is not None:
            rebuilt = _load(path, self.path_string_config)
            if rebuilt is not None:
                stats["hits"] += 1
                return rebuilt
        stats["misses"] += 1
        submobs = super().mobjects_from_svg_string(svg_string)
        if path is not None:
            _store(path, submobs, self.path_string_config)
        return submobs


class Tex(ParsedSVGCache, StockTex):
    """manimlib's Tex, its SVG parse kept on disk (see the module docstring)."""


class Text(ParsedSVGCache, StockText):
    """manimlib's Text, its SVG parse kept on disk (see the module docstring)."""


# --------------------------------------------------------------------------
# Checking manimgl, once per process
# --------------------------------------------------------------------------

def manimgl_problems() -> list[str]:
    """What differs from the manimgl 1.7.2 parse the cache relies on ([] if
    nothing): the version, the source of every RELIES_ON member. Checked
    once per process; if anything differs, one line on stderr."""
    global _problems
    if _problems is None:
        version = manimgl_version()
        problems = _source_problems()
        _problems = ([] if version == MANIMGL_VERSION else [f"manimgl {version}"]) + problems
        if _problems:
            _warn_once("fallback", fallback_line(
                version, problems, "parsed-SVG cache",
                "parsing every Tex and Text as stock manimgl does"))
    return _problems


def _source_problems() -> list[str]:
    problems = []
    for owner, member, md5 in RELIES_ON:
        where = f"{owner.__name__}.{member}"
        if member not in vars(owner):
            problems.append(f"{where} missing")
            continue
        problem = source_problem(where, vars(owner)[member], md5)
        if problem:
            problems.append(problem)
    return problems


def _overrides(cls: type) -> list[str]:
    """The RELIES_ON members `cls` (or a class between it and their owner)
    defines again: such a class (e.g. a subclass changing how paths become
    mobjects) is parsed by stock manimgl every time. Once per class."""
    if cls not in _overridden:
        allowed: dict[str, set] = {"mobjects_from_svg_string": {ParsedSVGCache}}
        for owner, member, _ in RELIES_ON:
            allowed.setdefault(member, set()).add(owner)
        found = []
        for owner, member, _ in RELIES_ON:
            if owner in cls.__mro__:
                found += [f"{c.__qualname__}.{member}"
                          for c in cls.__mro__[:cls.__mro__.index(owner)]
                          if member in vars(c) and c not in allowed[member]]
        _overridden[cls] = found
    return _overridden[cls]


def _warn_once(kind: str, line: str) -> None:
    if kind not in _warned:
        _warned.add(kind)
        print(line, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# The key
# --------------------------------------------------------------------------

def _stock_class(cls: type) -> type:
    """The manimlib class a kit class derives from (Tex, Text...)."""
    return next(c for c in cls.__mro__ if c.__module__.startswith("manimlib."))


def _version(package: str) -> str:
    if package not in _versions:
        try:
            _versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            _versions[package] = "unknown"
    return _versions[package]


def _key(mob, svg_string: str) -> str | None:
    """sha256 of what the parse depends on; None if a setting is not plain data."""
    stock = _stock_class(type(mob))
    config = {"svg_default": mob.svg_default, "path_string_config": mob.path_string_config}
    if not all(isinstance(v, PLAIN) for d in config.values() for v in d.values()):
        return None
    inputs = {
        "format": FORMAT, "manimgl": manimgl_version(), "svgelements": _version("svgelements"),
        "numpy": np.__version__, "class": f"{stock.__module__}.{stock.__qualname__}",
        "use_labelled_svg": bool(mob.use_labelled_svg),
        "labelled_spans": len(mob.labelled_spans), **config,
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode())
    digest.update(b"\0")
    digest.update(svg_string.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


# --------------------------------------------------------------------------
# Arrays <-> glyph mobjects
# --------------------------------------------------------------------------

def _templates_for(config: dict) -> list[tuple]:
    """Per kind: a glyph as manimgl makes it, to copy, and which of its
    attributes are arrays, dicts and other containers (one per process)."""
    tag = json.dumps(config, sort_keys=True)
    if tag not in _templates:
        import svgelements as se
        path = VMobjectFromSVGPath(se.Path("M 0,0 L 1,0 L 1,1 Z"), **config)
        path.path_obj = None     # only its construction reads it
        rectangle = Rectangle()  # as SVGMobject.rect_to_mobject makes one
        _templates[tag] = [(template, *_attribute_kinds(template))
                           for template in (path, rectangle)]
    return _templates[tag]


def _attribute_kinds(template: VMobject) -> tuple:
    state = vars(template)
    arrays = tuple(n for n, v in state.items() if isinstance(v, np.ndarray)
                   and n not in ("data", "bounding_box"))   # _rebuild sets these two
    dicts = tuple(n for n, v in state.items() if isinstance(v, dict))
    containers = tuple(n for n, v in state.items() if isinstance(v, (list, set)))
    return arrays, dicts, containers


# An entry: MAGIC, one line of JSON (the format, the counts, the point
# dtype and a CRC-32 of the rest), then the glyph table (GLYPH_DTYPE, one
# row per glyph) and every glyph's `data` rows, one glyph after another.
MAGIC = b"autograd parsed svg\n"
GLYPH_DTYPE = np.dtype([
    ("kind", "<u1"), ("label", "<i8"), ("size", "<i8"),
    ("bounding_box", "<f8", (3, 3)), ("box_stale", "?"),
])


def _entry(submobs: list) -> bytes | None:
    """The bytes stored for a parse; None if a glyph is of a kind not rebuilt."""
    if any(type(mob) not in KINDS for mob in submobs):
        return None
    table = np.zeros(len(submobs), dtype=GLYPH_DTYPE)
    for row, mob in zip(table, submobs):
        row["kind"] = KINDS.index(type(mob))
        row["label"] = mob.label
        row["size"] = len(mob.data)
        row["bounding_box"] = mob.bounding_box
        row["box_stale"] = mob._needs_new_bounding_box
    data = [np.ascontiguousarray(mob.data, dtype=VMobject.data_dtype) for mob in submobs]
    payload = table.tobytes() + b"".join(d.tobytes() for d in data)
    header = {"format": FORMAT, "glyphs": len(submobs), "points": int(table["size"].sum()),
              "dtype": str(VMobject.data_dtype.descr), "crc32": zlib.crc32(payload)}
    return MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def _rebuild(entry: bytes, config: dict) -> list[VMobject]:
    """The glyph mobjects of an entry (raises ValueError if it is not a whole,
    intact entry of this format)."""
    if not entry.startswith(MAGIC):
        raise ValueError("not an entry")
    line_end = entry.index(b"\n", len(MAGIC))
    header = json.loads(entry[len(MAGIC):line_end])
    payload = memoryview(entry)[line_end + 1:]
    n, points = header["glyphs"], header["points"]
    if (header["format"] != FORMAT or header["dtype"] != str(VMobject.data_dtype.descr)
            or len(payload) != n * GLYPH_DTYPE.itemsize + points * VMobject.data_dtype.itemsize
            or zlib.crc32(payload) != header["crc32"]):
        raise ValueError("another format, or damaged")
    table = np.frombuffer(payload, GLYPH_DTYPE, n)
    data = np.frombuffer(payload, VMobject.data_dtype, points, offset=n * GLYPH_DTYPE.itemsize)
    if n and (int(table["kind"].max()) >= len(KINDS) or int(table["size"].min()) < 0
              or int(table["size"].sum()) != points):
        raise ValueError("inconsistent entry")
    templates = _templates_for(config)
    result = []
    start = 0
    for kind, label, size, box, box_stale in zip(
            table["kind"].tolist(), table["label"].tolist(), table["size"].tolist(),
            table["bounding_box"], table["box_stale"].tolist()):
        mob = _copy(*templates[kind])
        mob.data = data[start:start + size].copy()
        mob.bounding_box = box.copy()
        mob._needs_new_bounding_box = box_stale
        mob.label = label
        result.append(mob)
        start += size
    return result


def _copy(template: VMobject, arrays: tuple, dicts: tuple, containers: tuple) -> VMobject:
    """A copy of a template glyph owning all its containers: what
    Mobject.copy gives for a mobject without submobjects, updaters or
    parents (and several times faster), less the two arrays _rebuild sets."""
    mob = copy.copy(template)
    state = vars(mob)
    for name in arrays:
        state[name] = state[name].copy()
    for name in dicts:
        state[name] = {k: v.copy() if isinstance(v, np.ndarray) else v
                       for k, v in state[name].items()}
    for name in containers:
        state[name] = type(state[name])(state[name])
    mob.family = [mob]
    return mob


def _load(path: Path, config: dict) -> list[VMobject] | None:
    """The rebuilt parse stored at `path`, or None (no entry, unreadable, damaged)."""
    try:
        return _rebuild(path.read_bytes(), config)
    except Exception:   # missing, half-written by a crash, another format: parse again
        return None


def _store(path: Path, submobs: list, config: dict) -> None:
    """Write the entry for a parse, if it gives the parse back identical
    (see _same_glyphs); atomically: a temporary file, then os.replace."""
    entry = _entry(submobs)
    if entry is None or not _same_glyphs(submobs, _rebuild(entry, config)):
        stats["not_stored"] += 1
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem[:16] + ".",
                                             suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(entry)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        _warn_once("unwritable", f"autograd lecture: parsed-SVG cache not written to "
                                 f"{path.parent} ({type(error).__name__}: {error}); "
                                 "Tex and Text are parsed as usual")
        return
    stats["stored"] += 1


# --------------------------------------------------------------------------
# Identical? (what an entry must give back before it is written)
# --------------------------------------------------------------------------

def _same_glyphs(parsed: list, rebuilt: list) -> bool:
    return len(parsed) == len(rebuilt) and all(
        _same_glyph(a, b) for a, b in zip(parsed, rebuilt))


def _same_glyph(a, b) -> bool:
    """Same class and the same value for every attribute (arrays byte for
    byte), except `path_obj`; family, parents and submobjects: none yet."""
    if type(a) is not type(b) or vars(a).keys() != vars(b).keys():
        return False
    for name, value in vars(a).items():
        other = vars(b)[name]
        if name == "path_obj":
            continue
        if name == "family":
            if not (value == [a] and other == [b]):
                return False
        elif name in ("parents", "submobjects"):
            if value or other:
                return False
        elif not _same(value, other):
            return False
    return True


def _same(a, b) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (set, frozenset, *PLAIN)):
        return a == b
    return False   # anything else (a mobject, a function...) cannot be vouched for
