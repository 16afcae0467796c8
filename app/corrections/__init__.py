"""Corrections: what people tell the service it got wrong (or right), kept in a database.

Every correction is one labelled example of real input: the 28x28 image the network
saw, the image as the person sent it, the model that answered (name and weights
SHA-256), its answer and confidence, the label the person gave, the input kind and
the time. Nothing that identifies the person is kept.

- ``app.corrections.table``: the one table and the label and kind vocabularies;
- ``app.corrections.database``: engines for SQLite (WAL, busy timeout) and
  PostgreSQL, and the Alembic migrations that create the schema;
- ``app.corrections.store``: add, find, count and delete corrections;
- ``app.corrections.export``: NPZ, MNIST IDX and PNG + CSV files, with the
  held-out split that keeps evaluation honest;
- ``app.corrections.dataset``: an exported NPZ read back for training and evaluation.

This package knows nothing of HTTP; the service (``app.service.feedback``) and the
``digits feedback`` command use it.
"""
