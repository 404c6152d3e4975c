"""Migration: an answer key was renamed. Run in copier's "before" stage of `copier update`.

    python rename_answer.py ANSWERS_FILE OLD_KEY NEW_KEY

Renames OLD_KEY to NEW_KEY in the project's answers file, keeping its value, the order of
the keys and the header comment, so that the new template version reads the user's
earlier answer instead of asking again (or silently taking the default). Copier renders
the old template version with the old answers before this runs, and reloads the answers
after it, so the merge sees both sides with the keys each version expects.

Idempotent: when OLD_KEY is absent (already migrated, or never answered) it changes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def rename_answer(answers_file: Path, old: str, new: str) -> bool:
    text = answers_file.read_text()
    answers = yaml.safe_load(text) or {}
    if old not in answers:
        return False
    if new in answers:
        raise SystemExit(f"{answers_file}: both {old!r} and {new!r} are answered; keep one")
    renamed = {(new if key == old else key): value for key, value in answers.items()}
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    answers_file.write_text(header + yaml.safe_dump(renamed, sort_keys=False, allow_unicode=True))
    return True


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        raise SystemExit(__doc__)
    answers_file, old, new = Path(argv[0]), argv[1], argv[2]
    if rename_answer(answers_file, old, new):
        print(f"migration: answer {old!r} renamed to {new!r} in {answers_file}")
    else:
        print(f"migration: no answer {old!r} in {answers_file}, nothing to rename")


if __name__ == "__main__":
    main(sys.argv[1:])
