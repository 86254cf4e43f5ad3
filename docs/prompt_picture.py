#!/usr/bin/env python3
"""Make docs/prompt.svg: a picture of awsid's prompt segment in a real bash.

Re-run it from the repository root with

    python3 docs/prompt_picture.py [--bin DIR] [--out PATH] [--keep]

It needs, on PATH: moto_server (pip install "moto[server]" boto3; it emulates
STS/IAM on 127.0.0.1), tmux and bash, plus a built awsid/awsidd in
<repo>/target/debug (`cargo build`) or in the directory given with --bin.
--out defaults to prompt.svg next to this script; --keep leaves the temporary
directory (sandbox HOME, logs) in place for a look.

Nothing in the picture is drawn by hand. The script
  1. starts moto_server on a free loopback port and seeds it with
     tests/src/moto_setup.py (IAM users alice in 123456789012 and bob in
     222222222222, which also holds a role "admin" anyone may assume);
  2. builds a sandbox HOME with ~/.aws/credentials ([alice], [bob]),
     ~/.aws/config ([profile prod-admin] assuming bob's admin role from alice,
     [profile dev]) and an awsid config naming the accounts "dev" and "prod"
     and styling prod bold red;
  3. runs an interactive `bash --norc --noprofile -i` in tmux (private socket,
     empty environment apart from what is listed in `environment()`), loads
     `awsid init bash --add-to-prompt`, clears the screen and types
         export AWS_PROFILE=alice
         export AWS_PROFILE=prod-admin
         export AWS_PROFILE=nosuch
         unset AWS_PROFILE
     waiting each time for the next prompt;
  4. captures the pane with its escape sequences (`tmux capture-pane -p -e`)
     and turns the SGR colours into an SVG terminal window.

Every wait has a deadline, and tmux, the awsid daemon and moto_server are
always stopped at the end. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MOTO_SETUP = REPO / "tests" / "support" / "moto_setup.py"

COLS, ROWS = 100, 14
SESSION = "awsid"
# PS1 before awsid adds its segment in front. A literal `$` rather than `\$`,
# so the picture looks the same whoever (root included) generates it.
PS1 = r"\[\e[1;34m\]\w\[\e[0m\] $ "
COMMANDS = [
    "export AWS_PROFILE=alice",
    "export AWS_PROFILE=prod-admin",
    "export AWS_PROFILE=nosuch",
    "unset AWS_PROFILE",
]
PENDING = "\u2026"  # the marker awsid shows while a first lookup is running

AWSID_CONFIG = """\
[prompt]
# The daemon waits at most min(this, the client's budget) for STS before it
# answers "pending"; see AWSID_BUDGET_MS in environment().
budget_ms = 2000

[accounts]
"123456789012" = "dev"
"222222222222" = "prod"

[[class]]
match = "prod"
style = "bold red"
"""


class Failure(Exception):
    pass


def deadline_loop(seconds: float, step: float = 0.1):
    """Yields until `seconds` have passed, sleeping `step` between rounds."""
    end = time.monotonic() + seconds
    while True:
        yield
        if time.monotonic() >= end:
            return
        time.sleep(step)


# --------------------------------------------------------------------------
# moto_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_moto() -> Path:
    # Prefer the real script next to this interpreter over a pyenv shim.
    beside = Path(sys.executable).parent / "moto_server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("moto_server")
    if not found:
        raise Failure('moto_server is not on PATH (pip install "moto[server]" boto3)')
    return Path(found)


def moto_python(moto: Path) -> str:
    """The interpreter that has boto3: the one moto_server belongs to."""
    for name in ("python3", "python"):
        p = moto.parent / name
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return sys.executable


def http_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=1) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_moto(moto: Path, tmp: Path, procs: dict) -> str:
    env = {
        "PATH": os.pathsep.join([str(moto.parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(tmp / "home"),
        "LANG": "C.UTF-8",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    log = open(tmp / "moto.log", "ab")
    for _attempt in range(3):
        port = free_port()
        proc = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(port)],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: killed as a whole
        )
        procs["moto"] = proc
        url = f"http://127.0.0.1:{port}"
        for _ in deadline_loop(30, 0.2):
            if proc.poll() is not None:
                break  # e.g. the port was taken meanwhile: try another
            if http_ok(url + "/moto-api/"):
                return url
        else:
            raise Failure(f"moto_server did not answer on {url} within 30 s (log: {tmp}/moto.log)")
    raise Failure(f"moto_server kept exiting at startup (log: {tmp}/moto.log)")


def stop_moto(procs: dict) -> None:
    proc = procs.get("moto")
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            pass


def seed(moto: Path, url: str, tmp: Path) -> dict:
    env = {
        "PATH": os.pathsep.join([str(moto.parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(tmp / "home"),
        "LANG": "C.UTF-8",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    r = subprocess.run(
        [moto_python(moto), str(MOTO_SETUP), url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if r.returncode != 0:
        raise Failure(f"moto_setup.py failed ({r.returncode}):\n{r.stderr}")
    return json.loads(r.stdout)


# --------------------------------------------------------------------------
# sandbox


def make_sandbox(tmp: Path, keys: dict) -> None:
    home = tmp / "home"
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    alice, bob = keys["alice"], keys["bob"]
    (aws / "credentials").write_text(
        f"[alice]\n"
        f"aws_access_key_id = {alice['access_key_id']}\n"
        f"aws_secret_access_key = {alice['secret_access_key']}\n"
        f"\n"
        f"[bob]\n"
        f"aws_access_key_id = {bob['access_key_id']}\n"
        f"aws_secret_access_key = {bob['secret_access_key']}\n"
    )
    (aws / "config").write_text(
        f"[profile prod-admin]\n"
        f"role_arn = arn:aws:iam::{bob['account']}:role/admin\n"
        f"source_profile = alice\n"
        f"\n"
        f"[profile dev]\n"
        f"aws_access_key_id = {alice['access_key_id']}\n"
        f"aws_secret_access_key = {alice['secret_access_key']}\n"
    )
    for f in (aws / "credentials", aws / "config"):
        f.chmod(0o600)
    conf = tmp / "xdg-config" / "awsid"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "config.toml").write_text(AWSID_CONFIG)
    for d in ("run", "xdg-state"):
        (tmp / d).mkdir(mode=0o700, exist_ok=True)


def environment(tmp: Path, bindir: Path, url: str) -> dict:
    """The whole environment of tmux, bash and awsid: nothing is inherited."""
    path = [str(bindir)]
    for tool in ("bash", "tmux", "clear"):
        found = shutil.which(tool)
        if found and str(Path(found).parent) not in path:
            path.append(str(Path(found).parent))
    for d in ("/usr/local/bin", "/usr/bin", "/bin"):
        if d not in path:
            path.append(d)
    return {
        "PATH": os.pathsep.join(path),
        "HOME": str(tmp / "home"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "AWSID_RUNTIME_DIR": str(tmp / "run"),
        "XDG_STATE_HOME": str(tmp / "xdg-state"),
        "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
        "AWSID_DAEMON": str(bindir / "awsidd"),
        # A safety net only: the daemon is stopped explicitly at the end.
        "AWSID_IDLE_TIMEOUT": "120",
        "AWS_ENDPOINT_URL": url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        # `awsid prompt` normally waits 100 ms and shows a first lookup as
        # pending (…), settling at a later prompt. Waiting up to 2 s (here and
        # budget_ms in the config, since the smaller one wins) makes each
        # prompt in the picture show its final answer straight away.
        "AWSID_BUDGET_MS": "2000",
    }


def stop_daemon(bindir: Path, env: dict, tmp: Path) -> None:
    try:
        subprocess.run(
            [str(bindir / "awsid"), "daemon", "stop"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=15,
        )
    except (OSError, subprocess.TimeoutExpired):
        pass
    # If it is somehow still there, end it by the pid it recorded.
    pidfile = tmp / "run" / "awsidd.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return
    if b"awsidd" in cmdline:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------
# tmux


class Tmux:
    def __init__(self, tmp: Path, env: dict):
        self.sock = str(tmp / "tmux.sock")
        self.conf = tmp / "tmux.conf"
        self.conf.write_text(
            "set -g default-terminal xterm-256color\n"
            "set -g status off\n"
            "set -g history-limit 200\n"
        )
        self.env = env
        self.started = False

    def run(self, *args: str, check: bool = True) -> str:
        r = subprocess.run(
            ["tmux", "-S", self.sock, "-f", str(self.conf), *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if check and r.returncode != 0:
            raise Failure(f"tmux {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def start(self, cwd: str) -> None:
        self.started = True
        self.run(
            "new-session", "-d", "-s", SESSION, "-x", str(COLS), "-y", str(ROWS),
            "-c", cwd, "bash --norc --noprofile -i",
        )

    def type(self, line: str) -> None:
        self.run("send-keys", "-t", SESSION, "-l", line)
        self.run("send-keys", "-t", SESSION, "Enter")

    def enter(self) -> None:
        self.run("send-keys", "-t", SESSION, "Enter")

    def screen(self, escapes: bool = False) -> list[str]:
        args = ["capture-pane", "-p", "-t", SESSION] + (["-e"] if escapes else [])
        lines = self.run(*args).split("\n")
        while lines and not strip_sgr(lines[-1]).strip():
            lines.pop()
        return lines

    def kill(self) -> None:
        if self.started:
            try:
                self.run("kill-server", check=False)
            except (OSError, subprocess.TimeoutExpired):
                pass
        try:
            os.unlink(self.sock)
        except OSError:
            pass


def is_prompt(line: str) -> bool:
    return line.rstrip().endswith("~ $")


def wait_screen(tmux: Tmux, what: str, ok, seconds: float = 15) -> list[str]:
    lines: list[str] = []
    for _ in deadline_loop(seconds, 0.1):
        lines = tmux.screen()
        if ok(lines):
            return lines
    raise Failure(f"timed out waiting for {what}; the screen shows:\n" + "\n".join(lines))


def wait_prompt(tmux: Tmux, count: int) -> list[str]:
    """Waits until the screen holds `count` lines, the last one a fresh prompt."""
    return wait_screen(
        tmux,
        f"prompt #{count}",
        lambda ls: len(ls) >= count and is_prompt(ls[-1]),
    )


def settle(tmux: Tmux, lines: list[str]) -> list[str]:
    """Presses Enter while the newest prompt still shows a pending lookup."""
    for _ in range(5):
        if PENDING not in lines[-1]:
            return lines
        time.sleep(1)
        tmux.enter()
        lines = wait_prompt(tmux, len(lines) + 1)
    return lines


def drive(tmux: Tmux, home: str, awsid: Path) -> list[str]:
    tmux.start(home)
    wait_screen(tmux, "bash to start", lambda ls: bool(ls))
    tmux.type(
        f"PS1='{PS1}'; cd ~; "
        f'eval "$({awsid} init bash --add-to-prompt)"'
    )
    wait_screen(tmux, "the awsid prompt", lambda ls: bool(ls) and is_prompt(ls[-1]))
    tmux.type("clear")
    lines = wait_screen(tmux, "a clear screen", lambda ls: len(ls) == 1 and is_prompt(ls[0]))
    lines = settle(tmux, lines)
    for command in COMMANDS:
        tmux.type(command)
        lines = wait_prompt(tmux, len(lines) + 1)
        lines = settle(tmux, lines)
    time.sleep(0.3)
    return tmux.screen(escapes=True)


# --------------------------------------------------------------------------
# ANSI -> SVG

SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m")
ESC_RE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")

BG = "#0d1117"
TITLE_BG = "#161b22"
BORDER = "#30363d"
FG = "#c9d1d9"
PALETTE = [
    "#484f58", "#ff7b72", "#3fb950", "#d29922", "#58a6ff", "#bc8cff", "#39c5cf", "#b1bac4",
    "#6e7681", "#ffa198", "#56d364", "#e3b341", "#79c0ff", "#d2a8ff", "#56d4dd", "#ffffff",
]


def strip_sgr(s: str) -> str:
    return ESC_RE.sub("", s)


def xterm256(n: int) -> str:
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        r, g, b = steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
        return f"#{r:02x}{g:02x}{b:02x}"
    v = 8 + 10 * (n - 232)
    return f"#{v:02x}{v:02x}{v:02x}"


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg: str | None = None
        self.bold = False
        self.dim = False

    def key(self):
        return (self.fg, self.bold, self.dim)

    def apply(self, params: str) -> None:
        codes = [int(p) if p.isdigit() else 0 for p in re.split(r"[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 22:
                self.bold = self.dim = False
            elif 30 <= c <= 37:
                self.fg = PALETTE[c - 30]
            elif 90 <= c <= 97:
                self.fg = PALETTE[c - 90 + 8]
            elif c == 39:
                self.fg = None
            elif c in (38, 48, 58):
                # Extended colour: 5;n or 2;r;g;b. Only the foreground is drawn.
                mode = codes[i + 1] if i + 1 < len(codes) else None
                if mode == 5 and i + 2 < len(codes):
                    if c == 38:
                        self.fg = xterm256(codes[i + 2] % 256)
                    i += 2
                elif mode == 2 and i + 4 < len(codes):
                    if c == 38:
                        r, g, b = (min(v, 255) for v in codes[i + 2 : i + 5])
                        self.fg = f"#{r:02x}{g:02x}{b:02x}"
                    i += 4
                else:
                    i += 1
            i += 1


def cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse_line(line: str, style: Style) -> list[tuple[int, str, tuple]]:
    """Splits one captured line into (column, text, style) runs of non-blanks."""
    runs: list[tuple[int, str, tuple]] = []
    col = 0
    cur: list[str] = []
    start = 0
    cur_key = None

    def flush():
        nonlocal cur
        if cur:
            runs.append((start, "".join(cur), cur_key))
            cur = []

    pos = 0
    while pos < len(line):
        m = ESC_RE.match(line, pos)
        if m:
            sgr = SGR_RE.match(line, pos)
            if sgr and sgr.end() == m.end():
                flush()
                style.apply(sgr.group(1))
            pos = m.end()
            continue
        ch = line[pos]
        pos += 1
        if ch == " ":
            flush()
            col += 1
            continue
        if unicodedata.category(ch).startswith("C"):
            continue
        if not cur or style.key() != cur_key:
            flush()
            start, cur_key = col, style.key()
        cur.append(ch)
        col += cells(ch)
    flush()
    return runs


def render_svg(lines: list[str], title: str) -> str:
    font_size, char_w, line_h = 14, 8.4, 20
    pad_x, pad_top, pad_bottom, bar_h = 16, 14, 16, 32
    style = Style()
    parsed = [parse_line(line, style) for line in lines]
    widest = max((sum(cells(c) for c in strip_sgr(l).rstrip()) for l in lines), default=0)
    width = round(2 * pad_x + max(widest, 40) * char_w)
    height = bar_h + pad_top + len(lines) * line_h + pad_bottom
    plain = "\n".join(strip_sgr(l).rstrip() for l in lines)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(plain)}</desc>",
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" rx="8" ry="8" '
        f'fill="{BG}" stroke="{BORDER}"/>',
        f'<path d="M0.5 {bar_h} V8.5 A8 8 0 0 1 8.5 0.5 H{width - 8.5} '
        f'A8 8 0 0 1 {width - 0.5} 8.5 V{bar_h} Z" fill="{TITLE_BG}" stroke="{BORDER}"/>',
    ]
    for i, colour in enumerate(("#ff5f57", "#febc2e", "#28c840")):
        out.append(f'<circle cx="{20 + 20 * i}" cy="{bar_h / 2}" r="6" fill="{colour}"/>')
    out.append(
        f'<text x="{width / 2}" y="{bar_h / 2 + 4.5}" text-anchor="middle" '
        f'font-family="ui-sans-serif, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" '
        f'font-size="13" fill="#8b949e">bash</text>'
    )
    out.append(
        f'<g font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" '
        f'font-size="{font_size}" fill="{FG}" xml:space="preserve">'
    )
    for row, runs in enumerate(parsed):
        y = bar_h + pad_top + (row + 1) * line_h - 5
        spans = []
        for col, text, (fg, bold, dim) in runs:
            attrs = [f'x="{pad_x + col * char_w:.1f}"']
            n = sum(cells(c) for c in text)
            if n > 1:
                # Keeps the columns aligned even where the monospace font that
                # is found is not 0.6 em wide.
                attrs.append(f'textLength="{n * char_w:.1f}" lengthAdjust="spacing"')
            if fg:
                attrs.append(f'fill="{fg}"')
            if bold:
                attrs.append('font-weight="bold"')
            if dim:
                attrs.append('fill-opacity="0.6"')
            spans.append(f"<tspan {' '.join(attrs)}>{escape(text)}</tspan>")
        out.append(f'<text y="{y}">{"".join(spans)}</text>')
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", type=Path, default=REPO / "target" / "debug",
                    help="directory holding awsid and awsidd (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=HERE / "prompt.svg",
                    help="the SVG to write (default: %(default)s)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    bindir = args.bin.resolve()
    for name in ("awsid", "awsidd"):
        if not os.access(bindir / name, os.X_OK):
            raise Failure(f"{bindir / name} is missing: build with `cargo build` or pass --bin DIR")
    for tool in ("tmux", "bash"):
        if not shutil.which(tool):
            raise Failure(f"{tool} is not on PATH")
    moto = find_moto()

    # A short path: it holds the tmux and awsid sockets.
    tmp = Path(tempfile.mkdtemp(prefix="awsid-pic-"))
    procs: dict = {}
    env = None
    tmux = None
    try:
        (tmp / "home").mkdir()
        url = start_moto(moto, tmp, procs)
        keys = seed(moto, url, tmp)
        make_sandbox(tmp, keys)
        env = environment(tmp, bindir, url)
        tmux = Tmux(tmp, env)
        lines = drive(tmux, env["HOME"], bindir / "awsid")
    finally:
        if tmux is not None:
            tmux.kill()
        if env is not None:
            stop_daemon(bindir, env, tmp)
        stop_moto(procs)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    svg = render_svg(lines, "awsid in a bash prompt")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg, encoding="utf-8")
    print("\n".join(strip_sgr(l).rstrip() for l in lines))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"prompt_picture: {e}", file=sys.stderr)
        sys.exit(1)
