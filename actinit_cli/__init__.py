"""actinit: see what activation functions and weight initializers do to a deep network."""

__version__ = "0.1.0"
