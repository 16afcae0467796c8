"""The HTTP service: FastAPI routes, request readers, the model registry, the pool.

``app.main`` builds the application from these pieces; every route reads its
input (``inputs``), hands the CPU-bound work to a thread or a pool process
(``offload``, running ``predictor``), and answers with a Pydantic model
(``schemas``). Errors from the pipeline are rendered by ``handlers``.
"""
