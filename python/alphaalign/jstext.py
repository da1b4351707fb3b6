"""Text and numbers as JavaScript sees and writes them.

The lab's verifiers run in JavaScript, whose strings are UTF-16 code units. The package works on
the same units (a character outside the BMP becomes its two surrogates) so that positions,
regex classes and trimming see what the lab sees, and it prints numbers and strings as
JavaScript prints them so that its output can be compared with the lab's byte for byte.
"""
from decimal import ROUND_HALF_UP, Decimal

# ECMAScript's WhiteSpace and LineTerminator (what String.prototype.trim strips and \s matches):
# Python's str.strip() and \s differ (they take \x1c-\x1f and \x85, and leave \ufeff).
JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def to_units(text: str) -> str:
    """The text as UTF-16 code units, one character each: JavaScript's view of a string."""
    return "".join(
        ch if ord(ch) < 0x10000 else chr(0xD7C0 + (ord(ch) >> 10)) + chr(0xDC00 + (ord(ch) & 0x3FF)) for ch in text
    )


def from_units(units: str) -> str:
    """Code units back to characters; surrogate pairs join, lone surrogates stay."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def js_trim(units: str) -> str:
    """String.prototype.trim."""
    return units.strip(JS_WHITESPACE)


def js_json_string(units: str) -> str:
    """JSON.stringify of a string given as code units: a lone surrogate is escaped, a pair is written as its character."""
    out = ['"']
    i = 0
    while i < len(units):
        ch = units[i]
        code = ord(ch)
        paired = 0xD800 <= code <= 0xDBFF and i + 1 < len(units) and 0xDC00 <= ord(units[i + 1]) <= 0xDFFF
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif code < 0x20 or (0xD800 <= code <= 0xDFFF and not paired):
            out.append("\\u%04x" % code)
        elif paired:
            out.append(from_units(units[i:i + 2]))
            i += 1
        else:
            out.append(ch)
        i += 1
    out.append('"')
    return "".join(out)


def js_fixed(x: float, places: int) -> str:
    """Number.prototype.toFixed: the exact binary value rounded half up, as the specification says."""
    return str(Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def js_number(x: float) -> str:
    """A number as JavaScript writes it (Number.prototype.toString, JSON.stringify; null for NaN and infinities)."""
    if x != x or x in (float("inf"), float("-inf")):
        return "null"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr gives the shortest digits that read back to x, as JavaScript's algorithm does; only
    # the layout (where the point goes, when to switch to an exponent) differs.
    mantissa, _, exponent = repr(abs(float(x))).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
