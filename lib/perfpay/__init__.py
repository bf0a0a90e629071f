"""perfpay: performance scores and performance pay, to the point and the cent."""

__version__ = "0.1.0"
