"""docker-compose.yml validates with the real `docker-compose` binary and has the DESIGN §6 shape.

There is no Docker engine on the build machines, so `docker-compose config` (PyPI's v1 binary,
installed by `make compose-tool`) is the strongest check available: schema, interpolation, anchors.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bpmn_compiler.native import SOURCE_PACKAGES
from tests.helpers import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

# docs/architecture.md §6: Temporal on PostgreSQL, the Temporal UI, PostgreSQL for the app,
# N workers, the API and Prometheus.
DESIGN_SERVICES = (
    "postgresql",
    "temporal",
    "temporal-ui",
    "worker",
    "api",
    "prometheus",
    "grafana",
)
APP_ENV_NAMES = (
    "SHENPI_TEMPORAL_ADDRESS",
    "SHENPI_DATABASE_URL",
    "SHENPI_JWT_SECRET",
    "SHENPI_JWT_JWKS_URL",
    "SHENPI_AI_PROVIDER",
    "SHENPI_AI_MODEL",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "SHENPI_WECHAT_WORK_CORP_ID",
    "SHENPI_WECHAT_WORK_AGENT_ID",
    "SHENPI_WECHAT_WORK_SECRET",
    "SHENPI_WECHAT_WORK_TOKEN",
    "SHENPI_WECHAT_WORK_AES_KEY",
    "SHENPI_WECHAT_WORK_API_BASE",
    "SHENPI_WECHAT_MP_APP_ID",
    "SHENPI_WECHAT_MP_SECRET",
    "SHENPI_WECHAT_MP_TOKEN",
    "SHENPI_WECHAT_MP_AES_KEY",
)


def _compose_binary() -> str:
    found = shutil.which("docker-compose")
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("docker-compose is not on PATH: run the tests with `make test`")
    pytest.skip("docker-compose is not on PATH (`make compose-tool`, or run `make test`)")


def _compose(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # An empty env file, so a developer's own .env can neither help nor break the check.
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SHENPI_", "OPENAI_"))}
    return subprocess.run(
        [_compose_binary(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The compose file as docker-compose resolves it (anchors merged, variables filled in)."""
    result = _compose(
        tmp_path_factory.mktemp("compose"), "config", env={"SHENPI_JWT_SECRET": "s3cret-for-test"}
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = yaml.safe_load(result.stdout)
    return loaded


def test_compose_file_validates_with_docker_compose(tmp_path: Path) -> None:
    result = _compose(tmp_path, "config", "--quiet", env={"SHENPI_JWT_SECRET": "x"})
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_a_jwt_secret(tmp_path: Path) -> None:
    result = _compose(tmp_path, "config", "--quiet", env={})
    assert result.returncode != 0
    assert "SHENPI_JWT_SECRET" in result.stderr


@pytest.mark.parametrize("service", DESIGN_SERVICES)
def test_every_design_service_exists_with_a_healthcheck(
    resolved: dict[str, Any], service: str
) -> None:
    spec = resolved["services"][service]
    test = spec["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1


def test_dependencies_wait_for_health_not_just_start(resolved: dict[str, Any]) -> None:
    for name, spec in resolved["services"].items():
        for dep, cond in spec.get("depends_on", {}).items():
            assert cond == {"condition": "service_healthy"}, f"{name} -> {dep}"
    assert set(resolved["services"]["temporal"]["depends_on"]) == {"postgresql"}
    assert {"postgresql", "temporal"} <= set(resolved["services"]["api"]["depends_on"])


@pytest.mark.parametrize("service", ["api", "worker"])
def test_app_services_get_every_design_env_var(resolved: dict[str, Any], service: str) -> None:
    env = resolved["services"][service]["environment"]
    missing = [name for name in APP_ENV_NAMES if name not in env]
    assert not missing
    assert env["SHENPI_TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env["SHENPI_DATABASE_URL"].startswith("postgresql+asyncpg://shenpi:")
    assert env["SHENPI_DATABASE_URL"].endswith("@postgresql:5432/shenpi")
    assert env["SHENPI_JWT_SECRET"] == "s3cret-for-test"


def test_workers_are_replicated_and_share_the_api_image(resolved: dict[str, Any]) -> None:
    worker, api = resolved["services"]["worker"], resolved["services"]["api"]
    assert worker["deploy"]["replicas"] >= 2
    assert worker["image"] == api["image"]
    assert worker["build"]["dockerfile"] == api["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "ports" not in worker  # replicas cannot share a published port


def test_prometheus_scrapes_the_ports_the_services_listen_on(resolved: dict[str, Any]) -> None:
    config = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus.yml").read_text())
    targets = {
        (name, sd["port"])
        for job in config["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
        for name in sd["names"]
    }
    services = resolved["services"]
    assert ("api", int(services["api"]["environment"]["SHENPI_API_PORT"])) in targets
    worker_port = int(services["worker"]["environment"]["SHENPI_WORKER_METRICS_PORT"])
    assert ("worker", worker_port) in targets


def test_bind_mounted_files_exist(resolved: dict[str, Any]) -> None:
    for spec in resolved["services"].values():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            if source.startswith("/"):
                assert Path(source).is_file(), source


def test_dockerfile_is_multi_stage_non_root_and_installs_the_lock() -> None:
    text = (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert sum(line.startswith("FROM ") for line in lines) >= 2
    assert "pip install -c requirements.lock -r role-requirements.txt" in text
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    # Everything the image copies must exist, or `docker build` fails on the first missing path.
    for line in lines:
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (REPO_ROOT / source).exists(), source


def _dockerfile_stages() -> dict[str, list[str]]:
    """deploy/Dockerfile's lines by the stage they belong to (``FROM ... AS name``; the last,
    unnamed one under its base image's name)."""
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in (REPO_ROOT / "deploy" / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            current = stages.setdefault(line.split()[-1], [])
        current.append(line)
    return stages


def test_dockerfile_copies_every_package_the_project_installs() -> None:
    """The image installs the checkout editable: a package or module the project has but the
    image does not copy fails the image's import check, or an import at run time."""
    setuptools = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = setuptools["packages"]["find"]["include"]
    packages = {
        path.parent.name
        for path in REPO_ROOT.glob("*/__init__.py")
        if any(fnmatch.fnmatch(path.parent.name, pattern) for pattern in patterns)
    }
    modules = {f"{name}.py" for name in setuptools["py-modules"]}
    copied = {
        source
        for line in _dockerfile_stages()["build"]  # the app's stage, which the image is made of
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    }
    assert "shenpi_core" in packages, patterns
    assert packages | modules <= copied, sorted((packages | modules) - copied)


def test_the_image_runs_the_compiled_compiler_built_from_its_own_sources() -> None:
    """The image's compiler is compiled in a stage of its own (docs/architecture.md §7) from the
    sources its manifest covers, which the app stage copies too: otherwise the manifest would not
    match and the image would quietly run the sources (its import check would fail)."""
    stages = _dockerfile_stages()
    native, app = "\n".join(stages["native"]), "\n".join(stages["build"])
    assert "RUN python deploy/build_native.py" in native
    for package in SOURCE_PACKAGES:
        assert f"COPY {package} ./{package}" in native
        assert f"COPY {package} ./{package}" in app
    assert "COPY --from=native /app/build/native ./build/native" in app
    assert "assert c.BUILD.compiled" in app


def test_documents_live_in_minio_and_ocr_runs_on_its_own_workers(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    minio = services["minio"]["environment"]
    for name in ("api", "worker", "ocr-worker"):
        env = services[name]["environment"]
        assert env["SHENPI_BLOB_STORE"] == "s3"
        assert env["SHENPI_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert (env["SHENPI_S3_ACCESS_KEY"], env["SHENPI_S3_SECRET_KEY"]) == (
            minio["MINIO_ROOT_USER"],
            minio["MINIO_ROOT_PASSWORD"],
        )
        assert "minio" in services[name]["depends_on"]
    assert services["ocr-worker"]["command"] == ["shenpi", "worker", "--ocr-only"]
    assert int(services["ocr-worker"]["environment"]["SHENPI_OCR_PROCESSES"]) >= 1
    assert int(services["worker"]["environment"]["SHENPI_OCR_PROCESSES"]) == 0


def test_prometheus_loads_the_alert_rules_and_grafana_is_provisioned(
    resolved: dict[str, Any],
) -> None:
    services = resolved["services"]
    config = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus.yml").read_text())
    mounts = {
        v.split(":")[1] if isinstance(v, str) else v["target"]: v
        for v in services["prometheus"]["volumes"]
    }
    assert set(config["rule_files"]) <= set(mounts)
    grafana = services["grafana"]
    assert grafana["depends_on"] == {"prometheus": {"condition": "service_healthy"}}
    targets = {v["target"] if isinstance(v, dict) else v.split(":")[1] for v in grafana["volumes"]}
    assert "/etc/grafana/provisioning/datasources/prometheus.yml" in targets
    assert "/var/lib/grafana/dashboards/shenpi.json" in targets
    datasource = yaml.safe_load(
        (REPO_ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
