"""The NumPy core: activations, initializers, their registry, shapes, the MLP, losses, statistics and their sums.
Imports only numpy, the standard library, errors and itself: never run/, files, plots or the face.
"""
