#!/usr/bin/env python3
"""Whole-process timings, interleaved, against one moto_server: `/bin/true` (the exec
floor), warm `awsid whoami`, a cold miss (a new fingerprint each run) and
`aws sts get-caller-identity`. Prints a Markdown table of medians with min/max and ratios.

Usage: python3 bench/whoami.py [--runs N] [--cli-runs N] [--bin target/release]
Timings on a shared machine are noisy: read the ratios, not the absolute numbers.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(tmp):
    port = free_port()
    log = open(os.path.join(tmp, "moto.log"), "w")
    proc = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return proc, url
        except Exception:
            time.sleep(0.1)
    proc.kill()
    sys.exit("moto_server did not start")


def real_aws():
    """The AWS CLI itself, not a pyenv shim in front of it (the shim adds its own start-up)."""
    try:
        out = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except FileNotFoundError:
        pass
    return shutil.which("aws") or "aws"


def timed(cmd, env):
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{cmd} failed: {r.stderr.decode()}")
    return dt * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--cli-runs", type=int, default=15)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release"))
    args = ap.parse_args()
    awsid = os.path.abspath(os.path.join(args.bin, "awsid"))
    aws = real_aws()
    tmp = tempfile.mkdtemp(prefix="awsid-bench-")
    moto, url = start_moto(tmp)
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": home,
        "AWSID_RUNTIME_DIR": os.path.join(tmp, "run"),
        "XDG_STATE_HOME": os.path.join(tmp, "state"),
        "AWSID_DAEMON": os.path.abspath(os.path.join(args.bin, "awsidd")),
        "AWS_ENDPOINT_URL": url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }
    try:
        timed([awsid, "whoami"], env)  # start the daemon, warm the cache
        samples = {"/bin/true": [], "awsid whoami (warm)": [], "awsid whoami (cold miss)": [],
                   "aws sts get-caller-identity": []}
        for i in range(args.runs):
            samples["/bin/true"].append(timed(["/bin/true"], env))
            samples["awsid whoami (warm)"].append(timed([awsid, "whoami"], env))
            if i % max(1, args.runs // args.cli_runs) == 0:
                cold = dict(env, AWS_ACCESS_KEY_ID=f"AKIACOLD{i:012d}")
                samples["awsid whoami (cold miss)"].append(timed([awsid, "whoami"], cold))
                samples["aws sts get-caller-identity"].append(
                    timed([aws, "sts", "get-caller-identity"], env))
        warm = statistics.median(samples["awsid whoami (warm)"])
        floor = statistics.median(samples["/bin/true"])
        print(f"| command | runs | median ms | min | max | × /bin/true | CLI ÷ this |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        cli = statistics.median(samples["aws sts get-caller-identity"])
        for name, xs in samples.items():
            med = statistics.median(xs)
            print(f"| `{name}` | {len(xs)} | {med:.2f} | {min(xs):.2f} | {max(xs):.2f} | "
                  f"{med / floor:.2f} | {cli / med:.0f} |")
        size = os.path.getsize(awsid)
        print(f"\nclient binary: {size} bytes ({size / 1048576:.2f} MiB); "
              f"warm whoami is {cli / warm:.0f}× faster than the CLI")
    finally:
        subprocess.run([awsid, "daemon", "stop"], env=env, capture_output=True)
        moto.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
