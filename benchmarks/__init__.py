# Measure the service as it runs: importing ``app`` first gives one BLAS thread per
# process (see app/__init__.py), before any benchmark imports NumPy.
import app  # noqa: F401
