"""A class (and two) of simulated learners through nginx: per-action latency, errors, memory per replica.

    python -m benchmarks.crowd                      # 30 and 60 learners on 1 and 2 replicas
    python -m benchmarks.crowd --learners 30 --replicas 1 --actions 5
    python -m benchmarks.crowd --scenario trains --learners 1 10 30    # a class presses Train together

"trains": N sessions open Learn and press Train at the same moment, (a) all with identical settings, then (b)
each with its own seed, while one more session (the probe) moves Shapes' hidden_size every 2-3 s. A trainer
follows its run as the browser does (the page's fragment asks for a rerun every ``auto_rerun`` interval) until
the page shows the trained steps; its wait is from pressing Train to that page. Printed: each learner's wait
(median, max), the probe's latency (median, p95) over the changes it sent while the runs proceeded (from the press
to the last model; the ones sent while the class was still opening Learn are printed apart), errors, the memory
(PSS) and CPU of the replica with its training workers (and of the replica alone), and the load average. Each
scenario uses seeds nobody trained before, so a finished run of an earlier one is not reused. ``--modes`` runs
one of the two; ``--first-think S`` lets the first learner read Learn S seconds before pressing Train (the
workers start when Learn is first opened).

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
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.local import proxy, replicas

TIMEOUT = 60.0
OK = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
FRAGMENT_OK = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
QUERY = "page={page}&hidden_size={h}&num_layers=2&lang=en"


def cookie_for(url: str) -> str:
    """nginx's affinity cookie ("" when talking to a replica directly)."""
    with urllib.request.urlopen(url + "/", timeout=TIMEOUT) as response:
        return (response.headers["Set-Cookie"] or "").split(";", 1)[0]


async def run_once(ws, query: str, widgets=None, page: str = "shapes", fragment: str = "",
                   seen: dict | None = None) -> tuple[float, dict]:
    """Send one rerun (of the whole page, or of one fragment); wait for its successful script_finished.
    Returns (seconds, widget ids seen). ``seen`` (optional) collects the run's metrics {label: value} under
    "metrics" and the fragments that asked to be rerun {fragment_id: interval} under "auto_rerun"."""
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    if fragment:
        msg.rerun_script.fragment_id = fragment
        msg.rerun_script.is_auto_rerun = True
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
            if etype == "metric" and seen is not None:
                seen.setdefault("metrics", {})[inner.label] = inner.body
        elif kind == "auto_rerun" and seen is not None:
            seen.setdefault("auto_rerun", {})[fwd.auto_rerun.fragment_id] = fwd.auto_rerun.interval
        elif kind == "script_finished":
            if fwd.script_finished in (OK, FRAGMENT_OK):
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
            sent = time.perf_counter()
            seconds, ids = await run_once(ws, query, page=page)
            latencies.append(("open", seconds, sent))
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
                sent = time.perf_counter()
                seconds, _ = await run_once(ws, query, [state], page=page)
                latencies.append(("action", seconds, sent))
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
    acts = [s for kind, s, _ in latencies if kind == "action"]
    opens = [s for kind, s, _ in latencies if kind == "open"]
    fmt = "{:>4} learners on {} replica(s): action p50 {:6.3f} s  p95 {:6.3f} s  ({} actions) | open p50 {:5.2f} s " \
          "p95 {:5.2f} s | errors {} | RSS MB {} (idle {}) | CPU s {} in {:.0f} s | sessions per replica {}"
    print(fmt.format(n_learners, n_replicas, pct(acts, 50) if acts else float("nan"),
                     pct(acts, 95) if acts else float("nan"), len(acts), pct(opens, 50) if opens else float("nan"),
                     pct(opens, 95) if opens else float("nan"), len(errors),
                     [round(r / 1e6) for r in rss], [round(r / 1e6) for r in rss0], [round(c, 1) for c in cpu], wall,
                     sorted(counts.values())), flush=True)
    for error in errors[:5]:
        print("   ", error)


# ------------------------------------------------------------------------------------ a class trains
STEPS = 300  # the memory task's default budget
TRAINS_QUERY = "page=learn&lang=en"


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (the replica and its training workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def tree_rss_cpu(pid: int) -> tuple[int, float, float]:
    """Memory (PSS: shared pages such as torch's libraries counted once across the processes) and CPU seconds
    of the replica and its training workers, and the CPU seconds of the replica's own process (the one that
    answers clicks)."""
    rss, cpu, own = 0, 0.0, 0.0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    rss += int(line.split()[1]) * 1024
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            cpu += seconds
            own += seconds if p == pid else 0.0
        except OSError:
            pass
    return rss, cpu, own


def _widget(ids: dict, key: str) -> str:
    found = [i for i in ids if i.endswith("-" + key)]
    if not found:
        raise RuntimeError(f"no widget {key} on the page")
    return found[0]


async def trainer_session(url: str, index: int, seed: int, ready, go, waits: list, errors: list,
                          think: float = 0.0):
    """Open Learn, set the seed, read for `think` seconds, wait for `go`, press Train, follow the run until the
    page shows the model."""
    try:
        cookie = await asyncio.to_thread(cookie_for, url)
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], additional_headers={"Cookie": cookie},
                                      max_size=None, open_timeout=TIMEOUT) as ws:
            _, ids = await run_once(ws, TRAINS_QUERY, page="learn")
            for _ in range(3):  # a replica's very first run may leave Streamlit's pages/ mode first (ui/__init__)
                if any(i.endswith("-learn_train") for i in ids):
                    break
                _, ids = await run_once(ws, TRAINS_QUERY, page="learn")
            seed_state = BackMsg().rerun_script.widget_states.widgets.add()
            seed_state.id, seed_state.int_value = _widget(ids, "learn_seed"), seed
            _, ids = await run_once(ws, TRAINS_QUERY, [seed_state], page="learn")
            await asyncio.sleep(think)
            ready()
            await go.wait()
            press = BackMsg().rerun_script.widget_states.widgets.add()
            press.id, press.trigger_value = _widget(ids, "learn_train"), True
            start = time.perf_counter()
            seen: dict = {}
            await run_once(ws, TRAINS_QUERY, [seed_state, press], page="learn", seen=seen)
            fragments = seen.get("auto_rerun", {})
            while seen.get("metrics", {}).get("Steps trained") != str(STEPS):
                if time.perf_counter() - start > 5 * TIMEOUT:
                    raise TimeoutError("the model never came")
                if not fragments:
                    raise RuntimeError("the page neither shows the model nor follows a run")
                fragment, interval = next(reversed(fragments.items()))  # the one the latest run drew
                await asyncio.sleep(interval)  # the browser's timer
                seen = {}
                await run_once(ws, TRAINS_QUERY, [seed_state], page="learn", fragment=fragment, seen=seen)
                fragments = seen.get("auto_rerun") or fragments  # a whole-page rerun draws a new fragment
            waits.append(time.perf_counter() - start)
    except Exception as error:
        ready()
        errors.append(f"trainer {index}: {type(error).__name__}: {error}"[:200])


async def class_trains(url: str, seeds: list[int], probe_rng: random.Random, think: float = 0.0):
    waits: list = []
    errors: list = []
    probe: list = []
    stop = asyncio.Event()
    go = asyncio.Event()
    pending = [len(seeds)]

    def ready():
        pending[0] -= 1
        if pending[0] == 0:
            go.set()

    probe_task = asyncio.create_task(learner(url, 0, 10_000, probe, errors, probe_rng, think=(2.0, 3.0),
                                             stop=stop))
    tasks = [asyncio.create_task(trainer_session(url, i, s, ready, go, waits, errors, think))
             for i, s in enumerate(seeds)]
    await go.wait()
    began = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10 * TIMEOUT)
    ended = time.perf_counter()
    stop.set()
    await asyncio.wait_for(probe_task, timeout=2 * TIMEOUT)
    # the probe's changes sent while the runs proceed (from the press to the last model): the class opening
    # Learn before that is not what the target is about, and is reported apart
    during = [s for kind, s, sent in probe if kind == "action" and began <= sent <= ended]
    before = [s for kind, s, sent in probe if kind == "action" and sent < began]
    return waits, during, before, errors, ended - began


def trains(learner_counts: list[int], seed: int, modes: tuple[str, ...] = ("identical", "different"),
           first_think: float = 0.0) -> None:
    cores = os.cpu_count() or 1
    with replicas(1) as apps, proxy([a.address for a in apps]) as front:
        pid = apps[0].proc.pid
        alone = None
        base = 10_000 + 1000 * seed
        waits, _, _, errors, _ = asyncio.run(class_trains(front.url, [base], random.Random(base), first_think))
        print(f"first run on a fresh replica (the training workers start when Learn is first opened; Train pressed "
              f"{first_think:g} s later): {waits[0] if waits else float('nan'):.1f} s, errors {len(errors)}",
              flush=True)
        for mode in modes:
            for n in learner_counts:
                base += 100
                seeds = [base] * n if mode == "identical" else [base + i for i in range(n)]
                _, cpu0, own0 = tree_rss_cpu(pid)
                waits, probe, setup, errors, wall = asyncio.run(class_trains(front.url, seeds,
                                                                             random.Random(base)))
                rss, cpu, own = tree_rss_cpu(pid)
                if n == 1 and waits:
                    alone = min(alone or waits[0], waits[0])  # one run alone, the workers warm: the best of two
                nan = float("nan")
                med, top = (statistics.median(waits), max(waits)) if waits else (nan, nan)
                p50, p95 = (statistics.median(probe), pct(probe, 95)) if probe else (nan, nan)
                verdict = ""
                if mode == "identical" and n > 1:
                    verdict = f" | every learner within 5 s: {'met' if top <= 5 else 'NOT met'}"
                if mode == "different" and n > 1 and alone:
                    bound = 1.5 * n * alone / cores
                    verdict = (f" | all done in {wall:.1f} s, bound 1.5 x {n} x {alone:.2f} / {cores} = {bound:.1f} s:"
                               f" {'met' if wall <= bound else 'NOT met'}; probe p95 <= 0.5 s: "
                               f"{'met' if p95 <= 0.5 else 'NOT met'}")
                opening = f"{statistics.median(setup):.3f} / {max(setup):.3f} s" if setup else "-"
                print(f"trains ({mode:9}) N={n:>2}: wait median {med:5.2f} s max {top:5.2f} s | probe median "
                      f"{p50:.3f} s p95 {p95:.3f} s ({len(probe)} changes; while the class opened Learn: median/max "
                      f"{opening}) | errors {len(errors)} | RSS {rss / 1e6:.0f} MB PSS (replica + workers) | CPU "
                      f"{cpu - cpu0:.1f} s (replica {own - own0:.1f} s) in {wall:.1f} s | load "
                      f"{os.getloadavg()[0]:.1f}{verdict}", flush=True)
                for error in errors[:5]:
                    print("   ", error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--actions", type=int, default=6, help="slider moves per learner (bounded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", choices=("clicks", "trains"), default="clicks",
                        help="clicks: learners move Shapes' slider; trains: a class presses Train on Learn together")
    parser.add_argument("--first-think", type=float, default=0.0,
                        help="trains: seconds the first learner reads Learn before pressing Train (workers warm up)")
    parser.add_argument("--modes", nargs="+", choices=("identical", "different"), default=["identical", "different"],
                        help="trains: which settings the class trains (default both)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run", flush=True)
    if args.scenario == "trains":
        trains(args.learners, args.seed, tuple(args.modes), args.first_think)
        print(f"load average {os.getloadavg()[0]:.2f} after the run")
        return
    for n_replicas in args.replicas:
        for n_learners in args.learners:
            scenario(n_learners, n_replicas, args.actions, args.seed)
    print(f"load average {os.getloadavg()[0]:.2f} after the run")


if __name__ == "__main__":
    main()
