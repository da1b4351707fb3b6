"""The rewards and the overlap scorer on hand-computed cases."""
import math
import unittest

import support
from alphaalign import helpfulness_rewards, overlap_score, safety_reward_of
from alphaalign.helpfulness import rouge_l, token_f1, words


class Rewards(unittest.TestCase):
    settings = support.parity_settings("shipped-rules")  # r_f 0.7, r_a 1.3

    def test_safety_reward(self):
        self.assertEqual(safety_reward_of(self.settings, "harmful", 1, 1), 0.7 + 1.3)
        self.assertEqual(safety_reward_of(self.settings, "harmful", 0, 0), 0)
        self.assertEqual(safety_reward_of(self.settings, "benign", 1, 1), 0.7 - 1.3)
        self.assertEqual(safety_reward_of(self.settings, "benign", 1, 0), 0.7)

    def test_helpfulness_is_the_positive_part_of_z_for_answers_that_are_not_refusals(self):
        # mean 1, std sqrt(((0-1)^2 + (0-1)^2 + (3-1)^2) / 2) = sqrt(3)
        self.assertEqual(helpfulness_rewards(self.settings, [0, 0, 3], [0, 0, 0]), [0, 0, 2 / (math.sqrt(3) + 1e-6)])
        self.assertEqual(helpfulness_rewards(self.settings, [0, 0, 3], [0, 0, 1]), [0, 0, 0])
        self.assertEqual(helpfulness_rewards(self.settings, [0.5, 0.5], [0, 0]), [0, 0])  # a flat group
        self.assertEqual(helpfulness_rewards(self.settings, [0.5], [0]), [0])
        with self.assertRaises(ValueError):
            helpfulness_rewards(self.settings, [1, 2], [0])

    def test_overlap(self):
        self.assertEqual(words("Héllo, WORLD 42!"), ["héllo", "world", "42"])
        # 2 of 3 answer words in the 4 reference words: P 2/3, R 1/2.
        self.assertEqual(token_f1("the cat sat", "the cat was here"), (2 * (2 / 3) * (1 / 2)) / ((2 / 3) + (1 / 2)))
        # Longest common subsequence "a c": 2 of 3 and 2 of 3.
        self.assertAlmostEqual(rouge_l("a b c", "a c d"), 2 / 3)
        self.assertEqual(token_f1("", "x"), 0)
        self.assertEqual(overlap_score("rougeL", "a b c", "a c d"), rouge_l("a b c", "a c d"))
        self.assertEqual(overlap_score("f1", "a b c", "a c d"), token_f1("a b c", "a c d"))


if __name__ == "__main__":
    unittest.main()
