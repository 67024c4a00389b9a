"""Line plots rasterized with NumPy alone (no plotting library), for the lectures' PNGs.

``line_plot`` draws polylines and markers into a white ``[height, width, 3]`` float image
with a grey frame and grey zero lines; ``kgen.callbacks._images.save_png`` writes it.
There are no tick labels: each example prints the ranges it drew.
"""

import numpy as np

COLORS = ((0.85, 0.1, 0.1), (0.1, 0.3, 0.85), (0.1, 0.6, 0.2), (0.9, 0.55, 0.0),
          (0.5, 0.2, 0.7), (0.0, 0.0, 0.0))


def _to_pixels(points, x_range, y_range, height, width, margin):
    points = np.asarray(points, np.float64)
    u = (points[:, 0] - x_range[0]) / (x_range[1] - x_range[0])
    v = (points[:, 1] - y_range[0]) / (y_range[1] - y_range[0])
    cols = margin + u * (width - 1 - 2 * margin)
    rows = height - 1 - margin - v * (height - 1 - 2 * margin)
    return rows, cols


def _paint(image, rows, cols, color, thickness):
    rows, cols = np.round(rows).astype(int), np.round(cols).astype(int)
    h, w, _ = image.shape
    r = thickness // 2
    for dr in range(-r, r + 1):
        for dc in range(-r, r + 1):
            rr, cc = rows + dr, cols + dc
            inside = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
            image[rr[inside], cc[inside]] = color


def line_plot(series, x_range, y_range, height=240, width=320, margin=8, thickness=2):
    """Draws ``series`` into an RGB image.

    Args:
        series: list of dicts with ``points`` (``(n, 2)`` data coordinates) and
            optional ``color`` (RGB in [0, 1]; default the next of ``COLORS``),
            ``style`` (``"line"``, the default, or ``"dots"``) and ``thickness``.
        x_range, y_range: ``(low, high)`` of the axes (points outside are clipped away).
        height, width, margin: the image size and the blank border, in pixels.
        thickness: default line width in pixels.

    Returns:
        float32 ``[height, width, 3]`` in [0, 1].

    Raises:
        ValueError: naming ``x_range`` or ``y_range`` if not low < high.
    """
    for name, rng in (("x_range", x_range), ("y_range", y_range)):
        if not (len(rng) == 2 and float(rng[0]) < float(rng[1])):
            raise ValueError(f"`{name}` must be (low, high) with low < high. "
                             f"Received: {name}={rng!r}")
    image = np.ones((height, width, 3), np.float32)
    grey = (0.6, 0.6, 0.6)
    frame = np.array([[x_range[0], y_range[0]], [x_range[1], y_range[0]],
                      [x_range[1], y_range[1]], [x_range[0], y_range[1]],
                      [x_range[0], y_range[0]]])
    axes = []
    if x_range[0] < 0 < x_range[1]:
        axes.append(np.array([[0.0, y_range[0]], [0.0, y_range[1]]]))
    if y_range[0] < 0 < y_range[1]:
        axes.append(np.array([[x_range[0], 0.0], [x_range[1], 0.0]]))
    strokes = [{"points": p, "color": (0.85, 0.85, 0.85), "thickness": 1} for p in axes]
    strokes.append({"points": frame, "color": grey, "thickness": 1})
    for i, s in enumerate(series):
        strokes.append({"color": COLORS[i % len(COLORS)], "thickness": thickness, **s})
    for s in strokes:
        rows, cols = _to_pixels(s["points"], x_range, y_range, height, width, margin)
        if s.get("style", "line") == "line" and len(rows) > 1:
            length = np.hypot(np.diff(rows), np.diff(cols))
            pieces = [np.linspace(0.0, 1.0, max(int(n) + 2, 2)) for n in np.ceil(length)]
            rows = np.concatenate([r0 + t * (r1 - r0) for r0, r1, t in
                                   zip(rows[:-1], rows[1:], pieces)])
            cols = np.concatenate([c0 + t * (c1 - c0) for c0, c1, t in
                                   zip(cols[:-1], cols[1:], pieces)])
        _paint(image, rows, cols, s["color"], s.get("thickness", thickness))
    return image


__all__ = ["COLORS", "line_plot"]
