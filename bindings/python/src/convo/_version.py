# The binding's version; it follows the C library's CONVO_VERSION (a test checks they agree).
__version__ = "0.1.0"
