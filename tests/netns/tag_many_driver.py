"""Run by tests/netns/test_netns.py inside the client's network namespace:
tag every line of INPUT through ENDPOINT with the Python client's tag_many,
write the results as JSON lines to OUTPUT (ids are line numbers from 1),
and report how far the input has been read ("read N", every 1,000) on
stdout.  At each position of GATES (comma-separated) it says "gate N" and
waits for a line on stdin: the test makes a fault there, mid-stream."""
import json
import sys

from ktag import Client


def main():
    endpoint, path, out_path, timeout, retries, gates = sys.argv[1:7]
    gates = {int(g) for g in gates.split(",") if g}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()

    def items():
        for i, line in enumerate(lines):
            if i % 1000 == 0:
                print("read", i, flush=True)
            if i in gates:
                print("gate", i, flush=True)
                sys.stdin.readline()
            yield {"id": i + 1, "text": line}

    with Client(endpoint, timeout=float(timeout), retries=int(retries)) as c, \
            open(out_path, "w", encoding="utf-8") as out:
        for r in c.tag_many(items(), window=64, errors="return"):
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
        print("retried", c.retried, flush=True)


if __name__ == "__main__":
    main()
