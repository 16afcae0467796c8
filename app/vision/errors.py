"""Errors a client's input can cause, each with the HTTP status it maps to.

Every failure the service reports to a client is one of these: the message says
what was wrong and what is accepted, in words a person understands. The API turns
them into JSON ``{"detail": ...}`` responses; the CLI prints the message.
"""

from __future__ import annotations


class InputError(Exception):
    """Base: a problem with what the client sent."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnsupportedImageError(InputError):
    """Not an image, a truncated file, or a format we do not decode (SVG, PDF...)."""

    status_code = 415


class ImageTooLargeError(InputError):
    """More bytes or more pixels than the configured limits."""

    status_code = 413


class NoDigitError(InputError):
    """The image decodes but holds no ink: an empty canvas, a blank page, noise."""

    status_code = 422


class InvalidInputError(InputError):
    """Malformed request content (bad base64, wrong pixel array shape, NaN...)."""

    status_code = 422
