"""Every command the documentation shows (the ```bash blocks of README.md and docs/*.md) is either
run by a test, named below, or listed below with the reason no test runs it.

A command is known by its signature: the program and the sub-command words after it, e.g.
`dg launch`, `sentiment-assets registry approve`, `make serve`, `python -m sentiment_assets.x`.
When the docs gain or change a command, add or rename its entry here; an entry whose command the
docs no longer show fails too, so the two lists cannot drift apart."""

import re
import shlex
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

# Signature -> the test file that runs that command (or the command behind a make target).
RUN_BY = {
    "sentiment-assets --help": "test_cli_entrypoint.py",
    "sentiment-assets register-partition": "test_cli.py",
    "sentiment-assets registry reject": "test_pipeline_end_to_end.py",
    "sentiment-assets review list": "test_review_queue.py",
    "sentiment-assets review label": "test_review_queue.py",
    "sentiment-assets review skip": "test_review_queue.py",
    "sentiment-assets review labels": "test_review_queue.py",
    "sentiment-assets score": "test_resumable_scoring.py",
    "sentiment-assets lineage prediction": "test_lineage.py",
    "sentiment-assets lineage model": "test_lineage.py",
    "sentiment-assets lineage reproduce": "test_lineage.py",
    "sentiment-assets train": "test_train_transformer_entrypoint.py",  # its entry point, python -m
    "sentiment-assets move": "test_move_training.py",
    "kill": "test_stop_requests.py",  # SIGUSR1 sent to the training process by os.kill
    "dg launch": "test_cli.py",
    "dagster job backfill": "test_cli.py",
    "make dagster-home": "test_cli_user_data.py",
    "make serve": "test_serving_endpoint.py",  # sentiment-assets serving serve
    "make shift-traffic": "test_serving_endpoint.py",  # sentiment-assets serving shift-traffic
    "make serving-stats": "test_cli_entrypoint.py",  # sentiment-assets serving stats
    "curl": "test_serving_endpoint.py",  # the same requests over HTTP, with httpx
}

# Signature -> why no test runs it.
NOT_RUN = {
    "make demo": "about 6 minutes; its steps run on small data in test_cli.py and test_pipeline_end_to_end.py",
    "make test": "runs this suite (.ci/run)",
    "make lint": "CI runs it before the tests (.ci/run)",
    "make ui": "starts a UI for a person; test_ui_browser.py drives a dagster-webserver in Chromium",
    "make mlflow-ui": "starts a UI for a person",
    "make dbt-docs": "starts a docs site for a person",
    "pre-commit install": "installs a git hook in the clone",
    "dg check defs": "test_definitions.py loads the same definitions in process",
    "sentiment-assets registry pending": "only its --help (test_cli_entrypoint.py); test_pipeline_end_to_end.py "
    "checks pending_versions, what it lists",
    "sentiment-assets registry approve": "only its --help (test_cli_entrypoint.py); test_pipeline_end_to_end.py "
    "approves through model_approval_job",
    "python -": "a Python snippet that reads the demo's warehouse by hand",
    "python -c": "a Python one-liner that moves a registry alias by hand",
    "dbt build": "needs real Athena; test_dbt_athena.py runs `dbt run --target aws` against moto",
    "docker build": "needs Docker and AWS; test_aws_deploy_config.py checks the deploy files",
    "docker login": "needs Docker and AWS",
    "docker push": "needs Docker and AWS",
    "aws ecr get-login-password": "needs AWS",
    "kubectl create namespace": "needs a Kubernetes cluster",
    "kubectl": "needs a Kubernetes cluster",
    "helm upgrade": "needs a Kubernetes cluster; test_aws_deploy_config.py checks deploy/aws/values.yaml",
}

# Shell plumbing around the commands: not commands of the project.
SHELL = {"cd", "source", ".", "export", "set", "mkdir", "cp", "echo"}
WORD = re.compile(r"[a-z][a-z0-9_-]*")


def shown_commands(path: Path) -> list[tuple[int, str]]:
    """(line number, command) for each command in the file's bash blocks: continuation lines
    joined, comments and here-document bodies left out."""
    commands, in_bash, heredoc, pending = [], False, None, ""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("```"):
            in_bash = not in_bash and line.strip() in ("```bash", "```sh", "```shell")
            continue
        if not in_bash:
            continue
        if heredoc:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        line = pending + line
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        if match := re.search(r"<<-?'?(\w+)'?", line):
            heredoc = match.group(1)
        if line.strip() and not line.lstrip().startswith("#"):
            commands.append((number, line.strip()))
    return commands


def signatures(command: str) -> list[str]:
    """The signature of each simple command in a line (split at &&, ;, |)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split, lexer.commenters = True, "#"
    found, words = [], []
    for token in [*lexer, ";"]:
        if token.strip(";&|"):
            words.append(token)
            continue
        while words and "=" in words[0] and not words[0].startswith("-"):  # VAR=value before a command
            words.pop(0)
        if words and words[0] not in SHELL and Path(words[0]).name not in SHELL:
            found.append(signature(words))
        words = []
    return found


def signature(words: list[str]) -> str:
    program, rest = Path(words[0]).name, words[1:]
    if program.startswith("python"):
        program = "python"
        if rest and rest[0] == "-m":
            return f"python -m {rest[1]}"
        return f"python {rest[0]}" if rest else program
    parts = [program]
    if rest and rest[0] == "--help":
        return f"{program} --help"
    for word in rest[:3]:
        if not WORD.fullmatch(word):
            break
        parts.append(word)
    # `kubectl create namespace sentiment`: at most program + two words, unless a longer entry exists.
    for size in range(len(parts), 0, -1):
        if " ".join(parts[:size]) in RUN_BY or " ".join(parts[:size]) in NOT_RUN:
            return " ".join(parts[:size])
    return " ".join(parts[:3])


def documented() -> dict[str, list[str]]:
    """Signature -> where the docs show it (file:line)."""
    shown: dict[str, list[str]] = {}
    for path in DOCS:
        for number, command in shown_commands(path):
            for found in signatures(command):
                shown.setdefault(found, []).append(f"{path.relative_to(REPO)}:{number}")
    return shown


def test_the_docs_show_commands_and_the_lists_do_not_overlap():
    assert len(documented()) > 20
    assert not RUN_BY.keys() & NOT_RUN.keys()


def test_every_command_the_docs_show_is_run_by_a_test_or_says_why_not():
    unaccounted = {s: where for s, where in documented().items() if s not in RUN_BY and s not in NOT_RUN}
    assert not unaccounted, f"add these to RUN_BY (with the test that runs them) or NOT_RUN (with why): {unaccounted}"


def test_every_listed_command_is_still_in_the_docs():
    stale = sorted((RUN_BY.keys() | NOT_RUN.keys()) - documented().keys())
    assert not stale, f"the docs no longer show these; remove or rename their entries: {stale}"


@pytest.mark.parametrize("command", sorted(RUN_BY))
def test_the_test_file_named_for_a_command_exists_and_mentions_its_sub_commands(command):
    test_file = Path(__file__).parent / RUN_BY[command]
    assert test_file.is_file(), f"{command}: no {test_file.name}"
    if not command.startswith("make "):  # a make target's test runs the command behind it
        source = test_file.read_text()
        assert all(word in source for word in command.split()[1:]), f"{test_file.name} does not mention {command}"


def test_signatures_read_programs_sub_commands_and_plumbing():
    assert signatures(".venv/bin/sentiment-assets registry approve 3 --reason 'ok'") == [
        "sentiment-assets registry approve"
    ]
    assert signatures("export A=$PWD/x B=y && make dagster-home") == ["make dagster-home"]
    assert signatures("cd dbt_project && dbt build --target aws --profiles-dir .") == ["dbt build"]
    assert signatures("set -a; . ./.env.aws; set +a") == []
    assert signatures("aws ecr get-login-password | docker login --username AWS") == [
        "aws ecr get-login-password",
        "docker login",
    ]
    assert signatures(".venv/bin/python -m sentiment_assets.cli serving stats") == ["python -m sentiment_assets.cli"]
    assert signatures("dg launch --assets '*' --partition bundled  # everything") == ["dg launch"]
