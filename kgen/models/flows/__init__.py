"""Normalizing flows on TFP bijectors, with kgen's Keras 3 layers supplying every variable."""
