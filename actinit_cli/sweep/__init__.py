"""Sweeps: the plan (product of a spec's lists), worker processes, points.csv rows, heatmaps and recommendations.
Imports gates/, run/, nn/, theory/, errors and plots (lazily); never the face.
"""
