"""The image pipeline: any drawing or photo, as bytes, to MNIST-style 28x28 input.

``decode`` opens the file safely, ``ink`` tells ink from paper, ``components``
labels connected strokes, ``clutter``, ``region`` and ``numbers`` find the digit
(or the digits of a number) among frames, pens and underlines, ``geometry`` cuts
each one out and places it as MNIST did, and ``pipeline`` runs them in order.
Nothing here knows about HTTP: the service and the CLI both call ``pipeline``.
"""
