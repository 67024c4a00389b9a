"""Autoregressive models: FVSBN, NADE, MADE, PixelCNN, Gated PixelCNN, exact log_prob in nats."""
