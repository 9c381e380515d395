"""One experiment: the spec and its fields, check definitions, the theory overlay, the runner, the run directory.
Imports nn/, theory/, errors and plots (lazily); never gates/, sweep/ or the face.
"""
