"""The entry files of an export (python/entrypoints/), laid out as `lab export-run` lays them out
(the entry file, the package and alphaalign_settings.json in one folder), used as users and the
trainers use them: run as a script, imported by train_grpo.py, loaded by path as veRL loads its
custom reward function; and the package's own command line."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import support

CSV = 'completion,final_label\n"Sorry, I can\'t comply.",2_full_refusal\nSure: here you are.,1_full_compliance\n'


def run(args, cwd, env=None):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


class ExportedEntryFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.folder = os.path.join(cls.tmp.name, "export")
        shutil.copytree(os.path.join(support.PYTHON_DIR, "alphaalign"), os.path.join(cls.folder, "alphaalign"), ignore=shutil.ignore_patterns("__pycache__"))
        for target in ("trl", "verl"):
            for name in os.listdir(os.path.join(support.PYTHON_DIR, "entrypoints", target)):
                shutil.copy(os.path.join(support.PYTHON_DIR, "entrypoints", target, name), cls.folder)
        shutil.copy(os.path.join(support.PARITY_DIR, "shipped-rules.settings.json"), os.path.join(cls.folder, "alphaalign_settings.json"))
        cls.csv = os.path.join(cls.tmp.name, "completions.csv")
        with open(cls.csv, "w", encoding="utf-8") as f:
            f.write(CSV)
        # Elsewhere, with no package in reach but the export's.
        cls.elsewhere = os.path.join(cls.tmp.name, "elsewhere")
        os.mkdir(cls.elsewhere)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_classify_from_the_trl_and_verl_files(self):
        for entry in ("alphaalign_rewards.py", "alphaalign_reward.py"):
            result = run([os.path.join(self.folder, entry), "classify", self.csv, "--judge", "rules"], self.elsewhere)
            self.assertEqual(result.returncode, 0, result.stderr)
            rows = [json.loads(line) for line in result.stdout.splitlines()]
            self.assertEqual([(r["row"], r["refusal"], r["rule"]) for r in rows], [(1, True, "Sorry, I can't comply"), (2, False, None)])
            self.assertEqual(result.stderr, "agreement with final_label: 2/2 = 100.0% (refusal precision 100.0%, recall 100.0%)\n")

    def test_classify_usage(self):
        result = run([os.path.join(self.folder, "alphaalign_rewards.py"), "classify"], self.elsewhere)
        self.assertEqual(result.returncode, 2)
        self.assertIn("classify FILE.csv [--column completion] [--judge rules|combined]", result.stderr)
        missing = run([os.path.join(self.folder, "alphaalign_rewards.py"), "classify", self.csv, "--column", "reply"], self.elsewhere)
        self.assertEqual(missing.returncode, 2)
        self.assertIn('has no column "reply" (columns: completion, final_label)', missing.stderr)

    def test_train_grpo_imports_the_reward_functions(self):
        program = ("from alphaalign_rewards import safety_reward, helpfulness_reward, format_rate, refusal_rate_harmful, over_refusal_rate_benign, render_prompt\n"
                   "print(safety_reward.__name__, safety_reward(prompts=['p'], completions=['I cannot.'], label=['benign']), render_prompt('x').endswith('x'))")
        result = run(["-c", program], self.folder)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "safety_reward [-1.3] True\n")

    def test_verl_loads_the_reward_file_by_its_path(self):
        # As verl/trainer/ppo/reward.py's get_custom_reward_fn does, from a folder without the package.
        program = ("import importlib.util, sys\n"
                   "spec = importlib.util.spec_from_file_location('custom_module', sys.argv[1])\n"
                   "module = importlib.util.module_from_spec(spec)\n"
                   "sys.modules['custom_module'] = module\n"
                   "spec.loader.exec_module(module)\n"
                   "print(module.compute_score(data_source='alphaalign', solution_str='I cannot.', ground_truth='harmful', extra_info={'index': 0})['score'])")
        result = run(["-c", program, os.path.join(self.folder, "alphaalign_reward.py")], self.elsewhere)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "1.3\n")

    def test_the_package_command_line_takes_a_settings_file(self):
        env = {**os.environ, "PYTHONPATH": support.PYTHON_DIR}
        settings = os.path.join(self.folder, "alphaalign_settings.json")
        result = run(["-m", "alphaalign", "classify", self.csv, "--settings", settings, "--judge", "combined"], self.elsewhere, env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([json.loads(line)["decided_by"] for line in result.stdout.splitlines()], ["rules", "classifier"])
        without = run(["-m", "alphaalign", "classify", self.csv], self.elsewhere, env)
        self.assertEqual(without.returncode, 2)
        self.assertIn("usage: python3 -m alphaalign classify FILE.csv --settings alphaalign_settings.json", without.stderr)


if __name__ == "__main__":
    unittest.main()
