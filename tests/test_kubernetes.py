"""deploy/kubernetes validates against Kubernetes's own schemas (kubernetes-validate ships them,
so this runs offline) and hangs together: Secret and ConfigMap references, the Service's ports
and selector, probes on paths and ports the processes serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from api.routes.health import router as health_router
from tests.helpers import REPO_ROOT

MANIFESTS = REPO_ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.37.0"


def _documents(*paths: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in paths:
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


APPLIED = sorted(MANIFESTS.glob("*.yaml"))  # what `kubectl apply -f deploy/kubernetes/` reads
EXAMPLES = sorted((MANIFESTS / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", APPLIED + EXAMPLES, ids=lambda p: p.name)
def test_every_manifest_validates_strictly(path: Path) -> None:
    for doc in _documents(path):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _documents(*APPLIED) if d["kind"] == kind}


def test_deployments_read_the_config_map_and_the_example_secret() -> None:
    config = _by_kind("ConfigMap")
    (secret,) = [d for d in _documents(*EXAMPLES) if d["kind"] == "Secret"]
    deployments = _by_kind("Deployment")
    assert set(deployments) == {"shenpi-api", "shenpi-worker", "shenpi-ocr-worker"}
    for deployment in deployments.values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        refs = container["envFrom"]
        assert {r["configMapRef"]["name"] for r in refs if "configMapRef" in r} <= set(config)
        assert {r["secretRef"]["name"] for r in refs if "secretRef" in r} == {
            secret["metadata"]["name"]
        }
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert "livenessProbe" in container
    # The secret holds what production refuses to start without.
    assert "SHENPI_JWT_SECRET" in secret["stringData"]
    assert "SHENPI_DATABASE_URL" in secret["stringData"]


def test_the_service_reaches_the_api_and_the_probes_exist() -> None:
    api = _by_kind("Deployment")["shenpi-api"]
    service = _by_kind("Service")["shenpi-api"]
    pod = api["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert ports["http"] == int(env["SHENPI_API_PORT"])
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= set(ports)
    served = {route.path for route in health_router.routes}  # type: ignore[attr-defined]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] in served, probe
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_workers_probe_the_metrics_port_they_serve() -> None:
    config = _by_kind("ConfigMap")["shenpi-config"]["data"]
    for name in ("shenpi-worker", "shenpi-ocr-worker"):
        pod = _by_kind("Deployment")[name]["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        (port,) = container["ports"]
        assert port["containerPort"] == int(config["SHENPI_WORKER_METRICS_PORT"])
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port["containerPort"])
    worker = _by_kind("Deployment")["shenpi-worker"]["spec"]["template"]["spec"]["containers"][0]
    assert worker["command"] == ["shenpi", "worker"]
    assert {"name": "SHENPI_OCR_PROCESSES", "value": "0"} in worker["env"]
