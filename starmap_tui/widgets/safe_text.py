"""Untrusted text (titles, answers, model output) made safe to draw.

Such text is never parsed as markup, and its control characters never reach
the terminal: an escape sequence in a title must show as the characters it
is, not recolour the screen. Control characters become their visible Unicode
"control picture" (ESC shows as ␛), so what the user typed stays readable.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text

_ESCAPE_MAP: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_ESCAPE_MAP[0x7F] = "\u2421"
_ESCAPE_MAP.update({code: "\ufffd" for code in range(0x80, 0xA0)})

_ONE_LINE_MAP = dict(_ESCAPE_MAP)
_ONE_LINE_MAP.update({ord("\n"): " ", ord("\r"): " ", ord("\t"): " "})

_MULTI_LINE_MAP = dict(_ESCAPE_MAP)
_MULTI_LINE_MAP.update({ord("\n"): "\n", ord("\r"): "\n", ord("\t"): "    "})


def clean(text: object, *, multiline: bool = False) -> str:
    """``text`` with every control character replaced by a visible stand-in."""
    value = "" if text is None else str(text)
    if multiline:
        return value.replace("\r\n", "\n").translate(_MULTI_LINE_MAP)
    return value.translate(_ONE_LINE_MAP)


def literal(text: object, style: StyleType = "", *, multiline: bool = False) -> Text:
    """A rich Text that shows ``text`` exactly, never interpreting markup."""
    return Text(clean(text, multiline=multiline), style=style, end="")
