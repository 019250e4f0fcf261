"""The one error family users see. The CLI prints its message as one line and exits non-zero."""


class HarnetEdgeError(Exception):
    """Something in the user's input (file, data, option) that cannot be used as given."""
