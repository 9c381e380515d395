"""Mean-field theory: Gaussian expectations, the per-layer profile with its finite-width band, phases, gains.
Imports numpy, errors and nn/ only.
"""
