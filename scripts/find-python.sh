#!/bin/sh
# Print the path of a Python interpreter >= 3.12 (needed by Mesa 3.5) and exit 0,
# or explain on stderr what to install and exit 1.
#
# Search order:
#   1. $PYTHON, if set (no fallback: if it is unusable, say so and fail);
#   2. python3.13, python3.12, python3, python on PATH;
#   3. $(pyenv root)/versions/*/bin/python3 (~/.pyenv/versions without pyenv), newest first.
# Every candidate is actually run: pyenv shims exist on PATH for versions that
# are not selected and fail when executed, so finding a name is not enough.
set -u

MIN="3.12"
HINT="lithium-abm needs Python >= $MIN; install it (python.org, your package manager, or \`pyenv install $MIN\`) or set PYTHON=/path/to/python$MIN"

ok() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1
}

# Print an absolute path for a command name or path.
resolve() {
    case "$1" in
        */*) printf '%s\n' "$1" ;;
        *) command -v "$1" ;;
    esac
}

if [ -n "${PYTHON:-}" ]; then
    if ok "$PYTHON"; then
        resolve "$PYTHON"
        exit 0
    fi
    ver=$("$PYTHON" --version 2>&1 | head -n 1)
    case "$ver" in
        Python\ *) why="it is $ver, older than $MIN" ;;
        *) why="it does not run as a Python interpreter" ;;
    esac
    echo "find-python: PYTHON=$PYTHON is not usable: $why." >&2
    echo "$HINT" >&2
    exit 1
fi

for name in python3.13 python3.12 python3 python; do
    c=$(command -v "$name" 2>/dev/null) || continue
    if ok "$c"; then
        printf '%s\n' "$c"
        exit 0
    fi
done

if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root 2>/dev/null) || root=""
else
    root=""
fi
[ -n "$root" ] || root="${PYENV_ROOT:-$HOME/.pyenv}"

if [ -d "$root/versions" ]; then
    # Newest first: numeric sort on the dotted version directory names.
    for v in $(ls "$root/versions" 2>/dev/null | sort -t. -k1,1nr -k2,2nr -k3,3nr); do
        c="$root/versions/$v/bin/python3"
        [ -x "$c" ] || continue
        if ok "$c"; then
            printf '%s\n' "$c"
            exit 0
        fi
    done
fi

echo "find-python: no Python >= $MIN found (tried \$PYTHON, python3.13, python3.12, python3, python on PATH, and $root/versions/*)." >&2
echo "$HINT" >&2
exit 1
