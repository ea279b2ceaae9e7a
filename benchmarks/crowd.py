"""A class (and two) of simulated learners through nginx: per-action latency, errors, memory per replica.

    python -m benchmarks.crowd                      # 30 and 60 learners on 1 and 2 replicas
    python -m benchmarks.crowd --learners 30 --replicas 1 --actions 5

Each learner is a real Streamlit session speaking the browser's protocol over ``/_stcore/stream``
(protobuf BackMsg / ForwardMsg, as the frontend does): it fetches ``/`` once (nginx sets its affinity
cookie), opens the websocket with that cookie, runs the Shapes page from a URL, then makes ``--actions``
moves of the sidebar's hidden_size slider, each a script rerun, with a think time of 1-3 s between them.
An action's latency is from sending the rerun to the server's ``script_finished``. An error is a failed
connection, a timeout (60 s), an exception element on the page or a run that did not finish.

Everything runs on 127.0.0.1 (deploy/local.py starts the replicas and nginx), the loops are bounded and the
run stops by itself. It prints figures; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import urllib.request

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.local import proxy, replicas

TIMEOUT = 60.0
OK = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
QUERY = "page={page}&hidden_size={h}&num_layers=2&lang=en"


def cookie_for(url: str) -> str:
    """nginx's affinity cookie ("" when talking to a replica directly)."""
    with urllib.request.urlopen(url + "/", timeout=TIMEOUT) as response:
        return (response.headers["Set-Cookie"] or "").split(";", 1)[0]


async def run_once(ws, query: str, widgets=None, page: str = "shapes") -> tuple[float, dict]:
    """Send one rerun; wait for its successful script_finished. Returns (seconds, widget ids seen)."""
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    if widgets:
        msg.rerun_script.widget_states.widgets.extend(widgets)
    start = time.perf_counter()
    await ws.send(msg.SerializeToString())
    ids: dict[str, str] = {}
    while True:
        fwd = ForwardMsg()
        fwd.ParseFromString(await asyncio.wait_for(ws.recv(), TIMEOUT))
        kind = fwd.WhichOneof("type")
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            etype = element.WhichOneof("type")
            if etype == "exception":
                raise RuntimeError("exception on the page: " + element.exception.message)
            inner = getattr(element, etype)
            if hasattr(inner, "id") and getattr(inner, "id", ""):
                ids[inner.id] = etype
        elif kind == "script_finished":
            if fwd.script_finished == OK:
                return time.perf_counter() - start, ids
            # FINISHED_EARLY_FOR_RERUN (the app's own st.rerun): the next run follows on the same message.


async def learner(url: str, index: int, actions: int, latencies: list, errors: list, rng: random.Random,
                  page: str = "shapes", think: tuple[float, float] = (1.0, 3.0), stop=None):
    """One session: open `page`, then `actions` hidden_size moves `think` seconds apart (or until `stop` is set)."""
    try:
        cookie = await asyncio.to_thread(cookie_for, url)
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], additional_headers={"Cookie": cookie},
                                      max_size=None, open_timeout=TIMEOUT) as ws:
            hidden = 2 + index % 6
            query = QUERY.format(page=page, h=hidden)
            seconds, ids = await run_once(ws, query, page=page)
            latencies.append(("open", seconds))
            for _ in range(3):  # a replica's very first run may leave Streamlit's pages/ mode first (ui/__init__)
                sliders = [i for i, kind in ids.items() if kind == "slider" and i.endswith("hidden_size")]
                if sliders:
                    break
                _, ids = await run_once(ws, query, page=page)
            slider = sliders[0]
            for step in range(actions):
                await asyncio.sleep(rng.uniform(*think))
                if stop is not None and stop.is_set():
                    break
                hidden = hidden + 1 if step % 2 == 0 else hidden - 1
                state = BackMsg().rerun_script.widget_states.widgets.add()
                state.id = slider
                state.double_array_value.data.append(hidden)
                seconds, _ = await run_once(ws, query, [state], page=page)
                latencies.append(("action", seconds))
    except Exception as error:  # every failure is one error in the report
        errors.append(f"learner {index}: {type(error).__name__}: {error}"[:200])


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def crowd(url: str, n: int, actions: int, seed: int):
    rng = random.Random(seed)
    latencies: list = []
    errors: list = []
    tasks = []
    for i in range(n):  # learners arrive over ~3 s, as a class opening a link
        tasks.append(asyncio.create_task(learner(url, i, actions, latencies, errors, random.Random(rng.random()))))
        await asyncio.sleep(3.0 / n)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=actions * 3 * TIMEOUT + 120)
    return latencies, errors


def scenario(n_learners: int, n_replicas: int, actions: int, seed: int) -> None:
    with replicas(n_replicas) as apps, proxy([a.address for a in apps]) as front:
        rss0 = [a.rss_bytes() for a in apps]
        cpu0 = [a.cpu_seconds() for a in apps]
        wall = time.perf_counter()
        latencies, errors = asyncio.run(crowd(front.url, n_learners, actions, seed))
        wall = time.perf_counter() - wall
        rss = [a.rss_bytes() for a in apps]
        cpu = [c - c0 for c, c0 in zip((a.cpu_seconds() for a in apps), cpu0, strict=True)]
        counts = {}
        for line in front.access_log.read_text().splitlines():
            if "/_stcore/stream" in line:
                upstream = line.split("upstream=")[1].split()[0]
                counts[upstream] = counts.get(upstream, 0) + 1
    acts = [s for kind, s in latencies if kind == "action"]
    opens = [s for kind, s in latencies if kind == "open"]
    fmt = "{:>4} learners on {} replica(s): action p50 {:6.3f} s  p95 {:6.3f} s  ({} actions) | open p50 {:5.2f} s " \
          "p95 {:5.2f} s | errors {} | RSS MB {} (idle {}) | CPU s {} in {:.0f} s | sessions per replica {}"
    print(fmt.format(n_learners, n_replicas, pct(acts, 50) if acts else float("nan"),
                     pct(acts, 95) if acts else float("nan"), len(acts), pct(opens, 50) if opens else float("nan"),
                     pct(opens, 95) if opens else float("nan"), len(errors),
                     [round(r / 1e6) for r in rss], [round(r / 1e6) for r in rss0], [round(c, 1) for c in cpu], wall,
                     sorted(counts.values())), flush=True)
    for error in errors[:5]:
        print("   ", error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--actions", type=int, default=6, help="slider moves per learner (bounded)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run", flush=True)
    for n_replicas in args.replicas:
        for n_learners in args.learners:
            scenario(n_learners, n_replicas, args.actions, args.seed)
    print(f"load average {os.getloadavg()[0]:.2f} after the run")


if __name__ == "__main__":
    main()
