/**
 * An ACME client (RFC 8555) on node:crypto and node:https: the directory (§7.1.1), nonces (§7.2,
 * §6.5: a badNonce error is retried with the nonce it carries), the account (§7.3), orders (§7.4),
 * authorizations and challenges (§7.5), finalization with a CSR and the certificate download
 * (§7.4.2). Requests go through the shared HTTPS helper: the CA's host name resolved by our own
 * resolver, its certificate checked against the system CAs plus MAILROOM_ACME_CA_FILE.
 *
 * Written here rather than taken from a package: the protocol needs ~300 lines on node:crypto, works
 * the same on Bun and Deno, and keeps the CA requests on our resolver and timeouts (acme-client pulls
 * in axios and its own resolver path).
 */
import type { DnsResolver } from "../dns/mod.ts";
import { type HttpsResult, httpsRequest } from "../smtp/delivery/https-fetch.ts";
import { type AccountKey, jwsSign } from "./jws.ts";
import { ACME_LIMITS } from "./limits.ts";

/** An RFC 7807 problem from the CA (RFC 8555 §6.7), or a transport failure. */
export class AcmeError extends Error {
  override name = "AcmeError";
  constructor(
    message: string,
    /** The problem type ("urn:ietf:params:acme:error:badNonce"), or "transport". */
    readonly type: string,
    readonly status: number,
    /** Retry-After in ms when the CA gave one (rate limits, §6.6). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  meta?: { termsOfService?: string };
}

export type ChallengeType = "http-01" | "tls-alpn-01" | "dns-01";

export interface Challenge {
  type: string;
  url: string;
  token: string;
  status: string;
  error?: { type?: string; detail?: string };
}

export interface Authorization {
  identifier: { type: string; value: string };
  status: "pending" | "valid" | "invalid" | "deactivated" | "expired" | "revoked";
  challenges: Challenge[];
}

export interface Order {
  url: string;
  status: "pending" | "ready" | "processing" | "valid" | "invalid";
  authorizations: string[];
  finalize: string;
  certificate?: string;
  error?: { type?: string; detail?: string };
}

export interface AcmeClientOptions {
  directoryUrl: string;
  key: AccountKey;
  /** The account URL, when the account is known (stored). */
  accountUrl?: string;
  resolver: Pick<DnsResolver, "a" | "aaaa">;
  /** Extra trusted CAs for the ACME server's HTTPS (MAILROOM_ACME_CA_FILE). */
  extraCa?: readonly string[];
  /** Waits between polls; tests do not override it, pebble answers fast. */
  sleep?: (ms: number) => Promise<void>;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Nonces kept at most: one per request in flight is plenty; old ones may have expired at the CA. */
const MAX_POOLED_NONCES = 8;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AcmeClient {
  readonly key: AccountKey;
  readonly #options: AcmeClientOptions;
  #directory: Directory | undefined;
  /**
   * Nonces from the CA's responses, unused yet (§6.5: each response carries one). Several requests
   * run at once (authorizations in parallel), so each takes its own from here, never a shared slot.
   */
  readonly #nonces: string[] = [];
  #accountUrl: string | undefined;

  constructor(options: AcmeClientOptions) {
    this.#options = options;
    this.key = options.key;
    this.#accountUrl = options.accountUrl;
  }

  get accountUrl(): string | undefined {
    return this.#accountUrl;
  }

  /** §7.1.1: the directory, fetched once. */
  async directory(): Promise<Directory> {
    if (this.#directory) return this.#directory;
    const reply = await this.#request("GET", this.#options.directoryUrl);
    if (reply.status !== 200) throw problemOf(reply, "fetching the ACME directory");
    const directory = json(reply) as Directory;
    if (!directory.newNonce || !directory.newAccount || !directory.newOrder)
      throw new AcmeError("the ACME directory lacks newNonce, newAccount or newOrder", "malformed", 200);
    this.#directory = directory;
    return directory;
  }

  /**
   * §7.3: creates the account (or finds the existing one for this key: a CA answers 200 with its
   * URL) and agrees to the terms of service, which is what running an ACME client means.
   */
  async account(contact: readonly string[]): Promise<string> {
    const { newAccount } = await this.directory();
    const payload = { termsOfServiceAgreed: true, ...(contact.length ? { contact: [...contact] } : {}) };
    const reply = await this.#post(newAccount, payload, { jwk: true });
    if (reply.status !== 201 && reply.status !== 200) throw problemOf(reply, "creating the ACME account");
    const location = header(reply, "location");
    if (!location) throw new AcmeError("the CA gave no account URL", "malformed", reply.status);
    this.#accountUrl = location;
    return location;
  }

  /** §7.4: a new order for DNS names. */
  async newOrder(names: readonly string[]): Promise<Order> {
    const { newOrder } = await this.directory();
    const identifiers = names.map((value) => ({ type: "dns", value }));
    const reply = await this.#post(newOrder, { identifiers });
    if (reply.status !== 201) throw problemOf(reply, "creating the order");
    const url = header(reply, "location");
    if (!url) throw new AcmeError("the CA gave no order URL", "malformed", reply.status);
    return { ...(json(reply) as Omit<Order, "url">), url };
  }

  async authorization(url: string): Promise<Authorization> {
    const reply = await this.#post(url, "");
    if (reply.status !== 200) throw problemOf(reply, "fetching an authorization");
    return json(reply) as Authorization;
  }

  /** §7.5.1: tells the CA the challenge is ready to be validated. */
  async respond(challenge: Challenge): Promise<void> {
    const reply = await this.#post(challenge.url, {});
    if (reply.status !== 200) throw problemOf(reply, `answering the ${challenge.type} challenge`);
  }

  /** Polls an authorization until it is valid or has failed (§7.5.1). */
  async authorizationSettled(url: string): Promise<Authorization> {
    return this.#poll(url, "the authorization", (a: Authorization) =>
      a.status === "pending" ? undefined : a,
    );
  }

  /** §7.4: finalizes a ready order with the CSR (DER) and waits until the certificate is issued. */
  async finalize(order: Order, csrDer: Uint8Array): Promise<Order> {
    const reply = await this.#post(order.finalize, { csr: Buffer.from(csrDer).toString("base64url") });
    if (reply.status !== 200) throw problemOf(reply, "finalizing the order");
    const state = { ...(json(reply) as Omit<Order, "url">), url: order.url };
    if (state.status === "valid") return state;
    return this.#poll(order.url, "the order", (o: Omit<Order, "url">) =>
      o.status === "processing" || o.status === "ready" || o.status === "pending"
        ? undefined
        : { ...o, url: order.url },
    );
  }

  /** §7.4.2: the PEM chain (application/pem-certificate-chain), leaf first. */
  async certificate(url: string): Promise<string> {
    const reply = await this.#post(url, "", { accept: "application/pem-certificate-chain" });
    if (reply.status !== 200) throw problemOf(reply, "downloading the certificate");
    const text = reply.body.toString("utf8");
    if (!text.includes("-----BEGIN CERTIFICATE-----"))
      throw new AcmeError("the CA's certificate is not a PEM chain", "malformed", 200);
    return text;
  }

  async #poll<T, R>(url: string, what: string, settled: (state: T) => R | undefined): Promise<R> {
    const sleep = this.#options.sleep ?? sleepFor;
    const deadline = Date.now() + ACME_LIMITS.pollTimeoutMs;
    for (;;) {
      const reply = await this.#post(url, "");
      if (reply.status !== 200) throw problemOf(reply, `polling ${what}`);
      const done = settled(json(reply) as T);
      if (done !== undefined) return done;
      if (Date.now() > deadline)
        throw new AcmeError(`${what} did not settle in ${ACME_LIMITS.pollTimeoutMs} ms`, "timeout", 0);
      await sleep(Math.min(retryAfter(reply) ?? ACME_LIMITS.pollIntervalMs, ACME_LIMITS.maxPollIntervalMs));
    }
  }

  /** A signed POST (§6.2), retried on badNonce (§6.5) with the nonce the error carried. */
  async #post(
    url: string,
    payload: unknown,
    options: { jwk?: boolean; accept?: string } = {},
  ): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      const nonce = await this.#takeNonce();
      const kid = options.jwk ? undefined : this.#accountUrl;
      if (!options.jwk && !kid) throw new Error("ACME request before the account is known");
      const body = jwsSign(this.key, { nonce, url, ...(kid ? { kid } : {}) }, payload);
      const reply = await this.#request("POST", url, body, options.accept);
      if (
        reply.status === 400 &&
        problemType(reply) === "urn:ietf:params:acme:error:badNonce" &&
        attempt < ACME_LIMITS.badNonceRetries
      )
        continue;
      return reply;
    }
  }

  async #takeNonce(): Promise<string> {
    const pooled = this.#nonces.pop();
    if (pooled) return pooled;
    const { newNonce } = await this.directory();
    // §7.2: HEAD newNonce; the nonce is in Replay-Nonce, and this request keeps it for itself.
    const reply = await this.#request("HEAD", newNonce, undefined, undefined, false);
    const fresh = header(reply, "replay-nonce");
    if (!fresh) throw new AcmeError("the CA gave no Replay-Nonce", "malformed", reply.status);
    return fresh;
  }

  async #request(
    method: "GET" | "HEAD" | "POST",
    url: string,
    body?: string,
    accept?: string,
    poolNonce = true,
  ): Promise<Reply> {
    const target = new URL(url);
    if (target.protocol !== "https:")
      throw new AcmeError(`refusing a non-https ACME URL ${url}`, "malformed", 0);
    const result: HttpsResult = await httpsRequest(
      { host: target.hostname.replace(/^\[|\]$/g, ""), path: `${target.pathname}${target.search}` },
      {
        resolver: this.#options.resolver,
        port: Number(target.port || 443),
        ...(this.#options.extraCa ? { extraCa: this.#options.extraCa } : {}),
        timeoutMs: ACME_LIMITS.requestTimeoutMs,
        maxBytes: ACME_LIMITS.maxResponseBytes,
        method,
        allowRedirects: true,
        headers: {
          "user-agent": "mailroom-acme",
          ...(body ? { "content-type": "application/jose+json" } : {}),
          ...(accept ? { accept } : {}),
        },
        ...(body ? { body: Buffer.from(body) } : {}),
      },
    );
    if (result.kind === "failed")
      throw new AcmeError(`cannot reach the ACME server ${target.host}: ${result.detail}`, "transport", 0);
    const reply: Reply = { status: result.status, headers: result.headers, body: result.body };
    // §6.5: every response carries a fresh nonce; keep a few for the next requests.
    const nonce = header(reply, "replay-nonce");
    if (nonce && poolNonce) {
      this.#nonces.push(nonce);
      if (this.#nonces.length > MAX_POOLED_NONCES) this.#nonces.shift();
    }
    return reply;
  }
}

function header(reply: Reply, name: string): string | undefined {
  const value = reply.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function json(reply: Reply): unknown {
  try {
    return JSON.parse(reply.body.toString("utf8"));
  } catch {
    throw new AcmeError("the CA's answer is not JSON", "malformed", reply.status);
  }
}

function problemType(reply: Reply): string | undefined {
  try {
    return (JSON.parse(reply.body.toString("utf8")) as { type?: string }).type;
  } catch {
    return undefined;
  }
}

/** RFC 9110 §10.2.3: seconds, or an HTTP date. */
function retryAfter(reply: Reply): number | undefined {
  const value = header(reply, "retry-after");
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function problemOf(reply: Reply, doing: string): AcmeError {
  let type = "unknown";
  let detail = `HTTP ${reply.status}`;
  try {
    const problem = JSON.parse(reply.body.toString("utf8")) as { type?: string; detail?: string };
    type = problem.type ?? type;
    detail = problem.detail ? `${problem.detail} (${type})` : `${detail} (${type})`;
  } catch {
    // Not a problem document: the status says enough.
  }
  return new AcmeError(`${doing}: ${detail}`, type, reply.status, retryAfter(reply));
}
