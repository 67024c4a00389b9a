"""Small VAEs built by name, for checks that run in a subprocess
(``kgen.testing.assert_replica_step_matches("tests.models.vae.factories:tiny_vae", x)``)."""

from kgen import networks
from kgen.models.vae import VAE

EVENT_SHAPE, LATENT_DIM = (8, 8, 1), 4


def tiny_vae():
    """An 8x8 binary-image VAE, MLPs of 16 units, latent 4, seed 0."""
    return VAE(event_shape=EVENT_SHAPE, latent_dim=LATENT_DIM,
               encoder=networks.mlp_encoder(EVENT_SHAPE, (16,)),
               decoder=networks.mlp_decoder(LATENT_DIM, EVENT_SHAPE, (16,)), seed=0)
