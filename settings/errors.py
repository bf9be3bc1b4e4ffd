"""The one error a bad setting raises."""


class SettingsError(Exception):
    """One bad setting: the message names it and says how to fix it."""
