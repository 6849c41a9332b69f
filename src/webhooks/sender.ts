/**
 * One webhook attempt: an HTTP POST of the signed payload to the address address-guard.ts checked,
 * with the URL's host name as Host (and as TLS server name, so the certificate is verified against
 * it). Connecting to the checked address, not to the name, is what defeats DNS rebinding.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { settleOnce } from "../net/settle-once.ts";
import { WEBHOOK_LIMITS } from "./limits.ts";

export interface AttemptOutcome {
  /** The response's status, or null when none came (refused, reset, timed out). */
  status: number | null;
  /** What went wrong, for the delivery's lastError (null on a 2xx). */
  error: string | null;
}

export function webhookPost(input: {
  url: URL;
  address: string;
  family: 4 | 6;
  headers: Record<string, string>;
  body: string;
  timeoutMs?: number;
}): Promise<AttemptOutcome> {
  const { url } = input;
  const https = url.protocol === "https:";
  const port = url.port ? Number(url.port) : https ? 443 : 80;
  const body = Buffer.from(input.body);
  const timeoutMs = input.timeoutMs ?? WEBHOOK_LIMITS.requestTimeoutMs;
  const timedOut = (): AttemptOutcome => ({ status: null, error: "timed out" });
  return settleOnce(timeoutMs, timedOut, (settle) => {
    const options = {
      host: input.address,
      family: input.family,
      port,
      method: "POST",
      path: `${url.pathname}${url.search}`,
      headers: {
        ...input.headers,
        host: url.host,
        "content-type": "application/json",
        "content-length": String(body.length),
        "user-agent": "Mailroom-Webhooks/1",
      },
      ...(https ? { servername: url.hostname.replace(/^\[|\]$/g, "") } : {}),
    };
    const onResponse = (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (text.length < WEBHOOK_LIMITS.responseBytesKept) text += chunk;
      });
      res.on("end", () => {
        const ok = status >= 200 && status < 300;
        const snippet = text.slice(0, WEBHOOK_LIMITS.responseBytesKept).trim();
        settle({ status, error: ok ? null : `HTTP ${status}${snippet ? `: ${snippet}` : ""}` });
      });
      res.on("error", (error) => settle({ status, error: error.message }));
    };
    const req = https ? httpsRequest(options, onResponse) : httpRequest(options, onResponse);
    req.on("error", (error) => settle({ status: null, error: error.message }));
    req.end(body);
    return () => req.destroy();
  });
}
