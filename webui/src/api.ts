/**
 * The page's one way to the server: the same REST API curl uses. A write carries the session's CSRF
 * token (kept in memory only, never in storage a script could read later); errors arrive as
 * problem+json and are thrown as ApiError with the server's own words.
 */
let csrfToken = "";

export function setCsrf(token: string): void {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when any request finds the session gone (expired, signed out elsewhere). */
let onSignedOut: () => void = () => {};
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["x-csrf-token"] = csrfToken;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) {
    let detail = `${res.status} ${res.statusText}`;
    try {
      const p = (await res.json()) as {
        title?: string;
        detail?: string;
        errors?: Array<{ message: string }>;
      };
      detail = [p.detail ?? p.title, ...(p.errors ?? []).map((e) => e.message)].filter(Boolean).join(": ");
    } catch {
      // not problem+json: keep the status line
    }
    if (res.status === 401 && !path.startsWith("/ui/session")) onSignedOut();
    throw new ApiError(res.status, detail);
  }
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request("GET", path)).json()) as T;
}

export async function send<T = unknown>(method: string, path: string, body?: unknown): Promise<T | null> {
  const res = await request(method, path, body);
  return res.status === 204 ? null : ((await res.json()) as T);
}

export const enc = encodeURIComponent;
export const accountPath = (address: string) => `/api/v1/accounts/${enc(address)}`;
export const messagePath = (address: string, id: number) => `${accountPath(address)}/messages/${id}`;

// The shapes the API answers with (openapi.yaml), as far as the page reads them.
export interface Session {
  kind: "admin" | "account";
  address?: string;
  csrfToken: string;
}
export interface Domain {
  name: string;
  createdAt: number;
}
export interface Account {
  address: string;
  quota: number | null;
  usedBytes: number;
  disabled: boolean;
  createdAt: number;
}
export interface Alias {
  address: string;
  targets: string[];
}
export interface DnsRecord {
  type: string;
  name: string;
  value: string;
  ttl: number | null;
  purpose: string;
  status: "ok" | "missing" | "different" | "unknown" | "unchecked";
  found: string[];
  error?: string;
}
export interface DkimKey {
  selector: string;
  algorithm: string;
  state: string;
  createdAt: number;
  retireAt: number | null;
}
export interface QueueItem {
  id: number;
  sender: string;
  recipient: string;
  domain: string;
  status: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
}
export interface Namespace {
  domain: string;
  createdAt: number;
  expiresAt: number;
}
export interface Lockout {
  key: string;
  kind: string;
  failures: number;
  lockedUntil: number | null;
  lastAttemptAt: number;
  lastLogin: string;
}
export interface Mailbox {
  name: string;
  specialUse: string | null;
  messages: number;
  unseen: number;
  size: number;
}
export interface MessageSummary {
  id: number;
  uid: number;
  from: string | null;
  to: string | null;
  subject: string | null;
  date: string;
  size: number;
  flags: string[];
  preview: string | null;
}
export interface MessageView {
  id: number;
  uid: number;
  mailbox: string;
  flags: string[];
  size: number;
  internalDate: string;
  headers: Array<{ name: string; value: string }>;
  from: Address[];
  to: Address[];
  cc: Address[];
  subject: string | null;
  date: string | null;
  messageId: string | null;
  text: string | null;
  html: string | null;
  /** What the inbound checks found on arrival; null for mail that was not checked. */
  authentication: AuthenticationResults | null;
  /** The spam check's verdict; null for mail that was not checked. */
  spam: SpamVerdict | null;
  attachments: Array<{
    partId: string;
    filename: string | null;
    contentType: string;
    size: number;
    disposition: string | null;
  }>;
}
interface IdentityResult {
  result: string;
  domain: string | null;
}
/** openapi.yaml's Authentication. */
export interface AuthenticationResults {
  spf: IdentityResult;
  helo: IdentityResult | null;
  dkim: Array<{
    result: string;
    domain: string | null;
    selector: string | null;
    algorithm: string | null;
    reason?: string;
  }>;
  dmarc: { result: string; policy: string | null; domain: string | null; disposition: string } | null;
  arc: { result: string };
}
/** openapi.yaml's SpamVerdict. */
export interface SpamVerdict {
  checker: "rspamd" | "builtin";
  action: string;
  score: number;
  required: number;
  symbols: Array<{ name: string; score: number; detail?: string }>;
}
export interface Address {
  name: string | null;
  mailbox: string;
  host: string;
}
/** "Name <box@host>" as a reader writes it (text only: the page never parses it as markup). */
export function addressText(a: Address): string {
  const addr = `${a.mailbox}@${a.host}`;
  return a.name ? `${a.name} <${addr}>` : addr;
}
export interface Page<T> {
  items: T[];
  next?: string | null;
}
