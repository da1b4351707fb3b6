"""python3 -m alphaalign classify FILE.csv --settings alphaalign_settings.json [--column completion] [--judge rules|combined]"""
import sys

from .classify import classify_main

sys.exit(classify_main(sys.argv[1:], program="-m alphaalign"))
