"""Applying a gradient step after the loss it comes from is computed."""

import tensorflow as tf


def apply_after_loss(optimizer, loss, gradients, variables):
    """``optimizer.apply(gradients, variables)``, ordered after ``loss``.

    A value computed from the weights that the gradient does not need must read
    them before the update: D(x) under a Wasserstein loss is one (the gradient of
    ``D(G(z)) - D(x)`` needs D's input, not its output). In a ``tf.function``,
    TensorFlow orders the update after every read of the variable, but Grappler's
    dependency optimizer (TensorFlow 2.21) can drop that ordering, and the update
    then races the read: n_critic=5 with the gradient penalty gave one of two results
    from run to run, on one device (design notes, section 16). A control dependency
    on the loss, which depends on those values, keeps the order under any strategy
    (a ``MirroredStrategy`` carries it into its merge call). Eager execution is
    sequential anyway.

    Args:
        optimizer: a ``keras.optimizers.Optimizer``.
        loss: scalar tensor, the loss the gradients are of.
        gradients: list of tensors, one per variable.
        variables: list of the variables to update.
    """
    with tf.control_dependencies([loss]):
        optimizer.apply(gradients, variables)
