"""errors: facekit.Error and one subclass per fk_status, each carrying the library's one-line message (the file and the problem)."""

from . import _lib


class Error(Exception):
    """A facekit call failed. `status` is the fk_status code (int), `status_name` its
    fk_strerror text, `message` the library's one-line message naming the file and the problem.

    Each status has its own subclass, which is also the built-in exception a Python caller
    would expect (FileNotFoundError for a missing file, MemoryError, ValueError for bad input).
    """

    status = 0

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message

    @property
    def status_name(self):
        return _lib.fk_strerror(self.status).decode()

    def __str__(self):
        return self.message


class InvalidArgumentError(Error, ValueError):
    """FK_E_INVALID_ARGUMENT: a bad argument or option."""
    status = 1


class NoMemoryError(Error, MemoryError):
    """FK_E_NO_MEMORY: an allocation failed."""
    status = 2


class SizeOverflowError(Error, OverflowError):
    """FK_E_OVERFLOW: a size computation would overflow."""
    status = 3


class FileIOError(Error, OSError):
    """FK_E_IO: a file could not be opened, read or written."""
    status = 4


class BadFormatError(Error, ValueError):
    """FK_E_BAD_FORMAT: the data is corrupt, truncated or not what it claims."""
    status = 5


class UnsupportedError(Error, NotImplementedError):
    """FK_E_UNSUPPORTED: valid data, or a model, that this build of facekit cannot handle."""
    status = 6


class BadStateError(Error, RuntimeError):
    """FK_E_BAD_STATE: the object cannot do this now (a model not loaded, landmarks missing)."""
    status = 7


class LimitError(Error, ValueError):
    """FK_E_LIMIT: the input exceeds a configured limit (image size, count)."""
    status = 8


class NotFoundError(Error, FileNotFoundError):
    """FK_E_NOT_FOUND: a named file, model or weight does not exist."""
    status = 9


class ImageError(InvalidArgumentError):
    """A numpy array that is not an image facekit can read (its dtype, shape or memory layout)."""


_BY_STATUS = {c.status: c for c in (InvalidArgumentError, NoMemoryError, SizeOverflowError, FileIOError,
                                     BadFormatError, UnsupportedError, BadStateError, LimitError, NotFoundError)}


def from_status(status, message):
    """The exception for a failed call: its class from the status, its text the library's message."""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    if not message:
        message = _lib.fk_strerror(status).decode()
    cls = _BY_STATUS.get(status)
    # the subclasses know their status; passing it on would make OSError's constructor read the
    # two arguments as (errno, strerror)
    return cls(message) if cls else Error(message, status)


def check(status, err):
    """Raises for a non-zero status of a call that filled the fk_error `err`."""
    if status:
        raise from_status(status, err.message)
