/**
 * A DNS "server" that misbehaves on purpose, for the failure tests a real server will not stage:
 * a real UDP (and TCP) socket on loopback whose answers a test writes — silence, garbage, a wrong
 * ID, an answer to another question. Knot (dns-server.ts) serves every well-behaved case.
 */
import { createSocket } from "node:dgram";
import { createServer, type Socket } from "node:net";
import { type DecodedPacket, decode } from "dns-packet";
import type { DnsServer } from "../../src/dns/mod.ts";

/** What to send back for a query: bytes, several datagrams, or nothing (swallow it). */
export type Script = (
  query: DecodedPacket,
  raw: Buffer,
  from: { address: string; port: number },
) => Buffer | Buffer[] | null;

export interface ScriptedDnsServer {
  server: DnsServer;
  /** Queries received so far, UDP and TCP. */
  received: { udp: number; tcp: number };
  stop(): Promise<void>;
}

export async function startScriptedDnsServer(
  udpScript: Script,
  tcpScript: Script = () => null,
  host: "127.0.0.1" | "::1" = "127.0.0.1",
): Promise<ScriptedDnsServer> {
  const received = { udp: 0, tcp: 0 };
  const onUdp =
    (udp: ReturnType<typeof createSocket>) => (raw: Buffer, from: { address: string; port: number }) => {
      received.udp++;
      let query: DecodedPacket;
      try {
        query = decode(raw);
      } catch {
        return;
      }
      for (const bytes of [udpScript(query, raw, from) ?? []].flat())
        udp.send(bytes, from.port, from.address);
    };

  // TCP on the same port number, for the fallback after truncation (RFC 7766): length-prefixed.
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const raw = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + raw.length);
        received.tcp++;
        const from = { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
        for (const bytes of [tcpScript(decode(raw), raw, from) ?? []].flat()) {
          const length = Buffer.alloc(2);
          length.writeUInt16BE(bytes.length);
          socket.write(Buffer.concat([length, bytes]));
        }
      }
    });
  });

  // The UDP port the system picks may be taken for TCP (by any socket of any test, an outgoing
  // connection's port included): a truncation test then met a refused connection instead of the
  // scripted one (CI, once). A port free for both is found by trying again.
  for (let attempt = 1; ; attempt++) {
    const udp = createSocket(host === "::1" ? "udp6" : "udp4");
    udp.on("message", onUdp(udp));
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, host, () => resolve(udp.address().port));
    });
    const tcpBound = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, host, () => resolve(true));
    });
    if (tcpBound) return scripted(udp, port);
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (attempt === 20) throw new Error("no port free for both UDP and TCP after 20 tries");
  }

  function scripted(udp: ReturnType<typeof createSocket>, port: number): ScriptedDnsServer {
    return {
      server: { host, port },
      received,
      async stop() {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      },
    };
  }
}
