"""N Streamlit replicas behind nginx on loopback, rendered from deploy/nginx.conf.template.

Used by tests/deploy and ``python -m benchmarks.crowd``. Everything binds to 127.0.0.1 and is stopped on
exit. nginx must be on PATH (Debian: ``apt-get install nginx-light``; scripts/test installs it)::

    with replicas(2) as apps, proxy([a.address for a in apps]) as url:
        ...  # open url in a browser; apps[0].kill() takes a replica down
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
LOGS = ROOT / "test-artifacts"
SERVER_PARAMS = "max_fails=2 fail_timeout=10s"  # the same passive health check as compose.yaml


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def render(template: str, listen: str, servers: list[str]) -> str:
    """Substitute the template's two placeholders as the nginx image's envsubst would."""
    lines = "\n    ".join(f"server {s} {SERVER_PARAMS};" for s in servers)
    return template.replace("${LISTEN_PORT}", listen).replace("${APP_SERVERS}", lines)


def nginx_main_conf(site: str, workdir: Path) -> str:
    """A whole nginx.conf around the rendered server block: foreground, logs and temp files in `workdir`."""
    temp = "\n".join(f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                           "uwsgi", "scgi"))
    return f"""daemon off;
worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} info;
events {{ worker_connections 1024; }}
http {{
    log_format lstm '$msec $request_method $request_uri $status upstream=$upstream_addr route=$lstm_route';
    access_log {workdir / "access.log"} lstm;
{temp}
{site}
}}
"""


@dataclass
class Replica:
    """One ``streamlit run app.py`` on 127.0.0.1:port."""

    port: int
    proc: subprocess.Popen
    log: Path
    _log_file: object = field(repr=False, default=None)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def rss_bytes(self) -> int:
        """Resident memory of the replica's process (Linux /proc)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time the replica's process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """Take the replica down at once (SIGKILL), as a crashed or evicted pod."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def start_replica(timeout: float = 120) -> Replica:
    LOGS.mkdir(exist_ok=True)
    port = free_port()
    log = LOGS / f"replica-{port}.log"
    out = open(log, "w")  # closed in stop_replica
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    replica = Replica(port, proc, log, out)
    deadline = time.monotonic() + timeout
    while not healthy(replica.url):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_replica(replica)
            raise RuntimeError(f"replica on port {port} did not become healthy; see {log}")
        time.sleep(0.3)
    return replica


def stop_replica(replica: Replica) -> None:
    if replica.proc.poll() is None:
        replica.proc.terminate()
        try:
            replica.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            replica.kill()
    if replica._log_file:
        replica._log_file.close()


@contextlib.contextmanager
def replicas(n: int):
    """Start `n` replicas (one after the other: each import of torch is CPU-heavy); stop them on exit."""
    started: list[Replica] = []
    try:
        for _ in range(n):
            started.append(start_replica())
        yield started
    finally:
        for replica in started:
            stop_replica(replica)


@dataclass
class Proxy:
    url: str
    workdir: Path

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                           if os.path.exists(p)), None)
    if not found:
        raise RuntimeError("nginx not found: apt-get install nginx-light (scripts/test does it)")
    return found


@contextlib.contextmanager
def proxy(servers: list[str], timeout: float = 30):
    """nginx on a free loopback port in front of `servers` (``host:port``); yields a Proxy."""
    workdir = Path(tempfile.mkdtemp(prefix="lstm-nginx-"))
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / kind).mkdir()
    os.chmod(workdir, 0o755)
    port = free_port()
    site = render(TEMPLATE.read_text(), f"127.0.0.1:{port}", servers)
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_main_conf(site, workdir))
    nginx = nginx_binary()
    args = [nginx, "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "error.log")]
    check = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True)
    if check.returncode:
        raise RuntimeError(f"nginx rejected the rendered config {conf}:\n{check.stderr}")
    proc = subprocess.Popen(args, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not answer; see {workdir / 'error.log'}")
            time.sleep(0.1)
        yield Proxy(url, workdir)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if LOGS.is_dir():  # keep the proxy's logs beside the replicas' for a failed run
            for name in ("access.log", "error.log"):
                if (workdir / name).exists():
                    shutil.copy(workdir / name, LOGS / f"nginx-{port}-{name}")
        shutil.rmtree(workdir, ignore_errors=True)
