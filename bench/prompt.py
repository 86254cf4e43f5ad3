#!/usr/bin/env python3
"""Per-prompt costs, measured side by side in one run against one moto_server:
- whole-process `awsid prompt --shell S` (warm) next to `/bin/true`;
- the shell hooks' cost per prompt, inside bash, zsh and fish (timed in the shell with
  $EPOCHREALTIME / fish's `date`-free `status`-less loop), with unchanged inputs (no fork) and
  forced to ask (one fork per prompt).

Usage: python3 bench/prompt.py [--runs N] [--bin target/release]
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
from whoami import start_moto, timed  # noqa: E402


def in_shell(shell, script, env):
    out = subprocess.run(shell + ["-c", script], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{shell} failed: {out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


HOOKS = {
    # (argv, script computing microseconds per call; {n} calls; {force} 1 forces a request)
    "bash": (["bash", "--noprofile", "--norc", "-i"], """
eval "$({awsid} init bash)" 2>/dev/null
__awsid_hook; sleep 2.2; __awsid_hook
t0=$EPOCHREALTIME
for ((i = 0; i < {n}; i++)); do [[ {force} == 1 ]] && __awsid_settled=0; __awsid_hook; done
t1=$EPOCHREALTIME
echo "$(( (${{t1/./}} - ${{t0/./}}) / {n} ))"
"""),
    "zsh": (["zsh", "--no-rcs", "-i"], """
eval "$({awsid} init zsh)"
zmodload zsh/datetime
__awsid_hook; sleep 2.2; __awsid_hook
t0=$EPOCHREALTIME
for ((i = 0; i < {n}; i++)); do [[ {force} == 1 ]] && __awsid_settled=0; __awsid_hook; done
t1=$EPOCHREALTIME
echo $(( (t1 - t0) * 1000000 / {n} ))
"""),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release"))
    args = ap.parse_args()
    awsid = os.path.abspath(os.path.join(args.bin, "awsid"))
    tmp = tempfile.mkdtemp(prefix="awsid-bench-")
    moto, url = start_moto(tmp)
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    env = {
        "PATH": os.environ["PATH"], "HOME": home, "TERM": "dumb",
        "AWSID_RUNTIME_DIR": os.path.join(tmp, "run"),
        "XDG_STATE_HOME": os.path.join(tmp, "state"),
        "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
        "AWSID_DAEMON": os.path.abspath(os.path.join(args.bin, "awsidd")),
        "AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }
    try:
        timed([awsid, "prompt", "--budget-ms", "3000"], env)
        modes = ["plain", "bash", "zsh", "fish", "tmux"]
        samples = {"/bin/true": []}
        samples.update({f"awsid prompt --shell {m}": [] for m in modes})
        for _ in range(args.runs):
            samples["/bin/true"].append(timed(["/bin/true"], env))
            for m in modes:
                samples[f"awsid prompt --shell {m}"].append(
                    timed([awsid, "prompt", "--shell", m], env))
        floor = statistics.median(samples["/bin/true"])
        print("| command | runs | median ms | min | max | × /bin/true |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, xs in samples.items():
            med = statistics.median(xs)
            print(f"| `{name}` | {len(xs)} | {med:.2f} | {min(xs):.2f} | {max(xs):.2f} | {med / floor:.2f} |")
        print("\n| shell hook, per prompt | unchanged inputs (no fork) µs | forced request (one fork) µs |")
        print("|---|---:|---:|")
        for shell, (argv, script) in HOOKS.items():
            if not shutil.which(argv[0]):
                print(f"| {shell} | skipped: not installed | |")
                continue
            res = []
            for force, n in ((0, 2000), (1, 200)):
                res.append(in_shell(argv, script.format(awsid=awsid, n=n, force=force), env))
            print(f"| {shell} | {res[0]:.0f} | {res[1]:.0f} |")
    finally:
        subprocess.run([awsid, "daemon", "stop"], env=env, capture_output=True)
        moto.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
