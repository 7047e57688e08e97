import { NET_BLOCK_FD, NET_INFO_FD } from '../../backends/local/sandbox/user-net.js';

/**
 * The task supervisor as a POSIX sh script (dash holds about 1 MiB, Node about 32). Its arguments:
 *   exit stdout stderr tools env n_inputs input… net_ready net_command stdin_fifo stdin_first -- argv…
 * `tools` is the PATH its own helpers (date, sync, mv, mkfifo, sleep, cat) are found on: the system's folders first, never
 * the agent's PATH, which may name a folder the agent writes. `env` is coreutils env, through which the CLI starts:
 * sh makes its background children ignore SIGINT and SIGQUIT for good, and `--default-signal` gives them back, as a
 * cancel starts with SIGINT. `net_command` is pasta's argv, quoted for sh, or empty for no network (see user-net.ts).
 * The exit status is read from sh's job table, which alone tells an exit with 130 from a death by SIGINT. dash names
 * no descriptor above 9: those the server inherited it closes as it starts (commands/inherited-fds.ts), and this
 * script closes 3 to 9. `stdin_fifo`, when not empty, is made as the CLI's stdin (see "The CLI's stdin" below), and
 * `stdin_first` is the file of its first line.
 */
export const SUPERVISOR_SH = `# Word splitting as sh starts with it, whatever IFS the role's environment sets.
IFS=' \t\n'
exit_file=$1 out=$2 err=$3 tools=$4 env_cmd=$5 n_inputs=$6
shift 6
exec 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&-
# A cancel signals the whole group, this process too: it stays to record how the CLI ended. A handler, not '',
# which children would inherit. USR1 lets go of the CLI's stdin where there is one (below); elsewhere it must not
# end the supervisor before it records the CLI's end.
trap : INT TERM HUP USR1

tool() {
  PATH=$tools "$@"
}

json_string() {
  rest=$1 text=
  while [ -n "$rest" ]; do
    char=\${rest%"\${rest#?}"}
    rest=\${rest#?}
    case $char in
    [\\\\\\"]) text=$text\\\\$char ;;
    [[:cntrl:]]) ;;
    *) text=$text$char ;;
    esac
  done
  printf '"%s"' "$text"
}

record() {
  umask 077
  printf '{"exit_code":%s,"signal":%s,"spawn_error":%s,"ended_at":"%s"}' "$1" "$2" "$3" \\
    "$(tool date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" >"$exit_file.tmp"
  tool sync "$exit_file.tmp"
  tool mv -f "$exit_file.tmp" "$exit_file"
  exit 0
}

# Whether the process is gone or a zombie: sh has reaped it, or may now.
gone() {
  stat_line=
  read -r stat_line 2>/dev/null <"/proc/$1/stat" || return 0
  state=\${stat_line##*) }
  [ "\${state%% *}" = Z ]
}

# Waits for job number $1 (pid $2) to end, through any trapped signal, and sets code and sig as JSON values. The
# job line is matched from its start, so no text after the state can pass for it.
ended() {
  while :; do
    wait "$2"
    status=$?
    # Above 128 it may be a trapped signal that cut the wait short: then the process is still there.
    [ "$status" -le 128 ] || [ ! -e "/proc/$2" ] && break
  done
  jobs "%$1" >"$exit_file.job"
  job_line=
  read -r job_line <"$exit_file.job"
  tool rm -f "$exit_file.job"
  case $job_line in
  "[$1] "?" Done("*)
    code=\${job_line#"[$1] "?" Done("}
    code=\${code%%)*}
    sig=null
    ;;
  "[$1] "?" Done" | "[$1] "?" Done "*) code=0; sig=null ;;
  *) code=null; sig="\\"SIG$(kill -l $((status - 128)))\\"" ;;
  esac
}

fd=3
while [ "$n_inputs" -gt 0 ]; do
  [ -r "$1" ] || record null null "$(json_string "cannot read $1")"
  eval "exec $fd<\\"\\$1\\""
  fd=$((fd + 1)) n_inputs=$((n_inputs - 1))
  shift
done
ready=$1 net=$2 fifo=$3 first=$4
shift 5

umask_before=$(umask)
umask 077
exec </dev/null >>"$out" 2>>"$err"
umask "$umask_before"

case $1 in
*/*) [ -f "$1" ] && [ -x "$1" ] ;;
*) command -v "$1" >/dev/null ;;
esac || record null null "$(json_string "spawn $1 ENOENT")"

# The CLI's stdin, where it reads its task and the answers to its questions: a FIFO this script holds open for
# writing too (fd 9, which the CLI does not get), so no end of the server (a restart, a kill -9) is an end of input
# to the CLI. A USR1 from the server, once the CLI has reported its result, lets go of it: the CLI exits at the end
# of its input.
stdin=/dev/null
if [ -n "$fifo" ]; then
  tool rm -f "$fifo"
  tool mkfifo -m 600 "$fifo" || record null null "$(json_string "cannot make the FIFO $fifo")"
  exec 9<>"$fifo"
  stdin=$fifo
  trap 'exec 9>&-' USR1
fi

# The first line, written by a process of its own (not a job of this script's, whose numbers ended reads), as the
# CLI reads it: a task longer than the FIFO holds would block a write here.
feed() {
  [ -n "$first" ] || return 0
  (tool cat "$first" >&9 &)
}

if [ -z "$net" ]; then
  "$env_cmd" --default-signal "$@" <"$stdin" 9>&- &
  cli=$!
  feed
  ended 1 $cli
  record "$code" "$sig" null
fi

# A sandbox with network: bwrap writes its sandbox's pid to fd ${NET_INFO_FD} and waits on fd ${NET_BLOCK_FD} before it
# starts the CLI. pasta is attached to that pid's network namespace (and its user namespace, where bwrap made one)
# and writes $ready once the network is up; only then does bwrap go on. Should pasta fail, bwrap is killed first.
[ "$fd" -eq ${NET_INFO_FD} ] || record null null '"the sandbox expects its seccomp filter, and nothing else, before its network descriptors"'
info=$ready.info block=$ready.block
tool rm -f "$info" "$block" "$ready"
tool mkfifo -m 600 "$info" "$block"
exec 8<>"$block"
"$env_cmd" --default-signal "$@" ${NET_INFO_FD}>"$info" ${NET_BLOCK_FD}<&8 8<&- <"$stdin" 9>&- &
sandbox=$!
feed
exec 3<&-
info_text=
while IFS= read -r line; do info_text=$info_text$line; done <"$info"
tool rm -f "$info" "$block"
pid=\${info_text#*'"child-pid":'}
pid=\${pid#"\${pid%%[0-9]*}"}
pid=\${pid%%[!0-9]*}
failure=null
if [ -n "$pid" ]; then
  umask 077
  : >"$ready"
  if [ /proc/$$/ns/user -ef "/proc/$pid/ns/user" ]; then namespaces='--netns /proc/self/fd/3'
  else namespaces='--userns /proc/self/fd/4 --netns /proc/self/fd/3'; fi
  eval "$net"' --pid "$ready" $namespaces 3<"/proc/$pid/ns/net" 4<"/proc/$pid/ns/user" 8>&- 9>&- >&2 &'
  pasta=$!
  until [ -s "$ready" ] || gone "$sandbox"; do
    if gone "$pasta"; then
      ended 2 "$pasta"
      if [ "$code" = null ]; then how=\${sig#'"'}; how=\${how%'"'}; else how="exit code $code"; fi
      failure=$(json_string "pasta could not set up the sandbox's network (it ended with $how, see its stderr)")
      kill -KILL "$pid" "$sandbox" 2>/dev/null
      break
    fi
    tool sleep 0.05
  done
  [ "$failure" = null ] && printf 1 >&8
fi
exec 8>&-
ended 1 "$sandbox"
[ -n "\${pasta:-}" ] && kill -KILL "$pasta" 2>/dev/null
record "$code" "$sig" "$failure"
`;
