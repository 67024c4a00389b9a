"""``KLWarmup``: linear warm-up of the KL term of a VAE's training loss."""

import keras

from kgen import checks


class KLWarmup(keras.callbacks.Callback):
    """Raises a VAE's KL weight linearly from 0 to 1 over the first epochs.

    At the start of epoch ``e`` (0-based) the callback sets

        model.kl_weight = min(1, e / epochs)

    so the first epoch trains the reconstruction term alone and the full
    ELBO is trained from epoch ``epochs`` on; ``epochs=0`` keeps the weight
    at 1. This is the "warm-up" of Sønderby et al. 2016 (arXiv:1602.02282,
    sec. 2.4), the "KL cost annealing" of Bowman et al. 2016
    (arXiv:1511.06349, sec. 3.1). The weight only scales the training loss:
    the reported ``elbo`` stays the true bound.

    The weight is a function of the epoch index that Keras passes in, so a
    run resumed by ``keras.callbacks.BackupAndRestore`` continues the
    schedule where it stopped. The weight of each epoch is added to its
    ``logs`` as ``kl_weight``; list this callback before
    ``keras.callbacks.TensorBoard`` and ``CSVLogger`` so they record it.
    When training ends the weight is set back to 1.

    Args:
        epochs: int >= 0, the length of the warm-up in epochs.

    Raises:
        ValueError: at construction on a negative ``epochs``; at the start
            of training if the model has no ``kl_weight`` variable.

    Example:

    >>> model = kgen.models.vae.VAE(latent_dim=50)
    >>> model.fit(train, epochs=100, callbacks=[KLWarmup(epochs=10)])
    """

    def __init__(self, epochs):
        super().__init__()
        self.epochs = checks.positive_int("epochs", epochs, minimum=0)
        self.weight = None

    def weight_at(self, epoch):
        """The KL weight of 0-based epoch ``epoch``, a float in [0, 1]."""
        if self.epochs == 0:
            return 1.0
        return min(1.0, epoch / self.epochs)

    def on_train_begin(self, logs=None):
        if not hasattr(self.model, "kl_weight"):
            raise ValueError(
                "KLWarmup needs a model with a `kl_weight` variable (e.g. a kgen VAE). "
                f"Received: model {type(self.model).__name__} without kl_weight"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self.weight = self.weight_at(epoch)
        self.model.kl_weight.assign(self.weight)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["kl_weight"] = self.weight_at(epoch)

    def on_train_end(self, logs=None):
        # The trained model's loss is the true negative ELBO again, whether or
        # not training stopped inside the warm-up (a later fit without this
        # callback must not train on a down-weighted KL).
        self.model.kl_weight.assign(1.0)
