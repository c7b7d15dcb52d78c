"""The verification app in the admin; each part in its own module."""

from . import directory_admin  # noqa: F401 - registers the directory imports and their upload page
