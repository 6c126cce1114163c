#!/usr/bin/env python3
"""Tables and docs/benchmarks.md from chatbench JSON results (bench-compare.sh).

  bench_report.py table FILE.json...     one markdown table for one scenario
  bench_report.py doc RESULTS_DIR DOC    the whole page, with gnuplot charts
"""
import json
import os
import subprocess
import sys

TARGET_NAMES = {"chat": "chatd", "cluster": "chatd cluster (3 nodes + Redis)", "redis": "Redis",
                "mqtt": "Mosquitto", "nats": "NATS"}
TARGET_ORDER = ["chat", "cluster", "redis", "mqtt", "nats"]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"error": "no result"}


def ms(us):
    if us is None:
        return "-"
    return f"{us / 1000:.2f}"


def num(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        v = round(v)
    return f"{v:,}"


def errors_text(d):
    parts = []
    for key in ("failed", "dropped", "errors"):
        for k, v in sorted(d.get(key, {}).items()):
            parts.append(f"{k} {v:,}")
    return ", ".join(parts) if parts else "none"


def name(d, path=""):
    # The file name says which target it was (the cluster runs chatbench's
    # "chat" target against several nodes).
    t = os.path.basename(path).rsplit("-", 1)[-1].removesuffix(".json") if path else ""
    t = t or d.get("target", "")
    return TARGET_NAMES.get(t, t)


def cpu_text(d):
    """'server / chatbench / everything else' CPU seconds during the rounds."""
    server = d.get("server_cpu_s")
    bench = d.get("client_cpu_s")
    machine = d.get("machine_cpu_s")
    if server is None or bench is None or machine is None:
        return "-"
    other = max(0.0, machine - server - bench)
    return f"{server:.1f} / {bench:.1f} / {other:.1f}"


def table(paths):
    rows = [(p, load(p)) for p in paths]
    scen = next((d.get("scenario") for _, d in rows if d.get("scenario")), "")
    out = []
    if scen == "connect":
        out.append("| server | established / requested | login p50 ms | login p99 ms | "
                   "server RSS / conn | kernel / conn | chatbench RSS / conn | problems |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---|")
        for p, d in rows:
            if "error" in d:
                out.append(f"| {name(d, p)} | {d['error']} |  |  |  |  |  |  |")
                continue
            lat = d["login_latency_us"]
            out.append(
                f"| {name(d, p)} | {num(d['established'])} / {num(d['requested'])} | {ms(lat['p50'])} "
                f"| {ms(lat['p99'])} | {num(d['server_rss_bytes_per_conn'])} B "
                f"| {num(d['kernel_bytes_per_conn'])} B | {num(d['client_rss_bytes_per_conn'])} B "
                f"| {errors_text(d)} |")
        return "\n".join(out)
    out.append("| server | published | delivered / expected | lost | dup | gaps | out of order "
               "| deliveries/s | p50 ms | p99 ms | p99.9 ms | max ms | CPU s: server / bench / "
               "other | problems |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for p, d in rows:
        if "error" in d:
            out.append(f"| {name(d, p)} | {d['error']} |" + " |" * 12)
            continue
        lat = d["latency_us"]
        notes = []
        if d.get("skipped"):
            notes.append(f"+{num(d['skipped'])} skipped")
        if d.get("unconfirmed"):
            notes.append(f"{num(d['unconfirmed'])} unconfirmed")
        skipped = f" ({', '.join(notes)})" if notes else ""
        cpu = cpu_text(d)
        out.append(
            f"| {name(d, p)} | {num(d['published'])}{skipped} | {num(d['delivered'])} / "
            f"{num(d['expected'])} | {num(d['lost'])} | {num(d['duplicates'])} | {num(d['gaps'])} "
            f"| {num(d['out_of_order'])} | {num(d['deliveries_per_sec'])} | {ms(lat['p50'])} "
            f"| {ms(lat['p99'])} | {ms(lat['p99.9'])} | {ms(lat['max'])} | {cpu} "
            f"| {errors_text(d)} |")
    return "\n".join(out)


def steps_table(paths):
    out = ["| server | users | sends/s | deliveries/s | p50 ms | p99 ms | max ms | lost "
           "| error rate | CPU s: server / bench / other |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in paths:
        d = load(p)
        for s in d.get("steps", []):
            cpu = cpu_text(s)
            out.append(
                f"| {name(d, p)} | {num(s['users'])} | {num(s['sends_per_sec'])} "
                f"| {num(s['deliveries_per_sec'])} | {ms(s['p50_us'])} | {ms(s['p99_us'])} "
                f"| {ms(s['max_us'])} | {num(s['lost'])} | {s['error_rate']:.4f} | {cpu} |")
    return "\n".join(out)


def read_kv(path):
    kv = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                kv[k] = v
    return kv


SECTIONS = [
    ("idle", "Idle connections",
     "Open the connections at a fixed rate over 64 loopback source addresses, log in (chatd: "
     "HELLO; the others: their handshake and one subscription each), hold them, close. Memory "
     "is measured one second after the last one is up: the server's VmRSS growth and the "
     "kernel's (Slab + TCP socket memory, both ends of each loopback connection) divided by "
     "the connections. *login* is connect() to logged in and subscribed."),
    ("fanout-max", "Fan-out as fast as the window allows",
     "One publisher with at most 8 unconfirmed messages (chatd ACK, Redis PUBLISH reply; "
     "MQTT and NATS have no reply per publish, so a PINGREQ/PING after every 2 messages "
     "confirms them) sends to one room/topic. Throughput is therefore bound by how soon the "
     "server confirms a publish while it fans out, for every server alike."),
    ("fanout-rate", "Fan-out at a fixed rate",
     "Ten publishers share a fixed total rate to one room/topic. Sends that come due while "
     "a publisher's window is full are skipped and counted (*+N skipped*), so *published* "
     "shows what the server let through."),
    ("pairs", "Private messages",
     "At a fixed total rate a random user sends to a random other user (chatd: WHISPER; the "
     "others: publish to the recipient's own topic)."),
    ("steps", "Stepped load",
     "The seed's stepped load: at each step that many users, in rooms of 50, each send "
     "1 message/s to their room (users of earlier steps stay)."),
]


def write_dat(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(" ".join(str(x) for x in r) + "\n")


def charts(results, outdir, img_dir, targets):
    """Writes the PNGs with gnuplot; returns the names written."""
    os.makedirs(img_dir, exist_ok=True)
    written = []
    gp = []
    # Latency percentiles per server, one panel per message scenario.
    panels = []
    for key, title, _ in SECTIONS[1:]:
        rows = []
        for t in targets:
            d = results.get((key, t), {})
            lat = d.get("latency_us")
            if not lat or not lat.get("count"):
                continue
            rows.append([TARGET_NAMES[t], lat["p50"] / 1000, lat["p99"] / 1000,
                         lat["p99.9"] / 1000])
        if rows:
            dat = os.path.join(outdir, f"lat-{key}.dat")
            write_dat(dat, rows)
            panels.append((dat, title))
    if panels:
        gp.append(f"set terminal pngcairo size 1200,{420 * ((len(panels) + 1) // 2)} font ',10'")
        gp.append(f"set output '{img_dir}/latency.png'")
        gp.append(f"set multiplot layout {(len(panels) + 1) // 2},2 title "
                  "'Delivery latency percentiles (ms, log scale; lower is better)'")
        gp.append("set style data histograms; set style histogram clustered gap 1")
        gp.append("set style fill solid 0.8 border -1; set logscale y; set grid ytics")
        gp.append("set key top left; set yrange [0.01:*]")
        for dat, title in panels:
            gp.append(f"set title '{title}'")
            gp.append(f"plot '{dat}' using 2:xtic(1) title 'p50', '' using 3 title 'p99', "
                      f"'' using 4 title 'p99.9'")
        gp.append("unset multiplot; unset logscale y; set yrange [*:*]")
        written.append("latency.png")
    # Deliveries per second per scenario and server.
    rows = []
    for key, title, _ in SECTIONS[1:]:
        row = [key]
        for t in targets:
            d = results.get((key, t), {})
            row.append(d.get("deliveries_per_sec", 0) or 0)
        rows.append(row)
    dat = os.path.join(outdir, "deliveries.dat")
    write_dat(dat, rows)
    gp.append("set terminal pngcairo size 1000,450 font ',10'")
    gp.append(f"set output '{img_dir}/deliveries.png'")
    gp.append("set title 'Deliveries per second (log scale; higher is better)'")
    gp.append("set style data histograms; set style histogram clustered gap 1")
    gp.append("set style fill solid 0.8 border -1; set grid ytics; set key top right")
    gp.append("set logscale y; set format y '%.0s%c'")
    cols = ", ".join(
        f"'{dat}' using {i + 2}{':xtic(1)' if i == 0 else ''} title '{TARGET_NAMES[t]}'"
        for i, t in enumerate(targets))
    gp.append(f"plot {cols}")
    gp.append("unset logscale y; set format y '%g'")
    written.append("deliveries.png")
    # Memory per idle connection.
    rows = []
    for t in targets:
        d = results.get(("idle", t), {})
        if d.get("established"):
            rows.append([TARGET_NAMES[t], d.get("server_rss_bytes_per_conn") or 0,
                         d.get("kernel_bytes_per_conn") or 0])
    if rows:
        dat = os.path.join(outdir, "memory.dat")
        write_dat(dat, rows)
        gp.append("set terminal pngcairo size 800,450 font ',10'")
        gp.append(f"set output '{img_dir}/memory.png'")
        gp.append("set title 'Memory per idle connection, bytes (lower is better)'")
        gp.append("set style data histograms; set style histogram clustered gap 1")
        gp.append("set style fill solid 0.8 border -1; set grid ytics; set key top left")
        gp.append(f"plot '{dat}' using 2:xtic(1) title 'server RSS', '' using 3 title "
                  "'kernel (both socket ends)'")
        written.append("memory.png")
    # Stepped load: p99 against users.
    plots = []
    for t in targets:
        d = results.get(("steps", t), {})
        rows = [[s["users"], s["p99_us"] / 1000, s["p50_us"] / 1000] for s in d.get("steps", [])
                if s.get("delivered")]
        if rows:
            dat = os.path.join(outdir, f"steps-{t}.dat")
            write_dat(dat, rows)
            plots.append(f"'{dat}' using 1:2 with linespoints title '{TARGET_NAMES[t]} p99'")
    if plots:
        gp.append("set terminal pngcairo size 800,450 font ',10'")
        gp.append(f"set output '{img_dir}/steps.png'")
        gp.append("set title 'Stepped load: p99 delivery latency (ms) by users'")
        gp.append("set style data linespoints; set logscale x; set logscale y; set grid")
        gp.append("set xlabel 'users'; set key top left")
        gp.append("plot " + ", ".join(plots))
        written.append("steps.png")
    script = os.path.join(outdir, "charts.gp")
    with open(script, "w") as f:
        f.write("\n".join(gp) + "\n")
    subprocess.run(["gnuplot", script], check=True)
    return written


# What the profiles in docs/perf/ say (scripts/perf-profile.sh SCENARIO), and
# what was done about it. The figures under each come from the .txt files.
PROFILES = [
    ("fanout-max", "Fan-out as fast as the window allows",
     "Nearly all of chatd's time is the kernel's: `writev`, TCP transmit, and the "
     "loopback receive path, which runs in the sender's context. The cost is per write "
     "far more than per byte, so chatd writes fan-out copies from a list with a 2 ms "
     "budget per iteration and acknowledges a SAY only after its copies are written on "
     "the sender's loop: a member's copies pile up into one `writev` while replies keep "
     "flowing, and the publisher runs at the speed the room is delivered instead of "
     "filling every queue (docs/architecture.md, \"Why fan-out is flushed on a budget\"). "
     "What is left is the 8-message window of the benchmark's publisher: at most 8 "
     "messages per member per pass, the same bound Redis has."),
    ("fanout-rate", "Fan-out at a fixed rate",
     "With ten publishers the batches are larger, and copying bytes into socket buffers "
     "(`_copy_from_iter`) leads. chatd's own share is the frame reference counts "
     "(`FrameRef::release`: one atomic decrement per delivery, on a line the two loops "
     "share) and its output queues (`fill_iovec`, `push`, `consume`). A per-loop count "
     "for fan-out frames would remove the shared atomic; not done yet."),
    ("pairs", "Private messages",
     "One message, one recipient: every delivery is a read, a cross-loop mail and a "
     "write, and the kernel's per-call costs (`epoll`, `read`, `writev`, wakeups) "
     "dominate. chatd's share is small: the user map lookup and the session table."),
    ("idle", "Idle connections",
     "Accepting and logging in: TCP setup and teardown in the kernel, the user map, and "
     "the once-a-second statistics pass over the session table."),
]


def profile_section(doc_path):
    perf_dir = os.path.join(os.path.dirname(doc_path), "perf")
    L = []
    for key, title, text in PROFILES:
        txt = os.path.join(perf_dir, f"{key}.txt")
        if not os.path.exists(txt):
            continue
        with open(txt) as f:
            lines = f.read().splitlines()
        top = [" ".join(ln.split()) for ln in lines[1:6]]
        kernel = next((ln.strip() for ln in lines if "kernel share" in ln), "")
        L.append(f"### {title}")
        L.append("")
        L.append(f"[flame graph](perf/{key}.svg) · {kernel} · top: " + "; ".join(top))
        L.append("")
        L.append(text)
        L.append("")
    if not L:
        return []
    return ["## Where the time goes", "",
            "Profiles of chatd under the scenarios above, made with "
            "`scripts/perf-profile.sh SCENARIO` (perf's cpu-clock samples with DWARF stacks; "
            "see docs/perf/README.md). They were taken on the shared machine, so read the "
            "shares, not the absolute numbers.", ""] + L


def doc(outdir, doc_path):
    machine = read_kv(os.path.join(outdir, "machine.txt"))
    commands = []
    with open(os.path.join(outdir, "commands.txt")) as f:
        for line in f:
            key, cmd = line.rstrip("\n").split("|", 1)
            commands.append((key, cmd))
    targets = [t for t in TARGET_ORDER if f"version_{t}" in machine]
    results = {}
    for key, _ in commands:
        for t in targets:
            results[(key, t)] = load(os.path.join(outdir, f"{key}-{t}.json"))
    img_dir = os.path.join(os.path.dirname(doc_path), "bench")
    images = charts(results, outdir, img_dir, targets)

    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append("Generated by `make bench` (`scripts/bench-compare.sh --standard`) on "
             f"{machine['date']}; the whole set took {machine['elapsed']} s. "
             "Numbers are what this machine measured, nothing else: rerun `make bench` "
             "to get yours.")
    if machine.get("quick") == "1":
        L.append("")
        L.append("**This is the reduced (`--quick`) set**, with smaller counts than the "
                 "standard one.")
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append(f"- {machine['cores']} cores ({machine['cpu']}), {machine['memory']} of memory")
    L.append(f"- {machine['os']}, kernel {machine['kernel']}")
    L.append("- server and load generator on the same machine, over loopback: they share the "
             "cores, so every figure is the server and chatbench together (chatbench's own CPU "
             "use is in the JSON as `client_cpu_s`). The machine is shared with other work, "
             "so expect run-to-run noise.")
    L.append("")
    L.append("## Servers")
    L.append("")
    L.append("Each server is started fresh for each run, on 127.0.0.1, and stopped by its PID:")
    L.append("")
    L.append(f"- **chatd** {machine.get('version_chat', '')}: `chatd {machine['chatd_args']}` "
             "(rate limits high enough that the server, not its limiter, is measured)")
    if "version_cluster" in machine:
        L.append(f"- **chatd cluster** {machine.get('version_cluster', '')}: one Redis and three "
                 "chatd nodes on it, each `chatd --threads 1 --rate 1000000 --burst 1000000 "
                 "--lobby \"\" --cluster redis://…`; chatbench spreads its users over the nodes "
                 "(`--server a,b,c`), so room messages and private messages cross nodes through "
                 "Redis (docs/cluster.md). Its memory figures include Redis.")
    L.append(f"- **Redis** {machine.get('version_redis', '')}: `redis-server "
             f"{machine['redis_args']}`, RESP3 so one connection both subscribes and publishes")
    L.append(f"- **Mosquitto** {machine.get('version_mqtt', '')}: config `"
             f"{machine['mosquitto_conf']}`, MQTT 3.1.1 at QoS 0 (clean session)")
    L.append(f"- **NATS** {machine.get('version_nats', '')}: `nats-server {machine['nats_args']}` "
             "(text protocol, `echo` off)")
    L.append("")
    L.append("## How to read the tables")
    L.append("")
    L.append("- *delivered / expected*: every message carries its sender, a per-sender sequence "
             "and its send time. *expected* is what the accepted messages owe the members that "
             "were subscribed; for chatd each delivery is checked against the room's seq, for "
             "the others against the per-sender sequence. *lost* = expected − distinct "
             "deliveries, *dup* = repeats, *gaps* = sequence numbers a receiver never got.")
    L.append("- Latency is from the send time in the body to its arrival, over every delivery "
             "(log-linear histogram, within 1 %).")
    L.append("- *problems* lists failed connections, connections the server dropped, and error "
             "replies, by cause.")
    L.append("- *expected* counts only sends the server confirmed (chatd ACK, Redis reply, the "
             "MQTT/NATS marker after them); *unconfirmed* sends were still unconfirmed when the "
             "drain ended, and what they delivered shows as delivered above expected (`extra` "
             "in the JSON). *skipped*: sends that came due while every window was full.")
    L.append("- *CPU s*: CPU seconds used during sending and draining by the server, by "
             "chatbench, and by everything else on the machine (other people's builds: the "
             "machine is shared). A large *other* means the run competed for the two cores.")
    L.append("")
    for key, title, text in SECTIONS:
        cmd = dict(commands).get(key)
        if cmd is None:
            continue
        L.append(f"## {title}")
        L.append("")
        L.append(text)
        L.append("")
        L.append("```")
        L.append(f"{cmd} --target TARGET --server 127.0.0.1:PORT --server-pid PID")
        L.append("```")
        L.append("")
        paths = [os.path.join(outdir, f"{key}-{t}.json") for t in targets]
        L.append(table(paths))
        L.append("")
        if key == "steps":
            L.append("Per step:")
            L.append("")
            L.append(steps_table(paths))
            L.append("")
    L.extend(profile_section(doc_path))
    L.append("## Charts")
    L.append("")
    for img in images:
        L.append(f"![{img[:-4]}](bench/{img})")
        L.append("")
    L.append("## How chatbench measures")
    L.append("")
    L.append("- **One lean loop per process.** Each worker process drives its connections with "
             "its own epoll loop (level-triggered reads into one buffer, writes coalesced once "
             "per wakeup) and no allocation per message. `--procs K` forks K workers that split "
             "the users (user *i* goes to worker *i mod K*); the parent moves them through each "
             "phase together (all connected and subscribed, then all counting, then sending) "
             "and adds up what they report.")
    L.append("- **Every message is checked.** The body is `round sender seq send-time` padded "
             "to `--payload`. For chatd a member keeps a 1,024-seq window of the room's seqs it "
             "has seen (its own messages included, from their ACKs): a repeat is a duplicate, "
             "a late fill is out of order, and a seq that leaves the window unseen is a gap. "
             "For the peers, which have no room seq, each receiver keeps the last seq of "
             "every sender it hears from. *expected* is computed from the confirmed sends and "
             "the members counted when the round started, so *lost* is exact.")
    L.append("- **Latency** goes into a log-linear histogram (128 buckets per power of two, "
             "34 KiB, mergeable across processes, within 0.4 % of the true value).")
    L.append("- **Memory per connection**: the server's VmRSS growth and the kernel's Slab + "
             "TCP socket memory growth from before the first connection to one second after "
             "the last, divided by the connections; the kernel figure covers both ends of a "
             "loopback connection.")
    L.append("- The JSON (last line of `chatbench`'s output) carries all of it: `established`, "
             "`failed` and `dropped` by cause, `published`, `acked`, `refused`, `skipped`, "
             "`unconfirmed`, `expected`, `delivered`, `lost`, `duplicates`, `out_of_order`, "
             "`gaps`, `errors` by code, `deliveries_per_sec`, `latency_us` (p50, p90, p99, "
             "p99.9, max), `login_latency_us`, the memory figures, the CPU seconds of server, "
             "chatbench and machine, the load average, and per step for `steps`.")
    L.append("")
    L.append("## Running it")
    L.append("")
    L.append("```")
    L.append("make bench                                   # this page, about 10 minutes")
    L.append("scripts/bench-compare.sh --build build fanout --subs 100 --rate 1000  # any scenario")
    L.append("build/chatbench --help                       # every option")
    L.append("```")
    L.append("")
    L.append("The raw JSON of every run is kept in `BUILD/bench-results/`.")
    with open(doc_path, "w") as f:
        f.write("\n".join(L) + "\n")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "table":
        print(table(sys.argv[2:]))
        if any(load(p).get("steps") for p in sys.argv[2:]):
            print()
            print(steps_table(sys.argv[2:]))
    elif len(sys.argv) == 4 and sys.argv[1] == "doc":
        doc(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
