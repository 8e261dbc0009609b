"""AWS WAF's text transformations, on byte strings held as latin-1 `str` (one character per byte).

Each one is a pure function that never raises: input it cannot decode is left as it is, as AWS documents
for its decoders. `compile_transformations` orders a statement's `TextTransformations` by Priority (AWS:
lowest first; priorities must differ) and returns one function. Semantics follow AWS's text
transformation list (docs/web-acls.md has the table and each edge case).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable

from gatepost.waf.spec import Node, SpecError

Transform = Callable[[str], str]

_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_LOWER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WS = " \t\n\r\f\v\xa0"  # AWS: space, \f, \t, \n, \r, \v and the non-breaking space (160)
_WS_RUN = re.compile("[ \t\n\r\f\v\xa0]+")
_WS_ANY = re.compile("[ \t\n\r\f\v\xa0]")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_PCT_UNI = re.compile(r"%(?:[uU]([0-9A-Fa-f]{4})|([0-9A-Fa-f]{2}))")
_ENTITY = re.compile(r"&(?:#[xX]([0-9A-Fa-f]{1,6});|#([0-9]{1,7});|(quot|amp|lt|gt|nbsp);)")
_NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">", "nbsp": "\xa0"}
_B64 = re.compile(r"[^A-Za-z0-9+/]")
_SQL_HEX = re.compile(r"0[xX]((?:[0-9A-Fa-f]{2})+)")
_HEX_ONLY = re.compile(r"(?:[0-9A-Fa-f]{2})*")
_C_ESC = re.compile(r"\\(?:x(?P<x>[0-9A-Fa-f]{2})|(?P<o>[0-7]{1,3})|(?P<c>[abfnrtv\\?'\"]))")
_C_CHARS = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", "?": "?", "'": "'", '"': '"'}
_JS_ESC = re.compile(r"\\(?:u(?P<u>[0-9A-Fa-f]{4})|x(?P<x>[0-9A-Fa-f]{2})|(?P<o>[0-7]{1,3})|(?P<c>.))", re.DOTALL)
_CSS_ESC = re.compile(r"\\(?:([0-9A-Fa-f]{1,6})[ \t\n\r\f]?|(\n)|(.))", re.DOTALL)
_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_COMMENT_CHARS = re.compile(r"/\*|\*/|--|#")


def _char(code: int) -> str:
    """A decoded code point as bytes: one byte below 256, else its UTF-8 encoding."""
    if code < 256:
        return chr(code)
    try:
        return chr(code).encode("utf-8").decode("latin-1")
    except (ValueError, UnicodeEncodeError):
        return ""


def _low_byte(code: int) -> str:
    """AWS's JS/CSS rule: full-width ASCII (FF01-FF5E) maps to ASCII, anything else keeps its low byte."""
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return chr(code & 0xFF)


def none(s: str) -> str:
    return s


def lowercase(s: str) -> str:
    return s.lower() if s.isascii() else s.translate(_UPPER)  # str.lower would also change bytes >= 0x80


def uppercase(s: str) -> str:
    return s.upper() if s.isascii() else s.translate(_LOWER)


def compress_white_space(s: str) -> str:
    return _WS_RUN.sub(" ", s)


def remove_whitespace(s: str) -> str:
    return _WS_ANY.sub("", s)


def trim(s: str) -> str:
    return s.strip(_WS)


def trim_left(s: str) -> str:
    return s.lstrip(_WS)


def trim_right(s: str) -> str:
    return s.rstrip(_WS)


def url_decode(s: str) -> str:
    """%XX decoded, '+' as a space; an invalid escape (`%zz`, a trailing `%`) stays as it is."""
    if "%" not in s:
        return s.replace("+", " ") if "+" in s else s
    return _PCT.sub(lambda m: chr(int(m.group(1), 16)), s.replace("+", " "))


def url_decode_uni(s: str) -> str:
    """URL_DECODE plus Microsoft's %uHHHH (full-width ASCII to ASCII, else the low byte)."""
    if "%" not in s and "+" not in s:
        return s

    def sub(m: re.Match[str]) -> str:
        return _low_byte(int(m.group(1), 16)) if m.group(1) else chr(int(m.group(2), 16))

    return _PCT_UNI.sub(sub, s.replace("+", " "))


def html_entity_decode(s: str) -> str:
    """&quot; &amp; &lt; &gt; &nbsp; (byte 160), &#xhhhh; and &#nnnn;; anything else stays."""
    if "&" not in s:
        return s

    def sub(m: re.Match[str]) -> str:
        if m.group(3):
            return _NAMED[m.group(3)]
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        return _char(code) if code <= 0x10FFFF else m.group(0)

    return _ENTITY.sub(sub, s)


def cmd_line(s: str) -> str:
    r"""Delete \ " ' ^; delete spaces before / and (; , and ; become spaces; space runs become one; lowercase."""
    out: list[str] = []
    for c in s:
        if c in "\\\"'^":
            continue
        if c in ",; \t\n\r\f\v":
            if not out or out[-1] != " ":
                out.append(" ")
            continue
        if c in "/(":
            while out and out[-1] == " ":
                out.pop()
        out.append(c)
    return "".join(out).translate(_UPPER)


def _b64(data: str) -> str | None:
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None


def base64_decode(s: str) -> str:
    """Strict Base64 (padding optional); input that is not Base64 stays as it is."""
    decoded = _b64(s.strip())
    return s if decoded is None else decoded


def base64_decode_ext(s: str) -> str:
    """Forgiving Base64: characters outside the alphabet are ignored, then the rest is decoded."""
    data = _B64.sub("", s)
    if len(data) % 4 == 1:
        data = data[:-1]
    decoded = _b64(data)
    return s if decoded is None else decoded


def hex_decode(s: str) -> str:
    """A string of hex digit pairs to its bytes; anything else stays as it is."""
    if s and _HEX_ONLY.fullmatch(s):
        return binascii.unhexlify(s).decode("latin-1")
    return s


def sql_hex_decode(s: str) -> str:
    """SQL hex literals (0x414243 -> ABC); other text stays."""
    return _SQL_HEX.sub(lambda m: binascii.unhexlify(m.group(1)).decode("latin-1"), s) if "0" in s else s


def md5(s: str) -> str:
    return hashlib.md5(s.encode("latin-1"), usedforsecurity=False).digest().decode("latin-1")


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode("latin-1")).digest().decode("latin-1")


def replace_comments(s: str) -> str:
    """/* ... */ becomes one space (an unterminated comment too); a lone */ is left alone."""
    return _COMMENT.sub(" ", s) if "/*" in s else s


def remove_comments_char(s: str) -> str:
    """Removes the comment characters /*, */, -- and #."""
    return _COMMENT_CHARS.sub("", s)


def _unescape(m: re.Match[str]) -> str:
    g = m.groupdict()
    if g.get("u"):
        return _low_byte(int(g["u"], 16))
    if g["x"]:
        return chr(int(g["x"], 16))
    if g["o"]:
        return chr(int(g["o"], 8) & 0xFF)
    return _C_CHARS.get(g["c"], g["c"])


def escape_seq_decode(s: str) -> str:
    r"""ANSI C escapes: \a \b \f \n \r \t \v \\ \? \' \" \xHH and \OOO (octal); invalid ones stay."""
    return _C_ESC.sub(_unescape, s) if "\\" in s else s


def js_decode(s: str) -> str:
    r"""JavaScript escapes: \uHHHH (full-width ASCII to ASCII, else the low byte), \xHH, \OOO, \n...; \c -> c."""
    return _JS_ESC.sub(_unescape, s) if "\\" in s else s


def css_decode(s: str) -> str:
    r"""CSS 2.x escapes: \ + 1-6 hex digits (one following space eaten; up to two bytes used, full-width ASCII to
    ASCII), \ + newline removed, \ + any other character -> that character (ja\vascript -> javascript)."""
    if "\\" not in s:
        return s

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return _low_byte(int(m.group(1)[-4:], 16))
        if m.group(2):
            return ""
        return m.group(3)

    return _CSS_ESC.sub(sub, s)


def normalize_path(s: str) -> str:
    """Multiple slashes, self-references (/./) and back-references not at the beginning removed."""
    if not s or ("//" not in s and "." not in s):
        return s
    absolute = s.startswith("/")
    trailing = s.endswith(("/", "/.", "/..")) or s in (".", "..")
    out: list[str] = []
    for part in s.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and out and out[-1] != "..":
            out.pop()
            continue
        out.append(part)
    path = ("/" if absolute else "") + "/".join(out)
    return path + "/" if trailing and out else path


def normalize_path_win(s: str) -> str:
    return normalize_path(s.replace("\\", "/"))


def remove_nulls(s: str) -> str:
    return s.replace("\x00", "")


def replace_nulls(s: str) -> str:
    return s.replace("\x00", " ")


def utf8_to_unicode(s: str) -> str:
    """Each valid multi-byte UTF-8 sequence becomes %uHHHH (lower-case hex); other bytes stay."""
    if s.isascii():
        return s
    out: list[str] = []
    raw = s.encode("latin-1")
    i = 0
    while i < len(raw):
        b = raw[i]
        size = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 1
        if size > 1:
            try:
                ch = raw[i:i + size].decode("utf-8")
                out.append(f"%u{ord(ch):04x}")
                i += size
                continue
            except UnicodeDecodeError:
                pass
        out.append(chr(b))
        i += 1
    return "".join(out)


TRANSFORMS: dict[str, Transform] = {
    "NONE": none, "COMPRESS_WHITE_SPACE": compress_white_space, "HTML_ENTITY_DECODE": html_entity_decode,
    "LOWERCASE": lowercase, "UPPERCASE": uppercase, "CMD_LINE": cmd_line, "URL_DECODE": url_decode,
    "URL_DECODE_UNI": url_decode_uni, "BASE64_DECODE": base64_decode, "BASE64_DECODE_EXT": base64_decode_ext,
    "HEX_DECODE": hex_decode, "MD5": md5, "SHA256": sha256, "REPLACE_COMMENTS": replace_comments,
    "REMOVE_COMMENTS_CHAR": remove_comments_char, "ESCAPE_SEQ_DECODE": escape_seq_decode,
    "SQL_HEX_DECODE": sql_hex_decode, "CSS_DECODE": css_decode, "JS_DECODE": js_decode,
    "NORMALIZE_PATH": normalize_path, "NORMALIZE_PATH_WIN": normalize_path_win, "REMOVE_NULLS": remove_nulls,
    "REPLACE_NULLS": replace_nulls, "UTF8_TO_UNICODE": utf8_to_unicode, "REMOVE_WHITESPACE": remove_whitespace,
    "TRIM": trim, "TRIM_LEFT": trim_left, "TRIM_RIGHT": trim_right,
}
# In AWS's enum, but their exact rules are not documented well enough to reproduce: refused by name.
REFUSED = {"CMD_LINE_WIN", "CMD_LINE_UNIX", "JS_DECODE_EXT"}


def _chain(steps: tuple[Transform, ...]) -> Transform:
    def run(s: str) -> str:
        for step in steps:
            s = step(s)
        return s

    return run


def compile_transformations(node: Node | None) -> tuple[tuple[str, ...], Transform]:
    """`TextTransformations` -> (the type names in order, one function). An absent list means NONE."""
    if node is None:
        return (), none
    ordered: list[tuple[int, str]] = []
    for item in node.items():
        priority = item.integer("Priority")
        kind = item.text("Type")
        if kind in REFUSED:
            raise SpecError(item.at("Type"), f"text transformation {kind} is not supported by Gatepost",
                            "see docs/web-acls.md for the supported transformations")
        if kind not in TRANSFORMS:
            raise SpecError(item.at("Type"), f"unknown text transformation {kind!r}",
                            "use one of AWS WAF's TextTransformationType values")
        if any(p == priority for p, _ in ordered):
            raise SpecError(item.at("Priority"), f"two text transformations have Priority {priority}",
                            "AWS requires distinct priorities: renumber them")
        ordered.append((priority, kind))
    ordered.sort()
    names = tuple(k for _, k in ordered if k != "NONE")
    steps = tuple(TRANSFORMS[k] for k in names)
    if not steps:
        return (), none
    return names, steps[0] if len(steps) == 1 else _chain(steps)
