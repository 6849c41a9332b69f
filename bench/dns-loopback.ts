/**
 * A real DNS server on loopback for the reference scripts (`../shared/reference/perf_smtp.py`):
 * Knot DNS (test/harness/dns-server.ts) serving the benchmark's domains without SPF, DKIM or DMARC
 * records, so the inbound checks of each delivery get real (negative) answers from loopback instead
 * of going to resolv.conf. Prints the MAILROOM_DNS_SERVERS value, then serves until killed.
 *
 *   bun bench/dns-loopback.ts   # prints e.g. MAILROOM_DNS_SERVERS=127.0.0.1:40153
 */
import { startDnsServer } from "../test/harness/dns-server.ts";

const dns = await startDnsServer([
  { origin: "example.test", records: [{ name: "@", type: "MX", value: "10 mx.example.test." }] },
  { origin: "bench.example.test", records: [{ name: "@", type: "A", value: "127.0.0.1" }] },
  { origin: "127.in-addr.arpa", records: [{ name: "1.0.0", type: "PTR", value: "localhost." }] },
]);
console.log(`MAILROOM_DNS_SERVERS=127.0.0.1:${dns.port}`);
const stop = () => dns.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setInterval(() => {}, 1 << 30);
