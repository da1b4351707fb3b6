"""Reading the settings the lab writes, and refusing, by name, what is not."""
import json
import os
import tempfile
import unittest

import support
from alphaalign import SettingsError, load_settings, settings_from_dict


def shipped() -> dict:
    with open(os.path.join(support.PARITY_DIR, "shipped-rules.settings.json"), encoding="utf-8") as f:
        return json.load(f)


class Settings(unittest.TestCase):
    def test_reads_what_the_lab_writes(self):
        settings = support.parity_settings("shipped-rules")
        self.assertEqual((settings.r_f, settings.r_a, settings.w_h), (0.7, 1.3, 0.5))
        self.assertEqual((settings.reward_judge, settings.eval_judge), ("rules", "combined"))
        self.assertEqual((settings.helpfulness_scorer, settings.helpfulness_metric), ("overlap", "f1"))
        self.assertEqual(settings.rules[1].pattern, "Sorry")
        self.assertIsNotNone(settings.classifier)

    def test_text_is_held_as_code_units(self):
        raw = shipped()
        raw["rules"][0] = {"pattern": "😀 no", "kind": "contains", "caseSensitive": True, "python": "😀 no"}
        settings = settings_from_dict(raw)
        self.assertEqual(settings.rules[0].pattern, "\ud83d\ude00 no")
        self.assertIsNotNone(settings.rules[0].regex.search("\ud83d\ude00 no"))

    def test_refuses_other_files_by_name(self):
        raw = shipped()
        cases = [
            ({"kind": "something else"}, "not AlphaAlign verifier settings"),
            ({"version": 99}, "version 99"),
            ({"judge": {**raw["judge"], "reward": "onnx"}}, "judge 'onnx'"),
            ({"judge": {**raw["judge"], "classifier": None}}, "carry no classifier"),
        ]
        for change, message in cases:
            with self.subTest(change=change), self.assertRaisesRegex(SettingsError, message):
                settings_from_dict({**raw, **change}, "x.json")
        missing = dict(raw)
        del missing["rewards"]
        with self.assertRaisesRegex(SettingsError, "x.json has no 'rewards'"):
            settings_from_dict(missing, "x.json")

    def test_a_file_that_is_not_json(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "bad.json")
            with open(path, "w") as f:
                f.write("{")
            with self.assertRaisesRegex(SettingsError, "bad.json is not valid JSON"):
                load_settings(path)


if __name__ == "__main__":
    unittest.main()
