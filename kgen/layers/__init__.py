"""Reusable Keras 3 layers that are not models."""
