"""The package gives the lab's verdicts and rewards on every shared XSTest completion, the demo
model's rollouts and crafted edge texts, under the shipped rules, rules with edge cases and the
combined judge; `classify` prints the lab's verdicts and agreement line. The lab's side is in
fixtures/parity/ (the lab wrote it; its tests check it is current)."""
import io
import json
import os
import unittest

import support
from alphaalign import classify, safety_reward_of, verify_completion


class ParityWithTheLab(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.texts = support.sample_texts()

    def test_every_sample_is_there(self):
        # 3 x 450 XSTest completions, the demo rollouts and the crafted texts, in every case.
        for case in support.PARITY_CASES:
            verdicts = support.lab_verdicts(case)
            self.assertEqual([v["sample"] for v in verdicts], list(self.texts))
            self.assertGreaterEqual(len(verdicts), 3 * 450 + 100)

    def test_verdicts_and_rewards(self):
        for case in support.PARITY_CASES:
            settings = support.parity_settings(case)
            with self.subTest(case=case):
                mismatches = []
                for lab in support.lab_verdicts(case):
                    v = verify_completion(settings, self.texts[lab["sample"]])
                    ours = {"format": v.format, "refusal": v.refusal, "rule_index": v.rule_index, "rule": v.rule, "answer": v.answer,
                            "decided_by": v.decided_by, "probability": v.probability, "reason": v.reason,
                            "reward": safety_reward_of(settings, lab["label"], v.format, v.refusal)}
                    expected = {key: lab[key] for key in ours}
                    if ours != expected:
                        mismatches.append((lab["sample"], expected, ours))
                self.assertEqual(mismatches[:3], [])

    def test_the_comparison_is_not_over_a_constant(self):
        for case in support.PARITY_CASES:
            verdicts = support.lab_verdicts(case)
            self.assertGreater(len({v["rule_index"] for v in verdicts}), 4, case)
            self.assertEqual({v["format"] for v in verdicts}, {0, 1}, case)
        self.assertGreater(sum(v["decided_by"] == "classifier" for v in support.lab_verdicts("classifier")), 50)

    def test_recorded_demo_rollouts(self):
        """The verdicts `lab eval` recorded with the demo rollouts, under the shipped rules."""
        settings = support.parity_settings("shipped-rules")
        rollouts = support.read_jsonl(support.ROLLOUTS_FILE)
        ours = [verify_completion(settings, row["completion"]) for row in rollouts]
        self.assertEqual([(v.format == 1, v.refusal == 1, v.rule) for v in ours], [(r["format"], r["refusal"], r["rule"]) for r in rollouts])
        self.assertEqual({r["refusal"] for r in rollouts}, {True, False})

    def test_classify_prints_the_labs_verdicts_and_agreement(self):
        # The shipped-rules settings carry the default rules and the classifier: "rules" gives that
        # case's verdicts, "combined" the classifier case's.
        settings = support.parity_settings("shipped-rules")
        with open(os.path.join(support.PARITY_DIR, "classify-agreement.json"), encoding="utf-8") as f:
            agreement = json.load(f)
        for judge, case in (("rules", "shipped-rules"), ("combined", "classifier")):
            lab = [v for v in support.lab_verdicts(case) if not v["sample"].startswith(("demo-", "crafted:"))]
            printed = []
            for name in support.XSTEST_FILES:
                out, err = io.BytesIO(), io.StringIO()
                status = classify(settings, os.path.join(support.XSTEST_DIR, name), "completion", judge, out, err)
                self.assertEqual(status, 0, err.getvalue())
                self.assertEqual(err.getvalue(), agreement[name][judge] + "\n")
                printed.extend(json.loads(line) for line in out.getvalue().decode("utf-8").splitlines())
            with self.subTest(judge=judge):
                self.assertEqual(len(printed), len(lab))
                for row, expected in zip(printed, lab):
                    self.assertEqual(row, {"row": int(expected["sample"].split(":")[1]), "refusal": expected["refusal"] == 1, "rule": expected["rule"],
                                           "decided_by": expected["decided_by"], "probability": expected["probability"], "reason": expected["reason"]})


if __name__ == "__main__":
    unittest.main()
