# Sourced by scripts/run and scripts/test: `project_venv [EXTRA ...]` makes a virtual environment with the
# dependencies declared in pyproject.toml ([project] dependencies plus the named optional extras) and sets
# VENV_PYTHON to its interpreter. Works with Debian's/Ubuntu's own python3 (PEP 668 "externally managed": we
# never install into it, and never use --break-system-packages).
#
# Where: .venv in the clone (ignored by git); LSTM_EXPLORER_VENV=<dir> chooses another place (e.g. one shared by
# several clones). Each set of requirements installed is stamped, so a changed pin installs again.
# The project itself is not installed into it: the scripts run the clone's files (`pip install .` is for users
# who want the `lstm-explorer` command; see README).

die() { echo "ERROR: $*" >&2; exit 2; }

# Requirement lines of pyproject.toml: `declared_dependencies` (runtime) or `declared_dependencies dev ...`.
declared_dependencies() {
    "$SYSTEM_PYTHON" - "$@" <<'PY'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
lines = list(project["dependencies"])
for extra in sys.argv[1:]:
    lines += project["optional-dependencies"][extra]
print("\n".join(lines))
PY
}

# python3-venv (ensurepip) is a separate package on Debian and Ubuntu.
ensure_venv_module() {
    if "$SYSTEM_PYTHON" -c "import ensurepip, venv" 2>/dev/null; then
        return
    fi
    local version package
    version=$("$SYSTEM_PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    package="python${version}-venv"
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "python3's venv module (ensurepip) is missing; installing python3-venv with apt-get ..."
        apt-get update -qq
        apt-get install -y python3-venv || apt-get install -y "$package"
        "$SYSTEM_PYTHON" -c "import ensurepip, venv" 2>/dev/null || apt-get install -y "$package"
        "$SYSTEM_PYTHON" -c "import ensurepip, venv" || die "python3 still cannot create a virtual environment."
    else
        die "python3 cannot create a virtual environment (its venv/ensurepip module is missing).
Install it, then run again:  sudo apt-get install -y $package   (Debian/Ubuntu; or python3-venv)"
    fi
}

project_venv() {
    SYSTEM_PYTHON="${PYTHON:-python3}"
    command -v "$SYSTEM_PYTHON" >/dev/null || die "no python3 on PATH: install Python 3.11 or newer (sudo apt-get install -y python3)."
    "$SYSTEM_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "LSTM Explorer needs Python 3.11 or newer; $SYSTEM_PYTHON is $("$SYSTEM_PYTHON" -V 2>&1)."

    local wanted stamp lock
    # .venv in the clone: where editors, tools and people look for it, and emptying ~/.cache cannot take it away
    VENV="${LSTM_EXPLORER_VENV:-$PWD/.venv}"
    mkdir -p "$(dirname "$VENV")"
    # One installer at a time per environment (two clones starting together, the install test inside the suite).
    lock="$VENV.lock"
    if command -v flock >/dev/null; then
        exec 9>"$lock"
        flock 9
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        ensure_venv_module
        echo "Creating the virtual environment $VENV ..."
        rm -rf "$VENV"
        "$SYSTEM_PYTHON" -m venv "$VENV" || { rm -rf "$VENV"; die "could not create $VENV."; }
    fi
    wanted=$(declared_dependencies "$@")
    stamp="$VENV/.installed-$(printf '%s' "$wanted" | sha256sum | cut -c1-12)"
    if [ ! -f "$stamp" ]; then
        echo "Installing into $VENV:" $wanted
        printf '%s\n' "$wanted" > "$VENV/.requirements.txt"
        "$VENV/bin/python" -m pip install --disable-pip-version-check -r "$VENV/.requirements.txt"
        touch "$stamp"
    fi
    if command -v flock >/dev/null; then
        exec 9>&-
    fi
    VENV_PYTHON="$VENV/bin/python"
}
