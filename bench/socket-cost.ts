/**
 * Server CPU per request/response round trip on loopback: node:net (what the protocol listeners
 * use) against Bun.listen (Bun's own sockets), with the same Python client. A measurement for
 * issue 12's "measure before building": POP3 RETR costs ~18 µs in process (bench/command-cpu.ts)
 * but ~90 µs of server CPU per message under perf_read.py's clients (bench/read-cpu-split.py).
 *
 *   bun bench/socket-cost.ts [--requests 20000] [--clients 10] [--size 1024]
 *
 * Each server answers every line it reads with `size` bytes in one write, as POP3 RETR does. The
 * client (python3, 10 processes, one socket each, request then wait) is the same for both.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    clients: { type: "string", default: "10" },
    size: { type: "string", default: "1024" },
  },
});
const requests = Number(values.requests);
const clients = Number(values.clients);
const reply = Buffer.alloc(Number(values.size), "x");
reply.write("+OK\r\n");
reply.write("\r\n.\r\n", reply.length - 5);

const CLIENT = `
import socket, sys, multiprocessing as mp, time
port, n, k, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def run(_):
    s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
    for _ in range(n // k):
        s.sendall(b"RETR 1\\r\\n"); got = 0
        while got < size: got += len(f.read1(size - got))
    s.close()
t = time.monotonic(); mp.Pool(k).map(run, range(k)); print(n / (time.monotonic() - t))
`;
writeFileSync("/tmp/socket-cost-client.py", CLIENT);

function cpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(")")[1]!.trim().split(/\s+/);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs the client against `port`; the server's CPU per round trip over the client's run. */
async function drive(port: number): Promise<{ rate: number; cpuUs: number }> {
  const before = cpuSeconds();
  const child = spawn("python3", [
    "/tmp/socket-cost-client.py",
    String(port),
    String(requests),
    String(clients),
    String(reply.length),
  ]);
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  await new Promise((r) => child.on("close", r));
  const cpu = cpuSeconds() - before;
  return { rate: Number(out.trim()), cpuUs: (cpu / requests) * 1e6 };
}

async function nodeNet() {
  const server = createServer((socket: Socket) => {
    socket.on("data", () => socket.write(reply));
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const result = await drive((server.address() as { port: number }).port);
  server.close();
  return result;
}

async function bunListen() {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        socket.write(reply);
      },
    },
  });
  const result = await drive(server.port);
  server.stop(true);
  return result;
}

for (let round = 1; round <= 3; round++) {
  for (const [name, run] of [
    ["node:net", nodeNet],
    ["Bun.listen", bunListen],
  ] as const) {
    const r = await run();
    console.log(
      `round ${round} ${name}: ${r.rate.toFixed(0)} round trips/s, server CPU ${r.cpuUs.toFixed(1)} us per round trip`,
    );
  }
}
