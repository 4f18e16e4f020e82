"""The one exception type for problems a user can cause and fix."""


class LdctInputError(Exception):
    """A file or config value a user supplied is unusable.

    The message always names the file path or the config key, and says what is wrong,
    so that it can be shown to the user on its own, without a traceback.
    """
