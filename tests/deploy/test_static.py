"""The container and cluster files, checked without a Docker engine or a cluster (none runs here), by what
they mean rather than their text: the image runs as a user that is not root, its health check command really
tells a healthy server from a failing one, torch comes from the CPU index at pyproject.toml's pin, nothing is
compiled (the engine is plain torch), every file the app reads reaches the image and the command it runs is
the installed ``lstm-explorer``; compose and the Kubernetes manifests probe the same path and port and keep a
learner on one replica."""

from __future__ import annotations

import fnmatch
import http.server
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import tomllib
from pathlib import Path

import pytest
import yaml

from deploy.local import SERVER_PARAMS, TEMPLATE, nginx_binary, nginx_main_conf, render

ROOT = Path(__file__).resolve().parents[2]
HEALTH = "/_stcore/health"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
COMPILERS = ("g++", "gcc", "clang", "build-essential", "cmake", "ninja")


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), line continuations joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


STEPS = instructions()


def one(op: str) -> str:
    found = [args for name, args in STEPS if name == op]
    assert len(found) == 1, f"expected one {op}, found {len(found)}"
    return found[0]


def exec_form(args: str) -> list[str]:
    return yaml.safe_load(args)  # the exec form is a JSON (so YAML) list


def test_the_server_runs_as_a_user_that_is_not_root():
    ops = [op for op, _ in STEPS]
    assert ops.count("USER") == 1, "one USER, so nothing after it runs as root again"
    user = one("USER").split(":")[0]
    made = [shlex.split(args) for op, args in STEPS if op == "RUN" and "useradd" in args]
    assert made, "the image never creates its user"
    words = made[0][made[0].index("useradd"):]
    uid = int(words[words.index("--uid") + 1])
    assert user == words[-1] and user not in ("root", "0") and uid != 0
    # the Kubernetes pod runs as that user and refuses root
    pod = yaml.safe_load((ROOT / "deploy/k8s/deployment.yaml").read_text())["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": uid}
    assert ops.index("USER") > max(i for i, op in enumerate(ops) if op in ("RUN", "COPY")), \
        "the server's user comes after every build step"


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == HEALTH else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def run_health_check(status: int) -> int:
    """Exit code of the image's HEALTHCHECK command against a local server that answers `status` on the health
    path (the command's port moved to a free one)."""
    check = one("HEALTHCHECK")
    command = shlex.split(check.split("CMD", 1)[1])
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]+)", check)
    assert url and url.group(2) == HEALTH and url.group(1) == one("EXPOSE")
    handler = type("Handler", (_Health,), {"status": status})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        command = [part.replace(f"127.0.0.1:{url.group(1)}", f"127.0.0.1:{port}") for part in command]
        assert command[0] == "python"
        code = subprocess.run([sys.executable, *command[1:]], capture_output=True, timeout=30).returncode
        server.shutdown()
    return code


def test_the_health_check_tells_a_healthy_server_from_a_failing_one():
    assert run_health_check(200) == 0
    assert run_health_check(503) != 0
    options = dict(re.findall(r"--([\w-]+)=(\w+)", one("HEALTHCHECK").split("CMD", 1)[0]))
    seconds = {k: int(v.rstrip("s")) for k, v in options.items() if v.endswith("s")}
    assert seconds["timeout"] < seconds["interval"] and seconds["start-period"] >= 30


def test_cpu_torch_at_the_declared_pin_and_nothing_to_compile():
    torch_pin = next(d for d in PYPROJECT["project"]["dependencies"] if d.startswith("torch=="))
    runs = [args for op, args in STEPS if op == "RUN"]
    torch_installs = [r for r in runs if "download.pytorch.org/whl/cpu" in r]
    assert torch_installs, "torch must come from PyTorch's CPU index (PyPI's Linux wheel pulls CUDA)"
    # the Dockerfile reads the pin from pyproject.toml instead of repeating it
    assert "pyproject.toml" in torch_installs[0] and "torch==" in torch_installs[0]
    assert re.fullmatch(r"torch==[\d.]+", torch_pin), "torch stays pinned (unpinned: a CUDA build of GBs)"
    for run in runs:
        words = set(re.split(r"[\s;&|]+", run))
        assert not words & set(COMPILERS), f"the engine needs no build, yet the image installs a compiler: {run}"
        assert "lstm_core.native" not in run


def test_the_image_holds_what_the_app_reads_and_runs_the_installed_command():
    copies = [shlex.split(args) for op, args in STEPS if op == "COPY"]
    sources = {part.rstrip("/") for c in copies for part in c[:-1] if not part.startswith("--")}
    for src in sources:
        assert (ROOT / src).exists(), src
    wheel = set(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["only-include"])
    assert wheel | {"pyproject.toml"} <= sources | {".streamlit/config.toml"} and ".streamlit" in sources
    assert any(re.search(r"pip install (--\S+ )*\.(\s|$)", args) for op, args in STEPS if op == "RUN")
    command = exec_form(one("CMD"))
    assert command[0] in PYPROJECT["project"]["scripts"] == {"lstm-explorer": "lstm_explorer.cli:main"}
    assert command[command.index("--server.headless") + 1] == "true"
    assert command[command.index("--server.port") + 1] == one("EXPOSE") == "8501"


def test_dockerignore_keeps_what_the_image_copies():
    patterns = [line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    copies = [shlex.split(args) for op, args in STEPS if op == "COPY"]
    for src in {part.rstrip("/") for c in copies for part in c[:-1] if not part.startswith("--")}:
        assert not [p for p in patterns if fnmatch.fnmatch(src, p)], f"{src} is copied but .dockerignore drops it"
    for kept_out in (".git", "tests", "test-artifacts"):
        assert any(fnmatch.fnmatch(kept_out, p) for p in patterns), kept_out


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
