"""nginx in front of N app processes on loopback, with the shipped server block
(``deploy/nginx/quartierskarte-proxy.conf``): for the several-processes browser test and for
``python -m bench.load --prozesse 1 2``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.load import Server, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
PROXY_SNIPPET = ROOT / "deploy" / "nginx" / "quartierskarte-proxy.conf"
MAPS_SNIPPET = ROOT / "deploy" / "nginx" / "quartierskarte-maps.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_conf(workdir: Path, port: int, upstreams: list[int]) -> Path:
    """A complete nginx.conf around the shipped server block, with the sticky-cookie upstream of
    ``deploy/nginx/quartierskarte.conf``. ``X-QK-Prozess`` names the process that answered (test only)."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstreams)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""  # workers as nobody could not write the temp folders
    conf = workdir / "nginx.conf"
    conf.write_text(f"""{user}
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {MAPS_SNIPPET};
    upstream quartierskarte {{
        hash $qk_sticky consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        add_header X-QK-Prozess $upstream_addr always;
        include {PROXY_SNIPPET};
    }}
}}
""")
    return conf


@dataclass
class Proxy:
    base_url: str
    process: subprocess.Popen
    workdir: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def start_nginx(workdir: Path, upstreams: list[int], timeout: float = 20.0) -> Proxy:
    """Check the configuration (``nginx -t``), start nginx in the foreground and wait until it answers."""
    port = free_port()
    conf = nginx_conf(workdir, port, upstreams)
    check = subprocess.run([NGINX, "-t", "-p", str(workdir), "-c", str(conf)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t: {check.stderr}")
    process = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = Proxy(f"http://127.0.0.1:{port}", process, workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {(workdir / 'error.log').read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(proxy.base_url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proxy
        time.sleep(0.2)
    proxy.stop()
    raise RuntimeError(f"nginx did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def running_city(processes: int, env: dict[str, str] | None = None) -> Iterator[tuple[Proxy, list[Server]]]:
    """``processes`` app processes (same environment, so the same store) and nginx in front of them."""
    servers: list[Server] = []
    workdir = Path(tempfile.mkdtemp(prefix="qk-nginx-"))
    proxy = None
    try:
        for i in range(processes):
            servers.append(start_server(env, name=f"prozess-{i + 1}"))
        proxy = start_nginx(workdir, [s.port for s in servers])
        yield proxy, servers
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            stop_server(server)
        shutil.rmtree(workdir, ignore_errors=True)
