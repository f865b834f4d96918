"""Fitting the answering models: the reader (trained here) and the scorers and decisions over it."""
