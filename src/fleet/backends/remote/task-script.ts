/** How the task script ends when the role's CLI did not decide its exit code. */
export const TASK_EXIT = {
  /** No role command was given. */
  usage: 64,
  /** The work could not be pushed to the server: it is lost with the container. */
  pushFailed: 70,
  /** The branch could not be cloned from the server: nothing ran. */
  cloneFailed: 71,
  /** A variable or secret the script needs is missing or malformed: nothing ran. */
  badSetup: 78,
  /** The image has no such CLI on its PATH: nothing ran. */
  noCli: 127,
} as const;

/**
 * The command every engine runs in a remote agent's container (POSIX sh; the image needs sh, git and base64).
 *
 * Environment: FLEET_GIT_URL (http://host:port/git/<agent>), FLEET_GIT_BRANCH (fleet/<agent>), FLEET_WORKDIR_PREFIX
 * (the project's folder in the repository, may be empty), FLEET_GIT_NAME and FLEET_GIT_EMAIL (the commit identity),
 * FLEET_REPO_DIR (where the clone goes; default $HOME/fleet-repo, HOME a fresh folder of mktemp when not writable).
 * Secrets, FLEET_GIT_PASSWORD among them: with FLEET_SECRETS=stdin, lines `NAME=<base64 value>` on stdin ended by an
 * empty line (Docker, Podman); else one file per NAME in the folder FLEET_SECRETS_DIR (Swarm, Kubernetes).
 *
 * It clones the branch, runs the CLI ($1, its arguments after it) in the project's folder with stdin from
 * /dev/null, forwards SIGTERM and SIGINT to it (as PID 1 no init does), then commits what the agent left
 * uncommitted and pushes HEAD to the branch, and exits with the CLI's code (TASK_EXIT for its own failures).
 * The git credential reaches git only through a credential helper reading a variable of the clone and push alone:
 * never in a URL, an argv, a file, or the CLI's environment. The push runs from a repository of the script's own
 * (objects borrowed from the clone) with no user or system config, so nothing the agent configured in its clone
 * or its home (a url.insteadOf, a proxy, a hook) can send the work or the credential elsewhere.
 */
export const TASK_SCRIPT = `set -u
fail() { printf 'fleet-mcp: %s\\n' "$2" >&2; exit "$1"; }
export GIT_TERMINAL_PROMPT=0
password=

secret() {
  case $1 in
    ''|[0-9]*|*[!A-Za-z0-9_]*) fail ${TASK_EXIT.badSetup} "a secret is named \\"$1\\", which is no variable name; fix how the engine hands over secrets" ;;
    FLEET_GIT_PASSWORD) password=$2 ;;
    *) export "$1=$2" ;;
  esac
}
if [ "\${FLEET_SECRETS:-}" = stdin ]; then
  while IFS= read -r line && [ -n "$line" ]; do
    value=$(printf '%s' "\${line#*=}" | base64 -d) || fail ${TASK_EXIT.badSetup} "a secret line on stdin is not NAME=<base64 value>"
    secret "\${line%%=*}" "$value"
  done
elif [ -n "\${FLEET_SECRETS_DIR:-}" ]; then
  for file in "$FLEET_SECRETS_DIR"/*; do
    if [ -f "$file" ]; then secret "\${file##*/}" "$(cat "$file")"; fi
  done
fi
for name in FLEET_GIT_URL FLEET_GIT_BRANCH; do
  eval "value=\\\${$name:-}"
  [ -n "$value" ] || fail ${TASK_EXIT.badSetup} "$name is not set; the fleet sets it for every remote task"
done
[ -n "$password" ] || fail ${TASK_EXIT.badSetup} "FLEET_GIT_PASSWORD is not among the task's secrets (FLEET_SECRETS=stdin or FLEET_SECRETS_DIR)"
[ $# -ge 1 ] || fail ${TASK_EXIT.usage} "no agent command was given after the script"
command -v "$1" >/dev/null 2>&1 || fail ${TASK_EXIT.noCli} "the image has no \\"$1\\" on its PATH: install it in the image, or give the role's command as a full path"

git_() {
  git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c credential.helper= \\
    -c 'credential.helper=!f() { test "$1" = get && printf "username=fleet\\npassword=%s\\n" "$FLEET_GIT_PASSWORD"; }; f' "$@"
}

started=
pid=
pending=
signal_cli() {
  pgrp=
  read -r _ _ _ _ pgrp _ 2>/dev/null < /proc/$$/stat
  # The whole group when the script leads it (as an engine starts it), else only the CLI.
  if [ "$pgrp" = "$$" ]; then kill -s "$1" 0; else kill -s "$1" "$pid"; fi
}
forward() {
  trap '' TERM INT
  # Before the CLI starts nothing ran, and the script stops there. A signal that comes after the CLI started but
  # before its pid is kept is forwarded once it is: else the CLI would run on and its work never be pushed.
  [ -n "$started" ] || exit "$2"
  if [ -n "$pid" ]; then signal_cli "$1"; else pending=$1; fi
}
trap 'forward TERM 143' TERM
trap 'forward INT 130' INT

# A pod run as a uid its image does not know has HOME=/, which that uid cannot write; git and the CLI need a home.
if [ ! -w "\${HOME:-/nonexistent}" ]; then
  HOME=$(mktemp -d) || fail ${TASK_EXIT.badSetup} "HOME is not writable and mktemp could not make one; give the image a writable /tmp"
  export HOME
fi
repo=\${FLEET_REPO_DIR:-$HOME/fleet-repo}
FLEET_GIT_PASSWORD=$password git_ clone --quiet --no-tags --single-branch --branch "$FLEET_GIT_BRANCH" "$FLEET_GIT_URL" "$repo" ||
  fail ${TASK_EXIT.cloneFailed} "could not clone $FLEET_GIT_BRANCH from $FLEET_GIT_URL; the container must reach the server at that address, and its host must be one the server allows (FLEET_MCP_ALLOWED_HOSTS)"
git -C "$repo" config user.name "\${FLEET_GIT_NAME:-fleet-mcp agent}"
git -C "$repo" config user.email "\${FLEET_GIT_EMAIL:-fleet-mcp@localhost}"

workdir=$repo/\${FLEET_WORKDIR_PREFIX:-}
[ -d "$workdir" ] || fail ${TASK_EXIT.badSetup} "the project's folder \\"\${FLEET_WORKDIR_PREFIX:-}\\" is not in $FLEET_GIT_BRANCH; check the project's path in the fleet config"
started=1
(cd "$workdir" && exec "$@" </dev/null) &
pid=$!
[ -z "$pending" ] || signal_cli "$pending"
wait "$pid"; code=$?
# A trapped signal ends the wait early: wait again for the CLI's own exit.
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done

cd "$repo" || fail ${TASK_EXIT.pushFailed} "the agent removed its clone $repo; its work is lost"
if [ -n "$(git_ status --porcelain)" ]; then
  git_ add -A && git_ commit --quiet --no-verify -m "fleet-mcp: work the agent left uncommitted" ||
    printf 'fleet-mcp: could not commit what the agent left uncommitted; pushing its last commit\\n' >&2
fi
head=$(git_ rev-parse --verify HEAD) || fail ${TASK_EXIT.pushFailed} "the agent's clone has no commit at HEAD; nothing was pushed"
own=$(mktemp -d) && git init --quiet --bare "$own/push" && printf '%s\\n' "$repo/.git/objects" > "$own/push/objects/info/alternates" ||
  fail ${TASK_EXIT.pushFailed} "could not make a folder to push from (mktemp); nothing was pushed"
push() {
  HOME=$own XDG_CONFIG_HOME=$own GIT_CONFIG_NOSYSTEM=1 FLEET_GIT_PASSWORD=$password \\
    git_ --git-dir="$own/push" push --quiet "$FLEET_GIT_URL" "+$head:refs/heads/$FLEET_GIT_BRANCH"
}
# A server that restarts meanwhile answers again within a minute or two: the work is worth the wait. Only a server
# out of reach is waited for; a refusal is final.
for pause in 1 2 4 8 15 30 60 0; do
  push 2>"$own/push.err" && exit "$code"
  grep -Eq "Failed to connect|Connection refused|returned error: 50[234]" "$own/push.err" || break
  [ "$pause" = 0 ] || sleep "$pause"
done
cat "$own/push.err" >&2
fail ${TASK_EXIT.pushFailed} "could not push the agent's work to $FLEET_GIT_BRANCH at $FLEET_GIT_URL; it is lost with the container"
`;

/** The container's command: the task script, `fleet-task` as its $0, then the role's argv. */
export function taskCommand(roleArgv: string[]): string[] {
  return ['sh', '-c', TASK_SCRIPT, 'fleet-task', ...roleArgv];
}
