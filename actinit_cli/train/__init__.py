"""Short training runs (`actinit train`): the data split, the loop over nn/'s forward, backward and optimizers,
the history and what a training run writes. Imports run/, nn/, errors and plots (lazily); never gates/ or the face.
"""
