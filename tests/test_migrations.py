"""A renamed answer key comes with a migration, and it runs on exactly its version span.

Release 0.1.0 renames nothing, so the real copier.yml has no migration yet. These tests
build a throw-away template whose v2.0.0 renames the answer `use_docker` to `container`
(in copier.yml and every template file) with a `_migrations` entry that runs this
repository's own hooks/migrations/rename_answer.py, then v3.0.0 changes something else.
"""

from __future__ import annotations

import re
from pathlib import Path

import copier
import pytest
from conftest import commit_and_tag, git, is_binary, read_answers, render, template_repo

pytestmark = pytest.mark.usefixtures("no_git_identity")

SMALL = {"async_clients": False, "background_jobs": ["files"], "ci": "none"}
RAN = "migration: answer 'use_docker' renamed to 'container'"
MIGRATION = """\
  - version: v2.0.0
    command:
      - "{{ _copier_python }}"
      - "{{ _copier_conf.src_path }}/hooks/migrations/rename_answer.py"
      - "{{ _copier_conf.answers_file }}"
      - use_docker
      - container
    when: "{{ _stage == 'before' }}"
"""


def rename_everywhere(template: Path, old: str, new: str) -> None:
    """Rename a question and every use of it, in file names and contents."""
    word = re.compile(rf"\b{old}\b")
    paths = [template / "copier.yml", *(template / "template").rglob("*")]
    for path in sorted(paths, key=lambda p: len(p.parts), reverse=True):  # children first
        if path.is_file() and not is_binary(path):
            path.write_text(word.sub(new, path.read_text()))
        if word.search(path.name):
            path.rename(path.with_name(word.sub(new, path.name)))


def add_migration(copier_yml: Path, entry: str) -> None:
    text = copier_yml.read_text()
    if re.search(r"^_migrations:\s*\[\]\s*$", text, re.MULTILINE):
        text = re.sub(
            r"^_migrations:\s*\[\]\s*$", "_migrations:\n" + entry.rstrip("\n"), text, flags=re.M
        )
    elif re.search(r"^_migrations:\s*$", text, re.MULTILINE):
        text = re.sub(r"^_migrations:\s*$", "_migrations:\n" + entry.rstrip("\n"), text, flags=re.M)
    else:
        text += "\n_migrations:\n" + entry
    copier_yml.write_text(text)


def releases(destination: Path, *, with_migration: bool) -> Path:
    """v1.0.0: the current template; v2.0.0: `use_docker` renamed; v3.0.0: a README line."""
    repo = template_repo(destination)
    rename_everywhere(repo, "use_docker", "container")
    if with_migration:
        add_migration(repo / "copier.yml", MIGRATION)
    commit_and_tag(repo, "v2.0.0")
    with (repo / "template" / "README.md.jinja").open("a") as readme:
        readme.write("\nGenerated from template v3.\n")
    commit_and_tag(repo, "v3.0.0")
    return repo


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return releases(tmp_path_factory.mktemp("migrations") / "template", with_migration=True)


def update(project: Path, vcs_ref: str) -> None:
    copier.run_update(
        project, vcs_ref=vcs_ref, defaults=True, overwrite=True, unsafe=True, quiet=True
    )


def test_update_across_the_rename_keeps_the_users_answer(template, tmp_path, capfd) -> None:
    # False is not the default: had the answer been lost, the update would take True.
    project = render(
        tmp_path / "p", {**SMALL, "use_docker": False}, template=template, vcs_ref="v1.0.0"
    )

    update(project, "v2.0.0")

    answers = read_answers(project)
    assert answers["_commit"] == "v2.0.0"
    assert answers["container"] is False
    assert "use_docker" not in answers
    assert capfd.readouterr().out.count(RAN) == 1


def test_without_the_migration_the_update_would_lose_the_answer(tmp_path) -> None:
    """Why the migration exists: the renamed question silently falls back to its default."""
    template = releases(tmp_path / "template", with_migration=False)
    project = render(
        tmp_path / "p", {**SMALL, "use_docker": False}, template=template, vcs_ref="v1.0.0"
    )

    update(project, "v2.0.0")

    assert read_answers(project)["container"] is True


def test_updating_straight_past_the_rename_runs_the_migration_once(
    template, tmp_path, capfd
) -> None:
    project = render(
        tmp_path / "p", {**SMALL, "use_docker": False}, template=template, vcs_ref="v1.0.0"
    )

    update(project, "v3.0.0")

    assert read_answers(project)["container"] is False
    assert capfd.readouterr().out.count(RAN) == 1


def test_migration_does_not_run_again_on_the_next_update(template, tmp_path, capfd) -> None:
    project = render(
        tmp_path / "p", {**SMALL, "use_docker": False}, template=template, vcs_ref="v1.0.0"
    )
    update(project, "v2.0.0")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "update to v2")
    capfd.readouterr()

    update(project, "v3.0.0")

    assert "migration:" not in capfd.readouterr().out
    assert read_answers(project)["_commit"] == "v3.0.0"
    assert read_answers(project)["container"] is False


def test_project_generated_after_the_rename_never_runs_it(template, tmp_path, capfd) -> None:
    project = render(
        tmp_path / "p", {**SMALL, "container": False}, template=template, vcs_ref="v2.0.0"
    )

    update(project, "v3.0.0")

    assert "migration:" not in capfd.readouterr().out
    assert read_answers(project)["container"] is False
