"""The image history buffer of CycleGAN's discriminators (Shrivastava et al. 2017,
arXiv:1612.07828, sec. 2.3; Zhu et al. 2017, arXiv:1703.10593, sec. 4).

A discriminator is trained on a mix of the current generated images and older ones,
kept in a buffer of ``size`` images. ``query`` is the released code's ``ImagePool.query``
written in TensorFlow, image by image in batch order, so that a later image of a batch
may meet an earlier one that was just stored:

- while the buffer holds fewer than ``size`` images, the image is stored in the next
  free slot and returned itself;
- once it is full, with probability 1/2 (``swap_draw > 0.5``) the image replaces the
  stored image of slot ``floor(index_draw * size)``, and that older image is returned
  in its place; otherwise the image is returned and the buffer is left alone.

The draws are the model's own uniform noise, so the buffer is seeded, resumed and
fixable (``kgen.testing.ZeroNoise``) like every other draw.

Under a ``tf.distribute`` strategy the buffer is *replica-consistent*
(``replica_query``): every replica gathers the global batch of generated images and
draws (in replica order, which is the 1-device batch order), runs the same sequential
update, and keeps its own slice of the returned images. So every replica holds the
same buffer (the mirrored state's ``ONLY_FIRST_REPLICA`` assignment is then exact),
the buffer sees every generated image of the global batch, and a 2-replica step equals
the 1-device step on the same noise. The cost is one all-gather of the images per
step, small next to the networks.
"""

import tensorflow as tf


def query(buffer, count, images, swap_draws, index_draws):
    """One pass of the history buffer over a batch of generated images.

    Args:
        buffer: ``[size, *shape]`` float tensor, the stored images (``size >= 1``).
        count: scalar int32 tensor, how many slots are filled (``0..size``).
        images: ``[n, *shape]``, the generated images, in batch order.
        swap_draws: ``[n]`` uniform draws in [0, 1): a full buffer swaps where > 0.5.
        index_draws: ``[n]`` uniform draws in [0, 1): the slot is
            ``floor(draw * size)``.

    Returns:
        ``(returned, buffer, count)``: the ``[n, *shape]`` images for the
        discriminator, the new buffer and the new count.
    """
    size = tf.shape(buffer)[0]
    images = tf.cast(images, buffer.dtype)
    slots = tf.minimum(tf.cast(tf.floor(index_draws * tf.cast(size, index_draws.dtype)),
                               tf.int32), size - 1)

    def step(i, buffer, count, returned):
        image, slot = images[i], slots[i]
        fill = count < size
        swap = tf.logical_and(tf.logical_not(fill), swap_draws[i] > 0.5)
        where = tf.where(fill, count, slot)
        old = buffer[where]
        out = tf.where(swap, old, image)
        buffer = tf.tensor_scatter_nd_update(
            buffer, [[where]], [tf.where(tf.logical_or(fill, swap), image, old)])
        returned = tf.tensor_scatter_nd_update(returned, [[i]], [out])
        return i + 1, buffer, count + tf.cast(fill, tf.int32), returned

    _, buffer, count, returned = tf.while_loop(
        lambda i, *_: i < tf.shape(images)[0], step,
        (tf.constant(0), buffer, tf.cast(count, tf.int32), tf.zeros_like(images)))
    return returned, buffer, count


def replica_query(buffer, count, images, draws):
    """``query`` on the model's state variables, replica-consistently (see the module
    docstring), then assigns the new buffer and count.

    Args:
        buffer: the ``[size, *shape]`` state variable.
        count: the scalar int32 state variable.
        images: this replica's ``[n, *shape]`` generated images.
        draws: this replica's ``[n, 2]`` uniform draws (swap, index).

    Returns:
        This replica's ``[n, *shape]`` images for the discriminator.
    """
    images = tf.stop_gradient(images)
    context = tf.distribute.get_replica_context()
    gathered = context is not None and context.num_replicas_in_sync > 1
    if gathered:
        sizes = context.all_gather(tf.shape(images)[:1], axis=0)
        offset = tf.reduce_sum(sizes[:context.replica_id_in_sync_group])
        local = tf.shape(images)[0]
        images = context.all_gather(images, axis=0)
        draws = context.all_gather(draws, axis=0)
    returned, new_buffer, new_count = query(tf.convert_to_tensor(buffer),
                                            tf.convert_to_tensor(count), images,
                                            draws[:, 0], draws[:, 1])
    buffer.assign(new_buffer)
    count.assign(new_count)
    if gathered:
        returned = returned[offset:offset + local]
    return returned
