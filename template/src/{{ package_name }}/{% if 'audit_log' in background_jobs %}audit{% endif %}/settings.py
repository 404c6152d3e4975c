from pathlib import Path

from pydantic_settings import BaseSettings


class AuditSettings(BaseSettings):
    log_file: Path = Path("var/audit.jsonl")
    """The audit log: one JSON object per line, only ever appended to."""
