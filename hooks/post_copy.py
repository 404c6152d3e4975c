"""Runs once after `copier copy`: make the new project a git repository ready for `copier update`.

Copier runs it from the new project's folder. It never fails the copy: a missing git
or identity only changes what it prints. Set SKIP_GIT_INIT=1 to leave git alone.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

# Used only when the user has no git identity of their own, so the first commit can be made.
FALLBACK_IDENTITY = ["-c", "user.name=fastapi-bg-template", "-c", "user.email=template@localhost"]


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def inside_a_repository() -> bool:
    return git("rev-parse", "--is-inside-work-tree").stdout.strip() == "true"


def has_identity() -> bool:
    return bool(git("config", "user.email").stdout.strip())


def make_first_commit() -> str:
    if os.environ.get("SKIP_GIT_INIT") == "1":
        return "SKIP_GIT_INIT=1: git left alone."
    if shutil.which("git") is None:
        return "git not found: run `git init && git add -A && git commit` before `copier update`."
    if inside_a_repository():
        return "Already inside a git repository: commit the new files before `copier update`."
    git("init", "--quiet")
    git("add", "--all")
    identity = [] if has_identity() else FALLBACK_IDENTITY
    message = "Generate project from fastapi-bg-template"
    # No signing and no hooks of the user's global config: this commit only records the template.
    command = ["-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", message]
    result = git(*identity, *command)
    if result.returncode != 0:
        return f"git commit failed ({result.stderr.strip()}): commit before `copier update`."
    return "Created a git repository with a first commit: `copier update` is ready to use."


def project_folder() -> str:
    """The new project's folder as the user can `cd` to it from where they ran copier."""
    started_in = os.environ.get("PWD")
    relative = os.path.relpath(Path.cwd(), started_in) if started_in else str(Path.cwd())
    return min(relative, str(Path.cwd()), key=len)


def main(slug: str) -> None:
    print(make_first_commit())
    print(
        "\nNext steps:\n"
        f"  cd {project_folder()}\n"
        "  python -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]'\n"
        "  pytest\n"
        f"  {slug} serve\n"
    )


if __name__ == "__main__":
    main(sys.argv[1])
