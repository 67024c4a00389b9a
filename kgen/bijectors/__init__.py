"""TFP bijectors driven by kgen's Keras 3 layers (shared by the VAE's IAF and flows).

TFP's own networks (``tfb.AutoregressiveNetwork``) are Keras 2 objects whose weights a
Keras 3 model cannot see, so kgen drives TFP's bijectors with its own layers: the
functions here build ``tfb.MaskedAutoregressiveFlow`` (MAF) and its inverse (IAF) from a
``kgen.layers.MADE``. The bijectors hold no weights; the MADE does, and it is tracked by
whichever Keras layer or model owns it.
"""

from kgen.bijectors.masked_autoregressive import (  # noqa: F401
    gated_iaf_step,
    gated_update_fn,
    inverse_autoregressive_flow,
    made_bijector_fn,
    masked_autoregressive_flow,
)
