"""The container and cluster files, checked without a Docker engine or a cluster (none runs here): the
Dockerfile copies files that exist and runs as a non-root user with a health check on Streamlit's health
path; compose and the Kubernetes manifests agree with it and with the nginx template."""

from __future__ import annotations

import re
import shlex
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from deploy.local import SERVER_PARAMS, TEMPLATE, nginx_binary, nginx_main_conf, render

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
HEALTH = "/_stcore/health"


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_base_copies_and_non_root_user():
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    copies = [shlex.split(args) for op, args in steps if op == "COPY"]
    sources = [part for c in copies for part in c[:-1] if not part.startswith("--")]
    assert sources, "nothing copied"
    for src in sources:
        assert (ROOT / src).exists(), src
    # Everything the app imports or reads at run time is in the image.
    for needed in ("app.py", "lstm_core/", "lessons/", "ui/", "pages/", "assets/", "requirements.txt"):
        assert needed in sources, needed
    ops = [op for op, _ in steps]
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    user_at = ops.index("USER")
    assert ops.count("USER") == 1
    after_user = [args for op, args in steps[user_at:] if op == "RUN"]
    assert after_user == []  # nothing to build: the engine is plain torch
    runs = " ".join(args for op, args in steps if op == "RUN")
    assert "g++" not in runs and "lstm_core.native" not in runs  # no compiler, no compiled engine
    assert "torch==2.13.0" in runs and "/whl/cpu" in runs and "-r requirements.txt" in runs
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text()


def test_dockerfile_health_check_and_command():
    steps = dict(instructions())
    assert HEALTH in steps["HEALTHCHECK"] and "8501" in steps["HEALTHCHECK"]
    cmd = yaml.safe_load(steps["CMD"])  # the exec form is a JSON (so YAML) list
    assert cmd[:3] == ["streamlit", "run", "app.py"]
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[cmd.index("--server.port") + 1] == steps["EXPOSE"] == "8501"


def test_dockerignore_keeps_what_the_image_copies():
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for src in ("app.py", "lstm_core", "lessons", "ui", "pages", "assets", ".streamlit", "requirements.txt"):
        assert src not in ignored, src
    assert {".git", "tests", "test-artifacts"} <= ignored


def test_compose_runs_replicas_behind_the_template():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    app, proxy = compose["services"]["app"], compose["services"]["proxy"]
    assert (ROOT / "deploy" / app["build"]["context"] / app["build"]["dockerfile"]).resolve() == ROOT / "Dockerfile"
    assert app["deploy"]["replicas"] >= 2
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    mount = proxy["volumes"][0].split(":")
    assert (ROOT / "deploy" / mount[0]).resolve() == TEMPLATE and mount[1].startswith("/etc/nginx/templates/")
    placeholders = set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text()))
    assert placeholders == {"LISTEN_PORT", "APP_SERVERS"} == set(proxy["environment"])
    assert proxy["environment"]["APP_SERVERS"] == f"server app:8501 {SERVER_PARAMS};"


def test_kubernetes_probes_service_and_cookie_affinity():
    k8s = ROOT / "deploy" / "k8s"
    deployment = yaml.safe_load((k8s / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == HEALTH
    assert container["ports"][0]["containerPort"] == 8501
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["resources"]["requests"]["memory"] and container["resources"]["limits"]["cpu"]
    service = yaml.safe_load((k8s / "service.yaml").read_text())
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    ingress = yaml.safe_load((k8s / "ingress.yaml").read_text())
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]


@pytest.mark.deploy
def test_template_renders_to_a_config_nginx_accepts():
    with tempfile.TemporaryDirectory() as tmp:
        site = render(TEMPLATE.read_text(), "127.0.0.1:8080", ["127.0.0.1:8501", "127.0.0.1:8502"])
        assert "${" not in site
        assert len(re.findall(rf"^    server 127\.0\.0\.1:850[12] {SERVER_PARAMS};$", site, re.M)) == 2
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(nginx_main_conf(site, Path(tmp)))
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (Path(tmp) / kind).mkdir()
        check = subprocess.run([nginx_binary(), "-t", "-c", str(conf), "-p", tmp, "-e", f"{tmp}/error.log"],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
