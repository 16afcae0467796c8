"""The ``digits`` command: ``main`` parses, the subcommands live beside it.

``training`` (train, evaluate) and ``service`` (serve, predict) register their
subcommands with the parser in ``main``; ``data`` downloads and verifies MNIST.
"""
