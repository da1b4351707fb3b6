"""Math.exp as V8 computes it, so that the refusal classifier's probability is JavaScript's to the
last bit: math.exp (the C library's) differs from V8's by an ulp now and then, which can move a
probability across the threshold or change its printed digits.

A port of fdlibm's e_exp.c as V8's base/ieee754.cc has it.
"""
import struct

_HALF = (0.5, -0.5)
_LN2_HI = (6.93147180369123816490e-01, -6.93147180369123816490e-01)
_LN2_LO = (1.90821492927058770002e-10, -1.90821492927058770002e-10)
_INV_LN2 = 1.44269504088896338700e+00
_O_THRESHOLD = 7.09782712893383973096e+02
_U_THRESHOLD = -7.45133219101941108420e+02
_TWO_M1000 = 9.33263618503218878990e-302
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08
_E = 2.718281828459045


def _high_word(x: float) -> int:
    return struct.unpack(">II", struct.pack(">d", x))[0]


def _from_words(high: int, low: int) -> float:
    return struct.unpack(">d", struct.pack(">II", high & 0xFFFFFFFF, low))[0]


def js_exp(x: float) -> float:
    """e**x, bit for bit as JavaScript's Math.exp in V8."""
    hx = _high_word(x)
    xsb = (hx >> 31) & 1
    hx &= 0x7FFFFFFF
    # Overflow, underflow, NaN and the infinities.
    if hx >= 0x40862E42:
        if hx >= 0x7FF00000:
            return x + x if x != x else (x if xsb == 0 else 0.0)
        if x > _O_THRESHOLD:
            return float("inf")
        if x < _U_THRESHOLD:
            return 0.0
    # Argument reduction: x = k ln2 + r, |r| <= ln2 / 2, r carried as hi - lo.
    k = 0
    hi = lo = 0.0
    if hx > 0x3FD62E42:
        if hx < 0x3FF0A2B2:
            if x == 1.0:
                return _E
            hi = x - _LN2_HI[xsb]
            lo = _LN2_LO[xsb]
            k = 1 - xsb - xsb
        else:
            k = int(_INV_LN2 * x + _HALF[xsb])
            t = float(k)
            hi = x - t * _LN2_HI[0]
            lo = t * _LN2_LO[0]
        x = hi - lo
    elif hx < 0x3E300000:
        return 1.0 + x
    # e**r by a rational approximation, then scaled by 2**k.
    t = x * x
    twopk = _from_words(0x3FF00000 + (k << 20), 0) if k >= -1021 else _from_words(0x3FF00000 + ((k + 1000) << 20), 0)
    c = x - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi)
    if k >= -1021:
        if k == 1024:
            return y * 2.0 * 8.988465674311579539e307
        return y * twopk
    return y * twopk * _TWO_M1000
