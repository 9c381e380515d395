"""CI gates: verdicts of checks against layers.csv rows, baselines, JUnit, and the gate over many targets.
Imports run/, nn/ and errors; never sweep/ or the face.
"""
