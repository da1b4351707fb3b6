"""`pip install --no-index --no-build-isolation ./python` in a fresh virtual environment, offline,
with the pip and setuptools that Python's venv brings; the installed package imports and works."""
import os
import subprocess
import sys
import tempfile
import unittest
import venv

import support


class Install(unittest.TestCase):
    def test_installs_in_a_fresh_venv_without_network(self):
        with tempfile.TemporaryDirectory() as folder:
            venv.create(folder, with_pip=True)
            python = os.path.join(folder, "bin", "python")
            install = subprocess.run([python, "-m", "pip", "install", "--no-index", "--no-build-isolation", support.PYTHON_DIR],
                                     capture_output=True, text=True, timeout=300)
            self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
            # From a neutral folder, so the checkout is not on the path: the installed copy answers.
            program = ("import alphaalign, os, sys\n"
                       "settings = alphaalign.load_settings(sys.argv[1])\n"
                       "print(alphaalign.__version__, alphaalign.__file__.startswith(sys.prefix), alphaalign.safety_reward(settings).__name__)")
            settings = os.path.join(support.PARITY_DIR, "shipped-rules.settings.json")
            check = subprocess.run([python, "-c", program, settings], capture_output=True, text=True, cwd=folder, timeout=60)
            self.assertEqual(check.returncode, 0, check.stderr)
            import alphaalign
            self.assertEqual(check.stdout, "%s True safety_reward\n" % alphaalign.__version__)


if __name__ == "__main__":
    unittest.main()
