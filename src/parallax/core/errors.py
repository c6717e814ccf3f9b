"""Domain exceptions. The CLI turns each into a one-line message and a non-zero exit."""


class ParallaxError(Exception):
    """Base class: its message is shown to the user as-is, on one line."""


class InputError(ParallaxError):
    """The user's input (query, path, option) cannot be used."""


class CorpusError(InputError):
    """A document or folder cannot be read."""


class IndexNotFoundError(ParallaxError):
    """No index exists where one was expected."""


class IndexMismatchError(ParallaxError):
    """The index was built with another model or settings than the ones in use."""


class CorruptIndexError(ParallaxError):
    """An index file is missing, truncated or unreadable."""


class MissingExtraError(ParallaxError):
    """An optional dependency is not installed."""


class IndexBusyError(ParallaxError):
    """Another process is building the same index."""
