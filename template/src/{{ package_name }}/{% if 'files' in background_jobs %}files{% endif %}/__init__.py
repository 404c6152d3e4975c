"""File generation: POST /files writes a file into FILES_DIR after the response."""

from .router import feature
from .settings import FilesSettings

__all__ = ["FilesSettings", "feature"]
