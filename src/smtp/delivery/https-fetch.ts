/**
 * HTTPS requests for delivery policy (MTA-STS policy fetches, RFC 8461 §3.3; TLS-RPT uploads, RFC 8460
 * §3): node:https with the host name resolved through OUR resolver (a custom `lookup`, never the
 * system's), the certificate checked against the system CAs plus MAILROOM_TLS_CA_FILE, redirects not
 * followed (RFC 8461 §3.3), the body bounded, and one deadline for the whole exchange.
 */
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import type { DnsResolver } from "../../dns/mod.ts";
import { settleOnce } from "../../net/settle-once.ts";
import { MIN_TLS_VERSION } from "../../tls/mod.ts";

export interface HttpsOptions {
  resolver: Pick<DnsResolver, "a" | "aaaa">;
  port: number;
  /** Extra trusted CAs (PEM), added to the system's. */
  extraCa?: readonly string[];
  timeoutMs: number;
  maxBytes: number;
}

export type HttpsResult =
  | { kind: "ok"; status: number; contentType: string; body: Buffer; headers: IncomingHttpHeaders }
  | {
      kind: "failed";
      /** dns: no address; tls: the certificate did not verify; redirect: 3xx (never followed). */
      cause: "dns" | "tls" | "timeout" | "too-large" | "network" | "redirect";
      detail: string;
    };

/** TLS errors that mean "the certificate is not acceptable" (RFC 8461 §3.3: sts-webpki-invalid). */
const CERT_ERRORS =
  /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HOSTNAME|unable to verify|self.signed|certificate/i;

/** The `lookup` node:net calls, answered from our resolver (A first, then AAAA). */
function resolverLookup(resolver: HttpsOptions["resolver"]) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number } | number | undefined,
    callback: (...args: unknown[]) => void,
  ) => {
    const all = typeof options === "object" && options?.all === true;
    Promise.all([resolver.a(hostname), resolver.aaaa(hostname)]).then(([v4, v6]) => {
      const list = [
        ...(v4.kind === "ok" ? v4.records.map((address) => ({ address, family: 4 })) : []),
        ...(v6.kind === "ok" ? v6.records.map((address) => ({ address, family: 6 })) : []),
      ];
      if (list.length === 0) {
        const why = [v4, v6].map((r) => (r.kind === "temperror" ? `${r.cause}` : r.kind)).join("/");
        const error = Object.assign(new Error(`no address for ${hostname} (${why})`), { code: "ENOTFOUND" });
        return callback(error);
      }
      if (all) callback(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    }, callback);
  };
}

/** One request; never throws. */
export function httpsRequest(
  url: { host: string; path: string },
  options: HttpsOptions & {
    method?: "GET" | "HEAD" | "POST";
    body?: Uint8Array;
    headers?: Record<string, string>;
    /** Answer 3xx like any other status instead of failing (the ACME client reads them itself). */
    allowRedirects?: boolean;
  },
): Promise<HttpsResult> {
  const timedOut = (): HttpsResult => ({
    kind: "failed",
    cause: "timeout",
    detail: `no complete answer within ${options.timeoutMs} ms`,
  });
  return settleOnce(options.timeoutMs, timedOut, (finish) => {
    const req = request(
      {
        host: url.host,
        port: options.port,
        path: url.path,
        method: options.method ?? "GET",
        headers: {
          ...(options.body ? { "content-length": String(options.body.byteLength) } : {}),
          ...options.headers,
        },
        ...(isIP(url.host) ? {} : { lookup: resolverLookup(options.resolver) as never }),
        ca:
          options.extraCa && options.extraCa.length > 0
            ? [...rootCertificates, ...options.extraCa]
            : undefined,
        rejectUnauthorized: true,
        minVersion: MIN_TLS_VERSION,
        // One request per connection: nothing pooled between fetches of different domains.
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
        if (status >= 300 && status < 400 && !options.allowRedirects) {
          res.destroy();
          return finish({
            kind: "failed",
            cause: "redirect",
            detail: `HTTP ${status} redirect (not followed)`,
          });
        }
        const declared = Number(res.headers["content-length"] ?? "0");
        if (declared > options.maxBytes) {
          res.destroy();
          return finish({ kind: "failed", cause: "too-large", detail: `body of ${declared} bytes` });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            res.destroy();
            finish({ kind: "failed", cause: "too-large", detail: `body over ${options.maxBytes} bytes` });
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () =>
          finish({
            kind: "ok",
            status,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks),
            headers: res.headers,
          }),
        );
        res.on("error", (error) => finish({ kind: "failed", cause: "network", detail: error.message }));
      },
    );
    req.on("error", (error: Error & { code?: string }) => {
      const text = `${error.code ?? ""} ${error.message}`;
      if (error.code === "ENOTFOUND") return finish({ kind: "failed", cause: "dns", detail: error.message });
      if (CERT_ERRORS.test(text)) return finish({ kind: "failed", cause: "tls", detail: text.trim() });
      finish({ kind: "failed", cause: "network", detail: text.trim() });
    });
    req.end(options.body ? Buffer.from(options.body) : undefined);
    return () => req.destroy();
  });
}
