"""A delaying TCP relay: the benchmark's stand-in for a far-away network (the kernel here has no netem).

One listener per target on loopback. Every chunk read from one side is held for half the round-trip time,
then written to the other side, in the order it was read; both directions are delayed alike, so a request
and its answer cost one full round trip. Chunks are timed independently (a stream of chunks is delayed, not
slowed down: no bandwidth limit). A new connection also pays one round trip before the first byte reaches
the target, as TCP's handshake does on a real network.

    python3 bench/relay.py --rtt-ms 100 10.44.0.2:22 10.44.0.3:22

prints one JSON line, {"listeners": [{"target": "10.44.0.2:22", "host": "127.0.0.1", "port": 40123}, ...]},
then relays until its standard input closes (so it never outlives the process that started it). A line
`stats` on standard input answers with one JSON line: chunks relayed and how late they were delivered
since the last `stats` (lateness shows when this busy machine starved the relay of CPU).

`start(rtt_ms, targets)` runs it as a child process from Python (bench/bench.py, bench/test_relay.py).
"""
import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

CHUNK = 65536
# The event loop's timers fire up to about 2 ms late (epoll waits in whole milliseconds): a hold wakes that
# much early, then sleeps the rest precisely, blocking the loop for at most this long.
EARLY = 0.002


class Lateness:
    """How long after its due time each chunk was written, and how many bytes went each way."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.samples = []
        self.bytes = {"to_target": 0, "from_target": 0}
        self.connections = 0
        # Each time the target starts answering after the client last spoke: a round trip for a protocol
        # that waits for each answer (SSH's requests do); the benchmark reports it per host.
        self.exchanges = 0

    def summary(self):
        late = sorted(self.samples)

        def at(share):
            return round(late[min(len(late) - 1, int(share * len(late)))] * 1000, 3) if late else 0.0
        return {"connections": self.connections, "exchanges": self.exchanges, "chunks": len(late), "bytes": dict(self.bytes),
                "late_ms": {"median": at(0.5), "p99": at(0.99), "max": at(1.0)}}


async def delayed_copy(reader, writer_ready, hold, direction, lateness, turn):
    """Copies reader to writer (a future: the target connection may still be opening), each chunk written
    `hold` seconds after it was read, in order. Reading never waits for writing, so one chunk's delay does
    not hold back the next one's. `turn` (shared by both directions of a connection) holds the direction
    that delivered last."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()  # unbounded: the benchmark's traffic is small; holding must not throttle reading

    async def receive():
        try:
            while True:
                data = await reader.read(CHUNK)
                queue.put_nowait((loop.time() + hold, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.put_nowait((loop.time(), None))

    receiving = asyncio.ensure_future(receive())
    try:
        writer = await writer_ready
        # Chunks read while the target connection was being set up are due when it is (the handshake's
        # round trip is modelled, not late).
        ready_at = loop.time()
        while True:
            due, data = await queue.get()
            remaining = due - loop.time()
            if remaining > EARLY:
                await asyncio.sleep(remaining - EARLY)
                remaining = due - loop.time()
            if remaining > 0:
                time.sleep(remaining)
            if data is None:  # this side broke: drop the other one too
                writer.close()
                return
            lateness.samples.append(max(0.0, loop.time() - max(due, ready_at)))
            if not data:  # end of stream: pass the half-close on, as TCP would
                if writer.can_write_eof():
                    writer.write_eof()
                return
            lateness.bytes[direction] += len(data)
            if turn["last"] != direction:
                lateness.exchanges += direction == "from_target"
                turn["last"] = direction
            writer.write(data)
            await writer.drain()
    finally:
        receiving.cancel()


async def serve_one(client_reader, client_writer, target, rtt, lateness):
    try:
        await relay_connection(client_reader, client_writer, target, rtt, lateness)
    except asyncio.CancelledError:  # the relay is shutting down: connections end with it, quietly
        client_writer.close()


async def relay_connection(client_reader, client_writer, target, rtt, lateness):
    lateness.connections += 1
    loop = asyncio.get_running_loop()
    target_writer = loop.create_future()
    turn = {"last": None}
    # Bytes the client sends before the target is connected are read (and timed) now, written once it is.
    upstream = asyncio.ensure_future(delayed_copy(client_reader, target_writer, rtt / 2, "to_target", lateness, turn))
    try:
        # TCP's handshake: the first byte cannot reach the target before one round trip has passed.
        await asyncio.sleep(rtt)
        target_reader, writer = await asyncio.open_connection(*target)
    except OSError as error:
        print(f"relay: cannot reach {target[0]}:{target[1]}: {error}", file=sys.stderr, flush=True)
        upstream.cancel()
        client_writer.close()
        return
    target_writer.set_result(writer)
    client_ready = loop.create_future()
    client_ready.set_result(client_writer)
    downstream = asyncio.ensure_future(delayed_copy(target_reader, client_ready, rtt / 2, "from_target", lateness, turn))
    try:
        await asyncio.gather(upstream, downstream)
    except (ConnectionError, OSError):
        pass
    finally:
        upstream.cancel()
        downstream.cancel()
        client_writer.close()
        writer.close()


def parse_target(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"relay: a target is HOST:PORT, found {text!r}")
    return host, int(port)


async def main_async(rtt_ms, targets, listen):
    rtt = rtt_ms / 1000
    lateness = Lateness()
    listeners = []
    for target in targets:
        server = await asyncio.start_server(
            lambda r, w, t=target: serve_one(r, w, t, rtt, lateness), listen, 0)
        port = server.sockets[0].getsockname()[1]
        listeners.append({"target": f"{target[0]}:{target[1]}", "host": listen, "port": port})
    print(json.dumps({"rtt_ms": rtt_ms, "listeners": listeners}), flush=True)
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    while True:
        line = await commands.readline()
        if not line:
            return
        if line.strip() == b"stats":
            print(json.dumps(lateness.summary()), flush=True)
            lateness.reset()


class Relay:
    """The relay as a child process: `listeners` maps each target "host:port" to the (host, port) that
    reaches it through the delay."""

    def __init__(self, rtt_ms, targets, listen="127.0.0.1"):
        self.rtt_ms = rtt_ms
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--rtt-ms", str(rtt_ms), "--listen", listen] + list(targets),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.process.stdin.close()
            self.process.stdout.close()
            raise RuntimeError(f"relay: did not start (exit {self.process.returncode})")
        self.listeners = {entry["target"]: (entry["host"], entry["port"]) for entry in json.loads(line)["listeners"]}

    def stats(self):
        """Chunks relayed since the last call, and how late they were delivered."""
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def start(rtt_ms, targets, listen="127.0.0.1"):
    return Relay(rtt_ms, targets, listen)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", type=float, required=True, help="round-trip time to add, in milliseconds")
    parser.add_argument("--listen", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("targets", nargs="+", help="HOST:PORT, one listener each")
    args = parser.parse_args()
    if args.rtt_ms < 0:
        raise SystemExit(f"relay: --rtt-ms must be 0 or more, found {args.rtt_ms}")
    # A real network does not wait for the controller's CPU: on this shared machine the relay goes before
    # the tools it delays (a low real-time priority; the kernel keeps 5% of every second for the rest), so
    # its holds stay close to the configured time (`stats` shows how close). Without root: as it can.
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (PermissionError, OSError):
        try:
            os.nice(-10)
        except PermissionError:
            pass
    asyncio.run(main_async(args.rtt_ms, [parse_target(t) for t in args.targets], args.listen))


if __name__ == "__main__":
    main()
