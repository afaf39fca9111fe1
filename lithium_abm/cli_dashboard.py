"""``lithium-abm dashboard``: serve the classroom dashboard (a Solara page on a Mesa model).

The app lives in ``lithium_abm.experiments.dashboard``; this command checks the scenario, host
and port first (so a typo gets one line, not a server traceback), then runs ``solara run`` in a
child process, through ``lithium_abm.dashboard_server`` (reacton's fast renderer, no websocket
compression: half the CPU per step under a class). The server makes no outside connections:
Solara's version check and telemetry are switched off and the front-end files come from the
installed ``solara-assets``.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from lithium_abm.cli import CliError

APP_MODULE = "lithium_abm.experiments.dashboard"
SCENARIO_ENV = "LITHIUM_ABM_DASHBOARD_SCENARIO"  # tells the app its start scenario
CODE_ENV = "LITHIUM_ABM_DASHBOARD_CODE"  # access code a session must type (empty: none)
MAX_SESSIONS_ENV = "LITHIUM_ABM_DASHBOARD_MAX_SESSIONS"
DEFAULT_MAX_SESSIONS = 40
# A closed browser tab's market is freed this long after its connection drops (Solara's
# default keeps it for 24 hours).
CULL_TIMEOUT = "20s"
CODE_WORDS = ("brine", "spodumene", "lepidolite", "salar", "pegmatite", "carbonate", "hydroxide")
DEFAULT_PORT = 8765

DASHBOARD_HELP = """\
Start the interactive classroom dashboard in your web browser: step a small lithium market
month by month, move the levers (demand growth, subsidies, integrated ownership, environmental
enforcement, tariffs, seed) and watch prices, production, loss-making mines and the cost curve.

Every browser tab gets its own market, so a class can share one server. The page needs no
internet connection. It listens on 127.0.0.1 (this computer only) unless you give --host;
--host 0.0.0.0 lets other computers on your network connect; then the page asks for an access
code (--code WORD, or a generated one), printed for the lecturer to write on the board.
A closed tab's market is freed after 20 s; at most --max-sessions markets run at once.
Stop it with Ctrl-C."""

DASHBOARD_EPILOG = """\
examples:
  lithium-abm dashboard                          classroom scenario, http://127.0.0.1:8765
  lithium-abm dashboard --scenario baseline --port 8800
  lithium-abm dashboard --host 0.0.0.0 --code salar --no-open   for a classroom network"""


def register(sub: argparse._SubParsersAction, formatter: type[argparse.HelpFormatter]) -> None:
    """Add the ``dashboard`` sub-command to the ``lithium-abm`` parser."""
    parser = sub.add_parser(
        "dashboard",
        help="start the interactive classroom dashboard in the browser",
        description=DASHBOARD_HELP,
        epilog=DASHBOARD_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument(
        "--scenario",
        default="classroom",
        metavar="NAME|FILE",
        help="scenario the dashboard starts with (default: classroom; the page also offers "
        "every shipped scenario)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only)",
    )
    parser.add_argument(
        "--port", default=str(DEFAULT_PORT), metavar="N", help=f"port (default: {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--code",
        default=None,
        metavar="WORD",
        help="access code every browser must type first (default: none on 127.0.0.1, a "
        "generated word on any other address)",
    )
    parser.add_argument(
        "--max-sessions",
        default=str(DEFAULT_MAX_SESSIONS),
        metavar="N",
        help=f"most browser sessions served at once (default: {DEFAULT_MAX_SESSIONS})",
    )
    parser.add_argument(
        "--no-open", action="store_true", help="do not open a browser window, just serve"
    )
    parser.set_defaults(func=cmd_dashboard)


def _port(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise CliError(f"--port: expected a whole number 1-65535, got {text!r}")
    return int(value)


def _check_free(host: str, port: int) -> None:
    """Fail early, in one line, if the address cannot be served (busy port, unknown host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise CliError(f"--host: cannot resolve {host!r}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"--port: port {port} on {host} is in use; choose another with --port"
                ) from None
            raise CliError(f"--host/--port: cannot listen on {host}:{port}: {exc}") from None


def _scenario_arg(scenario: str) -> str:
    """Validate the scenario now; a file path is made absolute for the server process."""
    from lithium_abm.experiments.scenario import load_scenario

    load_scenario(scenario)  # ScenarioError -> one line, exit 2
    path = Path(scenario)
    return str(path.resolve()) if path.suffix == ".toml" or path.exists() else scenario


def server_command(host: str, port: int, open_browser: bool) -> list[str]:
    """The ``solara run`` command line for the dashboard (also used by the tests), through
    ``lithium_abm.dashboard_server`` (fast renderer, no websocket compression)."""
    return [
        sys.executable,
        "-m",
        "lithium_abm.dashboard_server",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
        "--no-check-version",
    ]


def server_env(
    scenario: str, code: str = "", max_sessions: int = DEFAULT_MAX_SESSIONS
) -> dict[str, str]:
    """Environment for the server: the start scenario, the access code, the session limits,
    and no calls home (offline classrooms)."""
    env = dict(os.environ)
    env[SCENARIO_ENV] = scenario
    env[CODE_ENV] = code
    env[MAX_SESSIONS_ENV] = str(max_sessions)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)  # the tests shorten it
    # glibc gives each thread (Solara runs one per session) an arena that keeps freed memory;
    # two arenas are enough for a server that is one process bound by the GIL.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    # Python objects from glibc's malloc, not pymalloc's arenas: a closed session's objects lie
    # scattered among those of the sessions still open, and a pymalloc arena is returned only
    # when wholly empty, while malloc_trim returns every free page (measured: 10 sessions
    # closed, +13% of idle memory kept with pymalloc, +9% with malloc; CPU per step the same).
    env.setdefault("PYTHONMALLOC", "malloc")
    return env


def _code(text: str | None, public: bool) -> str:
    """The access code: as given, a generated word when listening beyond this computer."""
    if text is None:
        if not public:
            return ""
        import secrets

        return f"{secrets.choice(CODE_WORDS)}{secrets.randbelow(90) + 10}"
    code = text.strip()
    if not code or not code.isprintable() or " " in code:
        raise CliError(f"--code: expected one word without spaces, got {text!r}")
    return code


def _max_sessions(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= 500:
        raise CliError(f"--max-sessions: expected a whole number 1-500, got {text!r}")
    return int(value)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_dashboard(args: argparse.Namespace) -> int:
    port = _port(args.port)
    host = args.host.strip()
    if not host:
        raise CliError("--host: expected an address such as 127.0.0.1 or 0.0.0.0")
    scenario = _scenario_arg(args.scenario)
    limit = _max_sessions(args.max_sessions)
    public = host not in ("127.0.0.1", "localhost", "::1")
    code = _code(args.code, public)
    _check_free(host, port)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}"
    print(f"Dashboard ({args.scenario}) at {url}   (Ctrl-C stops it)", flush=True)
    if public:
        print(
            f"WARNING: listening on {host}: anyone on this network can reach the dashboard; "
            f"others use http://<this computer's address>:{port}",
            flush=True,
        )
    if code:
        print(f"Access code (write it on the board): {code}", flush=True)
    from lithium_abm.experiments.parent_death import preexec

    # The server dies with this command, even when it is SIGKILLed (no orphan keeps serving).
    env = server_env(scenario, code, limit)
    proc = subprocess.Popen(
        server_command(host, port, not args.no_open), env=env, preexec_fn=preexec
    )
    # A service manager stops us with SIGTERM: take the server down with us, as on Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("Dashboard stopped.", file=sys.stderr)
        return 0
