"""The deploy files (docs/deploying.md) against each other and against the bot: the same start
command as the Procfile, settings the bot has, exact versions, a compose file that is valid."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from settings import SETTING_NAMES
from state import PostgresTarget, SqliteTarget, parse_database_url

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {"DISCORD_TOKEN", "USEAPI_TOKEN"}


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path)


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(
        (kind.strip(), command.strip())
        for kind, command in (line.split(":", 1) for line in lines if line.strip())
    )


START = procfile().get("worker", "(no worker in the Procfile)")


def test_the_procfile_runs_the_bot_as_a_worker_only() -> None:
    assert procfile() == {"worker": "python bot.py"}


# -- requirements ----------------------------------------------------------------------------

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def pins(path: Path) -> dict[str, str]:
    """A compiled file's name -> version; AssertionError on anything but `name==version`."""
    found: dict[str, str] = {}
    for line in requirement_lines(path):
        match = re.fullmatch(rf"({NAME.pattern})(\[[^\]]*\])?==([^\s;=<>!~,]+)", line)
        assert match, f"{path.name}: {line!r} is not pinned with == (compile it with uv)"
        found[canonical(match[1])] = match[3]
    return found


def named(path: Path) -> set[str]:
    """The packages a requirements.in names, without its -r/-c lines."""
    names: set[str] = set()
    for line in requirement_lines(path):
        if not line.startswith("-"):
            match = NAME.match(line)
            assert match, f"{path.name}: cannot read {line!r}"
            names.add(canonical(match[0]))
    return names


def test_requirements_txt_pins_every_package_of_requirements_in() -> None:
    pinned = pins(ROOT / "requirements.txt")
    assert named(ROOT / "requirements.in") <= pinned.keys()


def test_requirements_dev_txt_pins_both_in_files_within_the_runtime_pins() -> None:
    dev, runtime = pins(ROOT / "requirements-dev.txt"), pins(ROOT / "requirements.txt")
    assert "-r requirements.in" in requirement_lines(ROOT / "requirements-dev.in")
    assert named(ROOT / "requirements-dev.in") | named(ROOT / "requirements.in") <= dev.keys()
    # compiled with -c requirements.txt: tests run the versions the bot is deployed with
    assert {name: dev[name] for name in runtime} == runtime


def test_the_lock_files_are_gone() -> None:
    assert not list(ROOT.glob("requirements*.lock"))


@pytest.mark.parametrize(
    "line", ["aiohttp>=3.13", "aiohttp", "-r requirements.in", "aiohttp==3.14.5 extra"]
)
def test_a_loose_requirement_fails_the_pin_check(tmp_path: Path, line: str) -> None:
    (path := tmp_path / "requirements.txt").write_text(f"yarl==1.25.1\n{line}\n")
    with pytest.raises(AssertionError, match="not pinned"):
        pins(path)


# -- the Python version ---------------------------------------------------------------------


def test_one_python_version_everywhere() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    assert version == "3.11"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["pyright"]["pythonVersion"] == version
    for lock in ("requirements.txt", "requirements-dev.txt"):
        assert f"--python-version {version} " in (ROOT / lock).read_text()
    assert dockerfile_args()["PYTHON_IMAGE"] == f"python:{version}-slim"


# -- Dockerfile -----------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments), continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile_all(keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile() if kw == keyword]


def assignments(words: list[str]) -> dict[str, str]:
    pairs = (word.partition("=") for word in words)
    return {name: value for name, _, value in pairs}


def dockerfile_args() -> dict[str, str]:
    return assignments(dockerfile_all("ARG"))


def dockerfile_env() -> dict[str, str]:
    return assignments([word for rest in dockerfile_all("ENV") for word in shlex.split(rest)])


def test_the_image_runs_the_procfile_command() -> None:
    (cmd,) = dockerfile_all("CMD")
    assert json.loads(cmd) == shlex.split(START)
    assert dockerfile_all("FROM") == ["${PYTHON_IMAGE}"]


def test_the_image_installs_the_pinned_requirements_and_nothing_else() -> None:
    assert "requirements.txt /tmp/requirements.txt" in dockerfile_all("COPY")
    installs = [run for run in dockerfile_all("RUN") if "pip install" in run]
    assert len(installs) == 1
    assert re.search(r"pip install --no-cache-dir .*-r /tmp/requirements\.txt", installs[0])


def not_product() -> set[str]:
    """What product code may never import (pyproject's import-linter contract): the tests,
    the stand-ins and the like, none of which the bot needs to run."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    (contract,) = (
        c for c in tool["importlinter"]["contracts"] if c["name"].startswith("Product code never")
    )
    return set(contract["forbidden_modules"])


def test_the_image_holds_the_product_and_only_the_product() -> None:
    coverage = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]["run"]
    packages = set(coverage["source_pkgs"]) - {"bot"}  # bot is bot.py
    copied = {rest.split()[0].rstrip("/") for rest in dockerfile_all("COPY")}
    assert copied == packages | {"bot.py", "requirements.txt"}
    assert {"tests", "testbed"} <= not_product() and not not_product() & copied


def test_the_image_runs_unprivileged_and_keeps_its_sqlite_file_on_the_volume() -> None:
    users = dockerfile_all("USER")
    assert users and users[-1] not in ("root", "0")
    assert dockerfile_all("VOLUME") == ["/data"]
    target = parse_database_url(dockerfile_env()["DATABASE_URL"])
    assert isinstance(target, SqliteTarget) and target.path.parent == Path("/data")


def test_the_healthcheck_asks_healthz_on_the_health_port_without_curl() -> None:
    assert dockerfile_env()["HEALTH_PORT"] == "8080"
    (check,) = dockerfile_all("HEALTHCHECK")
    command = json.loads(check.split(" CMD ", 1)[1])
    assert command[0] == "python" and "urllib.request" in command[2]
    assert "os.environ['HEALTH_PORT']" in command[2] and "/healthz" in command[2]


def test_dockerignore_keeps_secrets_state_and_caches_out_of_the_build() -> None:
    ignored = set(requirement_lines(ROOT / ".dockerignore"))
    assert {".env", ".venv", ".git", "data/", "**/__pycache__", ".pytest_cache"} <= ignored
    assert {f"{name}/" for name in not_product()} <= ignored


# -- compose.yaml ---------------------------------------------------------------------------


def compose_errors(path: Path) -> str:
    """What the Compose Specification's schema (shipped by check-jsonschema) says of `path`;
    empty when it is valid."""
    schema = ["--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


def test_compose_file_is_valid_under_the_compose_specification() -> None:
    assert compose_errors(ROOT / "compose.yaml") == ""


def test_the_schema_check_rejects_a_broken_compose_file(tmp_path: Path) -> None:
    text = (ROOT / "compose.yaml").read_text().replace("service_healthy", "service_ready")
    (broken := tmp_path / "compose.yaml").write_text(text)
    assert "service_ready" in compose_errors(broken)


def test_compose_runs_the_bot_on_its_postgres_once_that_is_healthy() -> None:
    services = load_yaml(ROOT / "compose.yaml")["services"]
    bot, postgres = services["bot"], services["postgres"]
    assert bot["build"] == "." and bot["env_file"] == ".env"
    assert bot["restart"] == "unless-stopped"
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    url = bot["environment"]["DATABASE_URL"].replace("${POSTGRES_PASSWORD:-bot}", "secret")
    assert isinstance(parse_database_url(url), PostgresTarget)
    env = postgres["environment"]
    assert url == f"postgresql://{env['POSTGRES_USER']}:secret@postgres:5432/{env['POSTGRES_DB']}"
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in load_yaml(ROOT / "compose.yaml")["volumes"]


# -- Heroku, Render, Railway ----------------------------------------------------------------

# The keys the platforms document (the app.json schema; the Blueprint reference): a
# misspelt key is otherwise ignored by the platform, or refused only at deploy time.
APP_JSON_KEYS = {
    "name", "description", "keywords", "website", "repository", "logo", "success_url",
    "scripts", "env", "formation", "addons", "buildpacks", "environments", "stack", "image",
}  # fmt: skip
APP_JSON_ENV_KEYS = {"description", "value", "required", "generator"}


def test_app_json_scales_the_procfile_worker_on_heroku_postgres() -> None:
    app = json.loads((ROOT / "app.json").read_text())
    assert app.keys() <= APP_JSON_KEYS
    # Heroku refuses a formation naming a process type the Procfile lacks (there is no web).
    assert app["formation"] == {"worker": {"quantity": 1}}
    assert app["formation"].keys() <= procfile().keys()
    assert [addon["plan"].split(":")[0] for addon in app["addons"]] == ["heroku-postgresql"]
    assert app["buildpacks"] == [{"url": "heroku/python"}]


def test_app_json_asks_for_settings_the_bot_has() -> None:
    env = json.loads((ROOT / "app.json").read_text())["env"]
    assert env.keys() <= set(SETTING_NAMES)
    assert "DATABASE_URL" not in env  # the add-on sets it
    assert {name for name, entry in env.items() if entry.get("required")} == SECRETS
    for name, entry in env.items():
        assert entry.keys() <= APP_JSON_ENV_KEYS, name
        assert entry["description"], name


def test_render_blueprint_runs_the_procfile_command_as_a_worker_on_its_database() -> None:
    blueprint = load_yaml(ROOT / "render.yaml")
    (service,) = blueprint["services"]
    assert service["type"] == "worker" and service["runtime"] == "python"
    assert service["startCommand"] == START
    assert service["buildCommand"] == "pip install -r requirements.txt"
    env = {entry["key"]: entry for entry in service["envVars"]}
    assert env.keys() <= set(SETTING_NAMES)
    assert all(env[name] == {"key": name, "sync": False} for name in SECRETS)
    source = env["DATABASE_URL"]["fromDatabase"]
    assert source["property"] == "connectionString"
    assert source["name"] in {database["name"] for database in blueprint["databases"]}


def test_railway_config_builds_the_dockerfile_and_starts_the_procfile_command() -> None:
    config = json.loads((ROOT / "railway.json").read_text())
    assert config.keys() == {"$schema", "build", "deploy"}
    assert config["build"] == {"builder": "DOCKERFILE", "dockerfilePath": "Dockerfile"}
    assert (ROOT / config["build"]["dockerfilePath"]).is_file()
    assert config["deploy"]["startCommand"] == START
    assert config["deploy"]["restartPolicyType"] == "ON_FAILURE"


# -- systemd --------------------------------------------------------------------------------


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """[Section] -> key -> every value given (systemd allows a key more than once)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_systemd_unit_restarts_on_failure_but_not_on_a_bad_setting() -> None:
    service = unit(ROOT / "deploy" / "minimax-bot.service")["Service"]
    assert service["Restart"] == ["on-failure"]
    assert "2" in " ".join(service["RestartPreventExitStatus"]).split()  # bot.py's bad settings
    assert service["ExecStart"][0].endswith("/.venv/bin/" + START)
    for key in ("User", "WorkingDirectory", "EnvironmentFile", "RestartSec"):
        assert service[key] and service[key][0], key


# -- the page that explains them ------------------------------------------------------------


def test_docs_deploying_covers_every_deploy_file() -> None:
    page = (ROOT / "docs" / "deploying.md").read_text()
    for name in (
        "Dockerfile", "compose.yaml", "app.json", "render.yaml", "railway.json",
        "deploy/minimax-bot.service", "requirements.txt", ".python-version", "Procfile",
    ):  # fmt: skip
        assert f"`{name}`" in page, name
