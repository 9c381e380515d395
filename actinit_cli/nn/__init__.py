"""The NumPy core: activations, initializers and their registry, shapes, the MLP, losses and per-layer statistics.
Imports only numpy, the standard library, errors and itself: never run/, files, plots or the face.
"""
