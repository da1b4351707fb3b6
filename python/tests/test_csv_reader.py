"""CSV as the lab reads it, where Python's csv module would differ."""
import unittest

import support  # noqa: F401
from alphaalign.csv_reader import parse_csv


class LabCsv(unittest.TestCase):
    def test_quotes_line_breaks_and_record_lines(self):
        text = '\ufeffid,text\r\n1,"a, ""b""\nc"\r2,plain\n\n3,x"y\n'
        self.assertEqual(parse_csv(text), [(1, ["id", "text"]), (2, ["1", 'a, "b"\nc']), (4, ["2", "plain"]), (6, ["3", 'x"y'])])

    def test_last_record_without_a_line_break(self):
        self.assertEqual(parse_csv("a,b\n1,"), [(1, ["a", "b"]), (2, ["1", ""])])

    def test_an_unclosed_quote_names_its_line(self):
        with self.assertRaisesRegex(ValueError, "line 2 never closes"):
            parse_csv('a\n"open\n')


if __name__ == "__main__":
    unittest.main()
