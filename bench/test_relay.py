"""The delaying relay (bench/relay.py) really delays, and passes bytes intact both ways.

`python3 bench/test_relay.py` (a few seconds; scripts/test runs it with the tiny benchmark). The delays
are checked as measured lower bounds only: a loaded machine may deliver late, never early.
"""
import asyncio
import hashlib
import os
import pathlib
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import relay  # noqa: E402

RTT_MS = 200
RTT = RTT_MS / 1000


class Target:
    """A loopback server behind the relay. Each connection: `ping` lines are answered with `pong` and the
    time the ping arrived; `bulk N` reads N bytes, then answers with their sha256 and a random payload of
    its own, then half-closes."""

    def __init__(self):
        self.sent_payloads = []

    async def handle(self, reader, writer):
        while True:
            line = await reader.readline()
            if not line:
                break
            words = line.split()
            if words[0] == b"ping":
                writer.write(b"pong %r\n" % time.monotonic())
            elif words[0] == b"bulk":
                received = await reader.readexactly(int(words[1]))
                payload = os.urandom(3 * 1024 * 1024 + 17)
                self.sent_payloads.append(payload)
                writer.write(hashlib.sha256(received).hexdigest().encode() + b"\n" + payload)
                writer.write_eof()
            await writer.drain()
        writer.close()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.address = "127.0.0.1:%d" % self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()


class RelayTest(unittest.IsolatedAsyncioTestCase):
    async def test_every_round_trip_costs_at_least_the_configured_time_and_each_way_half_of_it(self):
        async with Target() as target:
            with await asyncio.to_thread(relay.start, RTT_MS, [target.address]) as running:
                host, port = running.listeners[target.address]
                connecting = time.monotonic()
                reader, writer = await asyncio.open_connection(host, port)
                for attempt in range(4):
                    sent = time.monotonic()
                    writer.write(b"ping\n")
                    await writer.drain()
                    answer = await reader.readline()
                    answered = time.monotonic()
                    arrived = float(answer.split()[1])
                    # The same clock on both ends (one process): each direction is held half the round trip.
                    self.assertGreaterEqual(arrived - sent, RTT / 2, f"ping {attempt} reached the target too early")
                    self.assertGreaterEqual(answered - arrived, RTT / 2, f"pong {attempt} came back too early")
                    self.assertGreaterEqual(answered - sent, RTT, f"round trip {attempt} shorter than {RTT_MS} ms")
                    if attempt == 0:
                        # A new connection also pays the handshake's round trip before its first byte arrives.
                        self.assertGreaterEqual(answered - connecting, 1.5 * RTT)
                stats = await asyncio.to_thread(running.stats)
                self.assertEqual(stats["exchanges"], 4, "each ping and its pong is one exchange")
                writer.close()

    async def test_bytes_pass_intact_and_in_order_both_ways(self):
        async with Target() as target:
            with await asyncio.to_thread(relay.start, RTT_MS, [target.address]) as running:
                host, port = running.listeners[target.address]
                reader, writer = await asyncio.open_connection(host, port)
                upload = os.urandom(5 * 1024 * 1024 + 3)
                writer.write(b"bulk %d\n" % len(upload))
                for start in range(0, len(upload), 100_000):  # many writes: many chunks in flight at once
                    writer.write(upload[start:start + 100_000])
                await writer.drain()
                digest = await reader.readline()
                download = await reader.read()  # to the target's half-close
                self.assertEqual(digest.strip().decode(), hashlib.sha256(upload).hexdigest())
                self.assertEqual(len(download), len(target.sent_payloads[0]))
                self.assertTrue(download == target.sent_payloads[0], "the payload from the target changed on the way")
                writer.close()
                stats = await asyncio.to_thread(running.stats)
                self.assertEqual(stats["connections"], 1)
                self.assertEqual(stats["bytes"]["to_target"], len(b"bulk %d\n" % len(upload)) + len(upload))
                self.assertEqual(stats["bytes"]["from_target"], len(digest) + len(download))

    async def test_without_delay_it_still_relays(self):
        async with Target() as target:
            with await asyncio.to_thread(relay.start, 0, [target.address]) as running:
                reader, writer = await asyncio.open_connection(*running.listeners[target.address])
                writer.write(b"ping\n")
                await writer.drain()
                self.assertTrue((await reader.readline()).startswith(b"pong "))
                writer.close()

    def test_a_bad_target_is_refused_with_what_was_expected(self):
        with self.assertRaises(RuntimeError):
            relay.start(10, ["no-port-here"])


if __name__ == "__main__":
    unittest.main()
