"""Digits around the network: the image pipeline (``vision``), the HTTP service
(``service``), the ``digits`` command (``cli``) and the settings they share.

One BLAS thread per process, unless the environment says otherwise. The service
answers many requests at once (uvicorn workers, FastAPI's thread pool), and the
small matrix products of one prediction gain nothing from threads; a multi-threaded
BLAS in every worker oversubscribes the cores instead. Measured on the 2-core
machine this project is built on, with the other core busy: one CNN forward pass
took 92 ms with two OpenBLAS threads and 1.1 ms with one. This runs before NumPy is
first imported (``digits`` and ``uvicorn app.main:app`` both import this package
first); set ``OPENBLAS_NUM_THREADS`` (or ``OMP_NUM_THREADS``) to choose otherwise.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
