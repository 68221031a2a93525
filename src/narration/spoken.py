"""What the voice says for a beat: caption text, read out as a lecturer would.

A caption may keep notation (`dF/dx = 2g · 1`, `h₂`, `W₂ᵀ`, `−1.5`); a
text-to-speech voice would spell that out symbol by symbol, or skip it.
`spoken_form` rewrites a beat into plain words:

    >>> spoken_form("dF/dx = 2g · 1")
    'd F by d x equals two g times one'
    >>> spoken_form("W₂ᵀ, then ReLU")
    'W two transposed, then rayloo'

The rewrite runs in a fixed order of small steps (one function each, below):

 1. characters  subscripts, superscripts and the typographic minus become
                plain notation: "h₂" -> "h_2", "W₂ᵀ" -> "W_2 ^T", "−" -> "-".
 2. words       the word half of `SAY` (whole words: "tanh", "ReLU", "e.g.").
 3. code        "x.grad" -> "x dot grad", "L.backward()" -> "L dot backward",
                "zero_grad" -> "zero grad".
 4. derivatives "dF/dx", "∂L/∂W" -> "d F by d x" (a partial reads the same).
 5. calls       "f(g(x))" -> "f of g of x"; ")(" and "2(" multiply.
 6. powers      "x²" squared, "x³" cubed, "Wᵀ" transposed, "x^n" to the n;
                after a bracket, a pause: "(x + 2)²" -> "x plus two, squared".
 7. numbers     signs ("-1.5" -> "minus one point five"), the scientific form
                of `format_number` ("1e-05" -> "one times ten to the minus
                five"), percent, ordinals, an identifier's index ("h2",
                "h_2" -> "h two"), then every number in words ("120" -> "one
                hundred twenty", "0.617" -> "zero point six one seven").
 8. letters     upper-case abbreviations without a vowel are spelled
                ("FC" -> "F C"); a variable named a is said "eh" (espeak
                reads a lone "a" as the article).
 9. symbols     the symbol half of `SAY` ("=" equals, "·" times, "≈" is
                about, "→" to, "η" eta...).
10. tidy        brackets and quotes go; spaces and commas settle. Whatever is
                still not a word, a number in words or ordinary punctuation is
                dropped, never passed to the voice; `untranslated(text)`
                names it, so a test can insist that nothing was dropped.

Pronunciations were chosen by listening through Piper's own phonemizer
(espeak-ng, `src.narration.voice.phonemes`), not by guesswork: "tanh" alone
comes out as "tan" (/tˈæn/), "tanch" as /tˈæntʃ/, the usual lecture-hall
reading; "ReLU" comes out "ree-loo" (/ɹˌiː lˈuː/), "rayloo" as /ɹˈeɪluː/.
tests/test_spoken.py keeps these checks.

This is good at notation and numbers, not at prose: a beat whose automatic
reading sounds wrong gives its own wording (`say(text, spoken=...)`).
"""
from __future__ import annotations

import re
import unicodedata

from src.autograd import OPERATIONS

__all__ = ["SAY", "spoken_form", "unspeakable", "untranslated", "number_words",
           "integer_words"]

# --------------------------------------------------------------------------
# The table: notation and pronunciations
# --------------------------------------------------------------------------

# The engine's functions as the narration says them: the `words` of their
# entries in the operation table (src.autograd.OPERATIONS), spelled so that
# espeak-ng says them right ("tanh" -> "tanch", "relu" -> "rayloo", "abs" ->
# "absolute value"); a name said as written needs no entry here.
_OPERATION_WORDS = {op.name: op.words for op in OPERATIONS
                    if op.is_function and op.words and op.words != op.name}

# Keys that start with a Latin letter are whole words (matched case-insensitively,
# never inside another word, applied in step 2); the others are symbols,
# replaced wherever they occur (step 9, longest first).
SAY: dict[str, str] = {
    # names people say as words, spelled so that espeak-ng says them right
    **_OPERATION_WORDS,
    "sqrt": "square root of",
    "numpy": "num pie",
    "mlp": "M L P",
    "sgd": "S G D",
    "mse": "M S E",
    "gpu": "G P U",
    "cpu": "C P U",
    "api": "A P I",
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "vs.": "versus",
    "vs": "versus",
    "w.r.t.": "with respect to",
    "wrt": "with respect to",
    # comparison and arithmetic (two-character forms before one-character ones)
    "==": " equals ",
    "!=": " is not equal to ",
    "<=": " is at most ",
    ">=": " is at least ",
    "+=": " plus equals ",
    "-=": " minus equals ",
    "->": " to ",
    "=>": ", so ",
    "=": " equals ",
    "≈": " is about ",
    "≠": " is not equal to ",
    "≤": " is at most ",
    "≥": " is at least ",
    "<": " is less than ",
    ">": " is greater than ",
    "+": " plus ",
    "±": " plus or minus ",
    "·": " times ",
    "⋅": " times ",
    "×": " times ",
    "*": " times ",
    "∗": " times ",
    "/": " over ",
    "÷": " divided by ",
    "%": " percent ",
    "√": " square root of ",
    "∞": " infinity ",
    "∈": " in ",
    "→": " to ",
    "⟶": " to ",
    "←": " gets ",
    "⇒": ", so ",
    "∂": " d ",                   # a partial derivative reads like d
    "∇": " grad ",
    "Σ": " sum ",
    "∑": " sum ",
    "∏": " product ",
    "&": " and ",
    "@": " at ",
    "#": " number ",
    "~": " about ",
    "°": " degrees ",
    "′": " prime ",
    "✓": " check ",
    "…": ", ",
    # Greek letters by name
    "α": " alpha ", "β": " beta ", "γ": " gamma ", "δ": " delta ", "Δ": " delta ",
    "∆": " delta ", "ε": " epsilon ", "η": " eta ", "θ": " theta ", "λ": " lambda ",
    "μ": " mu ", "π": " pi ", "ρ": " rho ", "σ": " sigma ", "τ": " tau ",
    "φ": " phi ", "ω": " omega ",
}

# Functions: "tanh(x)" is "tanch of x" (as is any single letter: "f(x)"):
# the engine's, and a few more a caption may name.
FUNCTIONS = {op.name for op in OPERATIONS if op.is_function} | {
    "ln", "max", "min", "sqrt", "sign", "softmax", "mse", "sum", "mean", "grad"}

# How the variable called a is said: espeak reads a lone "a" as the article.
LETTER_A = "eh"                   # /ˈeɪ/

_WORDS = {k: v for k, v in SAY.items() if k[0].isascii() and k[0].isalpha()}
_SYMBOLS = sorted((k for k in SAY if k not in _WORDS), key=len, reverse=True)
_WORD_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(k) for k in sorted(_WORDS, key=len, reverse=True))
    + r")(?![\w])", re.IGNORECASE)

# --------------------------------------------------------------------------
# Numbers in words
# --------------------------------------------------------------------------

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"),
           (1000, "thousand"))


def integer_words(n: int) -> str:
    """120 -> "one hundred twenty" (American usage, no "and")."""
    if n < 0:
        return "minus " + integer_words(-n)
    if n >= 10 ** 15:
        return " ".join(_ONES[int(d)] for d in str(n))
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + (" " + integer_words(rest) if rest else "")
    for scale, word in _SCALES:
        if n >= scale:
            rest = n % scale
            return (integer_words(n // scale) + " " + word
                    + (" " + integer_words(rest) if rest else ""))
    raise AssertionError(n)


def _digits(digits: str) -> str:
    return " ".join(_ONES[int(d)] for d in digits)


def number_words(text: str) -> str:
    """A number as written -> words: "-1.5" -> "minus one point five",
    "0.617" -> "zero point six one seven", "1.23e5" -> "one point two three
    times ten to the five". Digits after the point are read one by one."""
    text = text.strip().replace("\u2212", "-")
    sign = ""
    if text[:1] in "+-":
        sign = "minus " if text[0] == "-" else "plus "
        text = text[1:]
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    words = integer_words(int(whole)) if whole else ""
    if fraction:
        words = (words + " point " if words else "point ") + _digits(fraction)
    if exponent:
        words += " times ten to the " + integer_words(int(exponent))
    return sign + words


def _ordinal(n: int) -> str:
    words = integer_words(n)
    head, sep, last = words.rpartition(" ") if "-" not in words.rsplit(" ", 1)[-1] \
        else words.rpartition("-")
    irregular = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                 "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
    if last in irregular:
        last = irregular[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


# --------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------

_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵀ", "0123456789-+T")
_SUPER_CHARS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵀ"
_CHARACTERS = {
    "\u2212": "-", "\u2010": "-", "\u2011": "-",     # minus sign, hyphens
    "\u2014": ", ", "\u2015": ", ", "--": ", ",       # dashes: a pause
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "**": "^",                                         # Python's power
    "⊤": "^T",
}


def _characters(s: str) -> str:
    s = unicodedata.normalize("NFC", s)
    for old, new in _CHARACTERS.items():
        s = s.replace(old, new)
    # An en dash between numbers is a range ("2–4": two to four), else a pause.
    s = re.sub(r"(?<=\d)\s*\u2013\s*(?=[\d\u2212-])", " to ", s)
    s = s.replace("\u2013", ", ")
    s = re.sub(r"(?<![A-Za-z])'([^'\n]+)'(?![A-Za-z])", r" \1 ", s)   # 'quoted'
    s = re.sub(r"[₀-₉]+", lambda m: "_" + m.group().translate(_SUB) + " ", s)
    s = re.sub(f"[{_SUPER_CHARS}]+",
               lambda m: " ^{" + m.group().translate(_SUPER) + "} ", s)
    return s


def _words(s: str) -> str:
    return _WORD_RE.sub(lambda m: _WORDS[m.group(1).lower()], s)


_IDENT = r"[A-Za-z_]\w*"


def _code(s: str) -> str:
    s = re.sub(r"\(\s*\)", " ", s)                          # L.backward() -> L.backward
    previous = None
    while previous != s:                                     # a.b.c -> a dot b dot c
        previous = s
        s = re.sub(rf"(?<![\w.])({_IDENT})\.({_IDENT})", r"\1 dot \2", s)
    s = re.sub(r"(?<=[A-Za-z])_(?=[A-Za-z])", " ", s)        # zero_grad -> zero grad
    return re.sub(r"_(?!\s*\{?\d)", " ", s)                 # any other underscore


# A name in a derivative: a letter or Greek letter with an optional index, or
# a short word (dL/dout) when the other side is a single letter.
_ONE = r"(?:[A-Za-z\u0370-\u03ff](?:_?\{?\d+\}?)?)"
_SHORT = r"(?:[A-Za-z]{2,4}(?:_?\{?\d+\}?)?)"
_D = r"[d∂]"
_POW2 = r"(?:\s*\^\{?2\}?)?"


def _derivatives(s: str) -> str:
    def replace(m):
        power = " squared" if m.group("p1") or m.group("p2") else ""
        top = f" {m.group('top')}" if m.group("top") else ""
        return f" d{power}{top} by d {m.group('bottom')}{power} "

    for top, bottom in ((_ONE, _ONE), (_ONE, _SHORT), (_SHORT, _ONE)):
        pattern = (r"(?<![\w])" + _D + r"(?P<p1>" + _POW2 + r")\s*(?P<top>" + top + r")?"
                   + r"\s*/\s*" + _D + r"\s*(?P<bottom>" + bottom + r")(?P<p2>" + _POW2
                   + r")(?![\w])")
        s = re.sub(pattern, replace, s)
    return s


def _calls(s: str) -> str:
    spoken = {v for k, v in _WORDS.items() if k in FUNCTIONS and not v.endswith(" of")}
    functions = "|".join(sorted(FUNCTIONS | spoken, key=len, reverse=True))
    s = re.sub(rf"(?<![\w.])({functions}|[A-Za-z])\s?(?:′|'(?![A-Za-z]))", r"\1 prime ", s,
               flags=re.IGNORECASE)                                # f'(x), tanh'
    # Only a bracket right after a name is a call, and only brackets that
    # touch multiply: "f(x)", ")(", "2(x + 1)"; "x (an aside)" is neither.
    s = re.sub(rf"(?<![\w.])({functions}|[A-Za-z])\(|(?<=prime )\(",
               lambda m: (m.group(1) or "") + " of (", s, flags=re.IGNORECASE)
    s = re.sub(r"\)\(", ") times (", s)
    return re.sub(r"(?<=\d)\(", " times (", s)


def _powers(s: str) -> str:
    def replace(m):
        inner = m.group("e").strip("{} ")
        pause = ", " if m.group("close") else " "
        close = m.group("close") or ""
        if inner == "2":
            return f"{close}{pause}squared "
        if inner == "3":
            return f"{close}{pause}cubed "
        if inner == "T":
            return f"{close}{pause}transposed "
        return f"{close}{pause}to the {inner} "

    # A bracketed exponent is read out with its brackets as a pause:
    # "x ^ (w - 1)" -> "x to the power of, w minus one,".
    s = re.sub(r"\^\s*\(([^()]*)\)", r" to the power of, \1, ", s)
    return re.sub(r"(?P<close>\))?\s*\^\s*(?P<e>\{[^}]*\}|-?\w+(?:\.\d+)?)", replace, s)


_NUMBER = r"\d+(?:\.\d+)?"


def _numbers(s: str) -> str:
    s = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", s)                       # 1,000
    # Signs: "-1.5", "= -3", "(-2)"; binary minus between operands.
    s = re.sub(r"(?<![\w)\]}])-(?=\s*[\d.(])", " minus ", s)
    s = re.sub(rf"(?<![\w.])({_NUMBER})[eE]([-+]?\d+)(?!\w|\.\d)",
               lambda m: " " + number_words(m.group()) + " ", s)          # 1e-05
    s = re.sub(r"(?<=[\w)\]])\s*-\s*(?=[\d(])", " minus ", s)            # x-1, 2-3
    s = re.sub(r"(?<![A-Za-z])([A-Za-z])-(?=[A-Za-z](?![A-Za-z]))", r"\1 minus ", s)
    s = re.sub(r"(?:^|(?<=[\s(\[=,]))-(?=\s|[A-Za-z])", " minus ", s)    # x - y, -x, (-x)
    s = re.sub(rf"({_NUMBER})\s*percent", r"\1 percent", s)
    s = re.sub(r"(?<![\w.])(\d+)(st|nd|rd|th)(?!\w)", lambda m: _ordinal(int(m.group(1))), s)
    # An identifier's index: h_12 -> "h one two" (a subscript reads digit by
    # digit), h2 -> "h two", t10 -> "t ten".
    s = re.sub(r"(?<![\w])([A-Za-z]+)\s*_\s*\{?(\d+)\}?",
               lambda m: f" {_variable(m.group(1))} {_digits(m.group(2))} ", s)
    s = re.sub(r"_\s*\{?(\d+)\}?", lambda m: " " + _digits(m.group(1)) + " ", s)
    s = re.sub(r"(?<![\w.])([A-Za-z]+)(\d+)(?![\w])",
               lambda m: f" {_variable(m.group(1))} {m.group(2)}", s)
    s = re.sub(r"(?<=\d)(?=[A-Za-z])", " ", s)                          # 2g -> 2 g
    s = re.sub(rf"(?<![\d.]){_NUMBER}|(?<![\w.])\.\d+",
               lambda m: " " + number_words(m.group()) + " ", s)
    return s


def _variable(name: str) -> str:
    return LETTER_A if name in ("a", "A") else name


def _letters(s: str) -> str:
    def acronym(m):
        word = m.group()
        return " ".join(word) if not re.search("[AEIOUY]", word) else word.lower()

    s = re.sub(r"(?<![\w'])[A-Z]{2,}(?![\w'])", acronym, s)
    # The variable a, next to an operator: "a = 2", "x + a", "minus a".
    ops = re.escape("=+*/^·×≈<>")
    s = re.sub(rf"(?<![\w'])[aA](?=\s*[{ops})])", LETTER_A, s)
    s = re.sub(rf"(?:(?<=[{ops}])|(?<=[{ops}] )|(?<=\bminus ))[aA](?![\w'])", LETTER_A, s)
    return s


def _symbols(s: str) -> str:
    s = re.sub(r"(?<=[A-Za-z]{2})/(?=[A-Za-z]{2})", " or ", s)    # weights/biases
    for symbol in _SYMBOLS:
        s = s.replace(symbol, SAY[symbol])
    return s


_EXPRESSION_WORDS = re.compile(r"\b(plus|minus|times|over|equals|squared|cubed|transposed|"
                               r"of|to the|by)\b")
_NUMBER_WORDS = set(_ONES) | set(_TENS) | {"hundred", "thousand", "million", "billion",
                                            "trillion", "point"}
_ALLOWED = re.compile(r"[A-Za-z\s.,;:?!'\-]")


def _tidy(s: str) -> tuple[str, list[str]]:
    # An aside in brackets is a pause: "update (each state is real)" ->
    # "update, each state is real,"; brackets around an expression just go.
    def bracket(m):
        inside = m.group(1)
        words = re.findall(r"[A-Za-z]+", inside)
        aside = (len(words) > 1 and not _EXPRESSION_WORDS.search(inside)
                 and any(len(w) > 3 and w not in _NUMBER_WORDS for w in words))
        return f", {inside}, " if aside else f" {inside} "

    s = re.sub(r"(?:^|(?<=\s))\(([^()]*)\)", bracket, s)
    s = re.sub(r"[()\[\]{}\"`]", " ", s)
    s = re.sub(r"\.{2,}", ",", s)
    dropped = [c for c in s if not (_ALLOWED.match(c) or _latin_letter(c))]
    s = "".join(c if (_ALLOWED.match(c) or _latin_letter(c)) else " " for c in s)
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\s+([.,;:?!])", r"\1", s)
    s = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", s)            # ", ," -> ","
    s = re.sub(r"[,;:]\s*([.?!])", r"\1", s)                  # ", ." -> "."
    s = re.sub(r"\s+'(s|re|ll|d|ve)\b", r"'\1", s)            # "two 's" -> "two's"
    s = re.sub(r"(?<=\w) -(?=[A-Za-z])", "-", s)               # "two -layer" -> "two-layer"
    if re.search(r"(?<![A-Za-z])-(?![A-Za-z])", s):              # a minus no rule read
        dropped.append("-")
        s = re.sub(r"(?<![A-Za-z])-(?![A-Za-z])", " ", s)
    s = re.sub(r"\s+", " ", s).strip(" ,;:")
    return s, list(dict.fromkeys(dropped))


def _latin_letter(c: str) -> bool:
    return c.isalpha() and unicodedata.name(c, "").startswith("LATIN")


def _translate(text: str) -> tuple[str, list[str]]:
    s = " ".join(str(text).split())
    for step in (_characters, _words, _code, _derivatives, _calls, _powers, _numbers,
                 _letters, _symbols):
        s = step(s)
    return _tidy(s)


# --------------------------------------------------------------------------
# The API
# --------------------------------------------------------------------------

def spoken_form(text: str) -> str:
    """A caption beat as the voice should say it: words, numbers in words and
    ordinary punctuation only (see the module docstring for the rules)."""
    return _translate(text)[0]


def untranslated(text: str) -> list[str]:
    """Characters of `text` that no rule covers: `spoken_form` dropped them
    silently. Empty for every beat the lecture says."""
    return _translate(text)[1]


_SPEAKABLE_TOKEN = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*'?")


def unspeakable(spoken: str) -> list[str]:
    """The tokens of a spoken form that are not words, numbers as words or
    ordinary punctuation (. , ; : ? ! ' - and spaces), in order, each once.
    An empty list means the voice can read it."""
    bad = []
    for token in spoken.split():
        core = token.strip(".,;:?!")
        if not core:
            continue
        if not (_SPEAKABLE_TOKEN.fullmatch(core) and all(_latin_letter(c) for c in core
                                                          if c.isalpha())):
            bad.append(token)
    return list(dict.fromkeys(bad))
