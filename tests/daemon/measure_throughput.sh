#!/bin/bash
# Pipelined throughput of `ktagd --bind` next to the ZeroMQ echo worker,
# driven by the same client (bench/engine/zmq_driver, DEALER, window 64) in
# the same run.  Rounds are interleaved (echo, ktagd -t 1, ktagd -t 2, …) so
# that load from other processes hits every server alike; the medians are
# printed.  "-b64" servers are driven with batches of 64 documents a request
# (docs/PROTOCOL.md "Batches"); their figure is documents/s too, compared
# with the echo worker's documents (= requests) per second.  Not a test:
# timings are never asserted.
# SERVERS="echo ktagd-t2 ..." picks the servers (default: all below);
# "base-t1", "base-t2" run $BASELINE/daemon/ktagd (another build, e.g. of
# the commit before a change) in the same rounds.
# Beside documents/s it prints the CPU each side spent per document (the
# server's user+system time from /proc, the client's from bash's `time`):
# on two shared CPUs the ratio follows what the whole system spends per
# request more than any one thread's speed.
#
# usage: tests/daemon/measure_throughput.sh BUILDDIR DOCS.txt [ROUNDS] [REQUESTS]
#   DOCS.txt: one document per line (bench/prepare.py writes
#   bench/out/data/headlines.txt from ../shared/data).
# DRIVER_ARGS=--no-sentiment asks for requests with sentiment off.
set -eu
B=${1:?builddir}; D=${2:?documents file}; N=${3:-5}; REQ=${4:-200000}
LEX=${KTAG_LEXICONS:-$(dirname "$0")/../../lexicons}
for exe in "$B/bench/engine/zmq_driver" "$B/bench/engine/echo_worker" "$B/daemon/ktagd"; do
    [ -x "$exe" ] || { echo "missing $exe (build it first)" >&2; exit 3; }
done
[ -r "$D" ] || { echo "no documents file $D" >&2; exit 3; }
servers=${SERVERS:-echo ktagd-t1 ktagd-t2 ktagd-t1-b64 ktagd-t2-b64}
port=$((20000 + RANDOM % 20000))
out=$(mktemp); trap 'rm -f "$out" "$out.time"' EXIT
declare -A results srv_cpu cli_cpu
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TIMEFORMAT='%U %S'
for r in $(seq "$N"); do
    for srv in $servers; do
        batch=0
        case $srv in *-b*) batch=${srv##*-b} ;; esac
        # A server that cannot bind its port (taken meanwhile by another
        # program) exits at once: try the next port.
        for attempt in 1 2 3 4 5; do
            port=$((port + 1)); ep=tcp://127.0.0.1:$port
            if [ "$srv" = echo ]; then
                "$B/bench/engine/echo_worker" -b "$ep" 2>/dev/null &
            else
                threads=${srv#*-t}
                bin=$B/daemon/ktagd
                case $srv in base-*) bin=${BASELINE:?BASELINE names the other build}/daemon/ktagd ;; esac
                "$bin" --bind "$ep" -L "$LEX" --threads "${threads%%-*}" 2>/dev/null &
            fi
            pid=$!
            sleep 1
            kill -0 "$pid" 2>/dev/null && break
            wait "$pid" || true
            [ "$attempt" = 5 ] && { echo "$srv did not start on 5 ports" >&2; exit 1; }
        done
        t0=$(cpu_ticks "$pid")
        { time "$B/bench/engine/zmq_driver" -e "$ep" -m dealer -w 64 -b "$batch" -n "$REQ" \
                ${DRIVER_ARGS:-} "$D" >"$out" ; } 2>"$out.time"
        t1=$(cpu_ticks "$pid")
        v=$(grep -o '"docs_per_s":[0-9.]*' "$out" | cut -d: -f2)
        sc=$(echo "($t1 - $t0) / $hz * 1000000 / $REQ" | bc -l)
        cc=$(awk -v n="$REQ" '{print ($1 + $2) * 1000000 / n}' "$out.time")
        srv_cpu[$srv]="${srv_cpu[$srv]:-} $sc"; cli_cpu[$srv]="${cli_cpu[$srv]:-} $cc"
        kill "$pid"     # and SIGKILL if it has not stopped within 5 s
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true; wait "$pid" || true
        results[$srv]="${results[$srv]:-} $v"
        printf 'round %s %-13s %10.0f docs/s  CPU us/doc server %5.2f client %5.2f  (load %s)\n' \
            "$r" "$srv" "${v:-0}" "$sc" "$cc" "$(cut -d' ' -f1 /proc/loadavg)"
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo_med=$(echo "${results[echo]}" | median)
for srv in $servers; do
    m=$(echo "${results[$srv]}" | median)
    printf '%-13s median %10.0f docs/s  ratio to echo %.2f  CPU us/doc server %5.2f client %5.2f  (runs:%s)\n' \
        "$srv" "$m" "$(echo "$m / $echo_med" | bc -l)" "$(echo "${srv_cpu[$srv]}" | median)" \
        "$(echo "${cli_cpu[$srv]}" | median)" "${results[$srv]}"
done
echo "machine: $(nproc) CPUs, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
