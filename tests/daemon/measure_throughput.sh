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
declare -A results
for r in $(seq "$N"); do
    for srv in $servers; do
        port=$((port + 1)); ep=tcp://127.0.0.1:$port
        batch=0
        case $srv in *-b*) batch=${srv##*-b} ;; esac
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
        v=$("$B/bench/engine/zmq_driver" -e "$ep" -m dealer -w 64 -b "$batch" -n "$REQ" \
                ${DRIVER_ARGS:-} "$D" \
            | grep -o '"docs_per_s":[0-9.]*' | cut -d: -f2)
        kill "$pid"     # and SIGKILL if it has not stopped within 5 s
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true; wait "$pid" || true
        results[$srv]="${results[$srv]:-} $v"
        echo "round $r $srv ${v} docs/s (load $(cut -d' ' -f1 /proc/loadavg))"
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo_med=$(echo "${results[echo]}" | median)
for srv in $servers; do
    m=$(echo "${results[$srv]}" | median)
    printf '%-13s median %10.0f docs/s  ratio to echo %.2f  (runs:%s)\n' "$srv" "$m" \
        "$(echo "$m / $echo_med" | bc -l)" "${results[$srv]}"
done
echo "machine: $(nproc) CPUs, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
