from pathlib import Path

from pydantic_settings import BaseSettings


class FilesSettings(BaseSettings):
    files_dir: Path = Path("var/files")
