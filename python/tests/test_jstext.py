"""Text and numbers as JavaScript sees and writes them: the values below are what V8 gives."""
import math
import unittest

import support  # noqa: F401  (this checkout's package)
from alphaalign.jsmath import js_exp
from alphaalign.jstext import from_units, js_fixed, js_json_string, js_number, js_trim, to_units


class TextAsUtf16(unittest.TestCase):
    def test_astral_characters_are_two_code_units_and_come_back(self):
        self.assertEqual(len(to_units("a😀b")), 4)  # "a😀b".length in JavaScript
        self.assertEqual(to_units("😀"), "\ud83d\ude00")
        self.assertEqual(from_units(to_units("a😀b")), "a😀b")
        self.assertEqual(from_units("\ud83d!"), "\ud83d!")  # a lone surrogate stays

    def test_trim_strips_ecmascript_white_space_only(self):
        self.assertEqual(js_trim("\ufeff\u00a0\u2028 x \t"), "x")  # Python's strip() keeps \ufeff
        self.assertEqual(js_trim("\x85x\x1c"), "\x85x\x1c")  # ...and strips these, which JavaScript keeps

    def test_json_string(self):
        self.assertEqual(js_json_string('a"b\\\n\x01'), '"a\\"b\\\\\\n\\u0001"')
        self.assertEqual(js_json_string(to_units("😀")), '"😀"')
        self.assertEqual(js_json_string("\ud83d"), '"\\ud83d"')


class NumbersAsJavaScript(unittest.TestCase):
    def test_number_to_string(self):
        cases = {0.0: "0", -0.0: "0", 1.0: "1", -1.0: "-1", 0.1: "0.1", 1e21: "1e+21", 1e-7: "1e-7", 1.5e-7: "1.5e-7", 123456789012345680000.0: "123456789012345680000",
                 5.464271559314713e-5: "0.00005464271559314713", 2.0 ** 53: "9007199254740992", -3.25e-10: "-3.25e-10", 0.8: "0.8", 1e20: "100000000000000000000",
                 float("nan"): "null", float("inf"): "null"}
        for x, expected in cases.items():
            self.assertEqual(js_number(x), expected, repr(x))

    def test_to_fixed_rounds_the_binary_value_half_up(self):
        self.assertEqual(js_fixed(0.125, 2), "0.13")  # exactly representable: half up
        self.assertEqual(js_fixed(1.005, 2), "1.00")  # 1.00499999999999989...
        self.assertEqual(js_fixed(0.0, 2), "0.00")

    def test_exp(self):
        self.assertEqual(js_exp(0.0), 1.0)
        self.assertEqual(js_exp(1.0), 2.718281828459045)
        self.assertEqual(js_exp(-745.2), 0.0)
        self.assertEqual(js_exp(709.79), math.inf)
        self.assertTrue(math.isnan(js_exp(math.nan)))
        self.assertEqual(js_exp(-math.inf), 0.0)
        # Within an ulp of the C library's everywhere: the two differ only in the last bit.
        for i in range(-2000, 2000):
            x = i / 7.3
            self.assertLessEqual(abs(js_exp(x) - math.exp(x)), math.ulp(math.exp(x)), x)


if __name__ == "__main__":
    unittest.main()
