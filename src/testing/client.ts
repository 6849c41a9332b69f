/**
 * A typed client of the admin REST API for tests (issue 16; `import { ... } from "mailroom/testing"`).
 * Only web-standard fetch: it runs under Bun, Deno and Node alike, against any Mailroom.
 */

/** A problem document (RFC 9457) from the API, as an Error. */
export class MailroomApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: Array<{ path: string; message: string }> },
  ) {
    super(`${status} ${problem.title ?? "error"}${problem.detail ? `: ${problem.detail}` : ""}`);
  }
}

/** Criteria of the search and of the wait: case-insensitive literal substrings, all must hold. */
export interface MessageCriteria {
  to?: string;
  from?: string;
  subject?: string;
  text?: string;
  /** An RFC 3339 time, a message id, or "latest" (only messages newer than the newest now). */
  since?: string | number;
  mailbox?: string;
  /** Only this account's messages. */
  account?: string;
}

/** A message as GET /api/v1/messages/{id} returns it (the fields tests use most; more are there). */
export interface MessageView {
  id: number;
  account: string;
  mailbox: string;
  uid: number;
  subject: string;
  from: Array<{ name?: string; address: string }> | unknown;
  to: unknown;
  date: string | null;
  flags: string[];
  size: number;
  text?: string | null;
  html?: string | null;
  [field: string]: unknown;
}

export interface MessageSummary {
  id: number;
  account: string;
  mailbox: string;
  subject: string;
  [field: string]: unknown;
}

export interface Namespace {
  domain: string;
  createdAt: number;
  expiresAt: number;
}

export interface Webhook {
  id: number;
  url: string;
  events: string[];
  createdAt: number;
  secret?: string;
}

export interface MailroomClientOptions {
  /** The admin API's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  token: string;
}

export class MailroomClient {
  readonly url: string;
  readonly #token: string;

  constructor(options: MailroomClientOptions) {
    this.url = options.url.replace(/\/$/, "");
    this.#token = options.token;
  }

  /** Any request under the API; throws MailroomApiError on a problem document. */
  async request<T = unknown>(
    method: string,
    path: string,
    options: {
      json?: unknown;
      body?: string | Uint8Array;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!res.ok) {
      const text = await res.text();
      let problem: ConstructorParameters<typeof MailroomApiError>[1] = { detail: text };
      try {
        problem = JSON.parse(text);
      } catch {
        // Not JSON: the text is the detail.
      }
      throw new MailroomApiError(res.status, problem);
    }
    if (res.status === 204) return undefined as T;
    const type = res.headers.get("content-type") ?? "";
    return (type.includes("json") ? await res.json() : await res.text()) as T;
  }

  /**
   * The first message meeting every criterion, waiting for it to arrive (server-side, no polling)
   * up to `timeout` ("30s", "2m"; capped by the server at 5 minutes). Throws MailroomApiError 408
   * when none came.
   */
  waitForMessage(criteria: MessageCriteria, options: { timeout?: string } = {}): Promise<MessageView> {
    const { account, ...rest } = criteria;
    const base = account
      ? `/api/v1/accounts/${encodeURIComponent(account)}/messages/wait`
      : "/api/v1/messages/wait";
    return this.request("GET", `${base}${query({ ...rest, timeout: options.timeout ?? "30s" })}`);
  }

  /** Messages across all accounts, newest first. */
  async searchMessages(
    criteria: Omit<MessageCriteria, "account"> & { limit?: number } = {},
  ): Promise<MessageSummary[]> {
    const page = await this.request<{ items: MessageSummary[] }>("GET", `/api/v1/messages${query(criteria)}`);
    return page.items;
  }

  message(id: number | "latest"): Promise<MessageView> {
    return this.request("GET", `/api/v1/messages/${id}`);
  }

  text(id: number | "latest"): Promise<string> {
    return this.request("GET", `/api/v1/messages/${id}/text`);
  }

  html(id: number | "latest"): Promise<string> {
    return this.request("GET", `/api/v1/messages/${id}/html`);
  }

  raw(id: number | "latest"): Promise<string> {
    return this.request("GET", `/api/v1/messages/${id}/raw`);
  }

  async links(id: number | "latest"): Promise<string[]> {
    const found = await this.request<{ items: Array<{ url: string }> }>(
      "GET",
      `/api/v1/messages/${id}/links`,
    );
    return found.items.map((l) => l.url);
  }

  async codes(id: number | "latest"): Promise<string[]> {
    const found = await this.request<{ items: Array<{ code: string }> }>(
      "GET",
      `/api/v1/messages/${id}/codes`,
    );
    return found.items.map((c) => c.code);
  }

  deleteMessage(account: string, id: number): Promise<void> {
    return this.request("DELETE", `/api/v1/accounts/${encodeURIComponent(account)}/messages/${id}`);
  }

  /** A throwaway domain that takes mail for any address; `ttl` like "30m". */
  createNamespace(ttl?: string): Promise<Namespace> {
    return this.request("POST", "/api/v1/namespaces", { json: ttl ? { ttl } : {} });
  }

  deleteNamespace(domain: string): Promise<void> {
    return this.request("DELETE", `/api/v1/namespaces/${encodeURIComponent(domain)}`);
  }

  createWebhook(input: { url: string; events: string[]; secret?: string }): Promise<Webhook> {
    return this.request("POST", "/api/v1/webhooks", { json: input });
  }

  deleteWebhook(id: number): Promise<void> {
    return this.request("DELETE", `/api/v1/webhooks/${id}`);
  }

  /** Replaces the fault-injection rules (the server must run with chaos on). */
  setChaos(rules: unknown[]): Promise<{ rules: unknown[] }> {
    return this.request("PUT", "/api/v1/chaos", { json: { rules } });
  }

  clearChaos(): Promise<void> {
    return this.request("DELETE", "/api/v1/chaos");
  }
}

function query(params: object): string {
  const pairs: Array<[string, string]> = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, String(v)]);
  return pairs.length === 0 ? "" : `?${new URLSearchParams(pairs).toString()}`;
}
