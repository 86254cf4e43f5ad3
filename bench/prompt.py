#!/usr/bin/env python3
"""Per-prompt costs, measured side by side in one run against one moto_server:
- whole-process `awsid prompt --shell S` (warm) next to `/bin/true`;
- the shell hooks' cost per prompt in bash, zsh, fish and nushell: a shell running the hook N times,
  less the same shell running it 0 times, over N; with unchanged inputs (no fork), with
  changed inputs through zsh's socket (no fork), and with changed inputs through the client
  (one fork).

Usage: python3 bench/prompt.py [--runs N] [--bin target/release] [--hooks-only] [--cpu]
       [--shells bash,zsh,fish,nu]
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from whoami import start_moto, timed  # noqa: E402


def per_call_us(argv, setup, call, n, env, cpu=False):
    """Microseconds per `call`, from whole-shell timings with n calls and with none. With
    `cpu`, the shell's CPU time (user + system, its children included) instead of the wall
    clock: steadier on a loaded machine, and what a no-fork hook costs."""
    def once(k):
        body = setup + "\n" + "\n".join([call] * k) + "\n"
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        out = subprocess.run(argv + ["-c", body], env=env, capture_output=True, text=True)
        dt = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if cpu:
            dt = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        if out.returncode != 0:
            sys.exit(f"{argv} failed: {out.stderr}")
        return dt
    base = statistics.median(once(0) for _ in range(5))
    full = statistics.median(once(n) for _ in range(5))
    return (full - base) / n * 1e6


# Each shell: how to start it interactive, load the integration and reach a settled answer,
# and the per-prompt call in each mode. `{init}` is a file holding the shell's `awsid init`
# (nushell sources only files named when the script is parsed; see hook_setup).
HOOKS = {
    "bash": (["bash", "--noprofile", "--norc", "-i"],
             'eval "$({awsid} init bash)"; __awsid_hook; sleep 2.2; __awsid_hook',
             {"unchanged inputs (no fork)": "__awsid_hook",
              "changed inputs (one fork)": "__awsid_settled=0; __awsid_hook"}),
    "zsh": (["zsh", "--no-rcs", "-i"],
            'eval "$({awsid} init zsh)"; __awsid_hook; sleep 2.2; __awsid_hook',
            {"unchanged inputs (no fork)": "__awsid_hook",
             "changed inputs, socket (no fork)": "__awsid_settled=0; __awsid_hook",
             "changed inputs (one fork)": "__awsid_settled=0; __awsid_zsocket=0; __awsid_hook"}),
    "fish": (["fish", "--no-config", "-i"],
             '{awsid} init fish | source; __awsid_hook; sleep 2.2; __awsid_hook',
             {"unchanged inputs (no fork)": "__awsid_hook",
              "changed inputs (one fork)": "set -g __awsid_settled 0; __awsid_hook"}),
    "nu": (["nu", "--no-config-file", "--no-history"],
           "source '{init}'; __awsid_hook; sleep 2200ms; __awsid_hook",
           {"unchanged inputs (no fork)": "__awsid_hook",
            "changed inputs (one fork)": "$env.__AWSID.settled = 0; __awsid_hook"}),
}


def hook_setup(shell, setup, awsid, tmp, env):
    """The shell's set-up line, with `awsid init SHELL` written to a file in `tmp` first."""
    init = os.path.join(tmp, f"init.{shell}")
    out = subprocess.run([awsid, "init", shell], env=env, capture_output=True, text=True, check=True)
    with open(init, "w") as f:
        f.write(out.stdout)
    return setup.format(awsid=awsid, init=init)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--hooks-only", action="store_true", help="only the shell hooks' costs")
    ap.add_argument("--cpu", action="store_true", help="hooks: CPU time instead of wall time")
    ap.add_argument("--shells", default=",".join(HOOKS), help="hooks: these shells only (a,b)")
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
        if args.hooks_only:
            args.runs = 0
        modes = ["plain", "bash", "zsh", "fish", "tmux"]
        samples = {"/bin/true": []}
        samples.update({f"awsid prompt --shell {m}": [] for m in modes})
        for _ in range(args.runs):
            samples["/bin/true"].append(timed(["/bin/true"], env))
            for m in modes:
                samples[f"awsid prompt --shell {m}"].append(
                    timed([awsid, "prompt", "--shell", m], env))
        floor = statistics.median(samples["/bin/true"]) if args.runs else 1
        print("| command | runs | median ms | min | max | × /bin/true |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, xs in samples.items():
            if not xs:
                continue
            med = statistics.median(xs)
            print(f"| `{name}` | {len(xs)} | {med:.2f} | {min(xs):.2f} | {max(xs):.2f} | {med / floor:.2f} |")
        print("\n| shell | hook, per prompt | µs |")
        print("|---|---|---:|")
        for shell, (argv, setup, calls) in HOOKS.items():
            if shell not in args.shells.split(","):
                continue
            if not shutil.which(argv[0]):
                print(f"| {shell} | skipped: not installed | |")
                continue
            for mode, call in calls.items():
                n = 300 if "no fork" in mode else 100
                us = per_call_us(argv, hook_setup(shell, setup, awsid, tmp, env), call, n, env,
                                 cpu=args.cpu)
                print(f"| {shell} | {mode} | {us:.0f} |")
    finally:
        subprocess.run([awsid, "daemon", "stop"], env=env, capture_output=True)
        moto.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
