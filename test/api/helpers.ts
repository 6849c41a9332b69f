/** Small assertions and builders shared by the API tests (the server itself comes from test/harness). */
import { expect } from "bun:test";
import type { TestServer } from "../harness/server.ts";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}

/** Asserts an RFC 9457 problem response with this status and returns its body. */
export async function expectProblem(res: Response, status: number): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as ProblemBody;
  expect(body.status).toBe(status);
  expect(body.title.length).toBeGreaterThan(0);
  return body;
}

export const enc = encodeURIComponent;

/** A small CRLF message; `extra` header lines go before the body. */
export function makeMessage(opts: {
  subject: string;
  body?: string;
  from?: string;
  to?: string;
  date?: string | null;
  extra?: string[];
}): string {
  const lines = [
    `From: ${opts.from ?? "Sender <sender@remote.example>"}`,
    `To: ${opts.to ?? "rcpt@example.com"}`,
    `Subject: ${opts.subject}`,
  ];
  if (opts.date !== null) lines.push(`Date: ${opts.date ?? "Tue, 02 Jan 2024 10:00:00 +0000"}`);
  lines.push(...(opts.extra ?? []), "", opts.body ?? "Hello.", "");
  return lines.join("\r\n");
}

/** Imports a raw message through POST .../messages; returns {id, uid}. */
export async function importMessage(
  server: TestServer,
  address: string,
  mailbox: string,
  raw: string | Uint8Array,
  flags?: string,
): Promise<{ id: number; uid: number }> {
  const query = flags === undefined ? "" : `?flags=${enc(flags)}`;
  const res = await server.api(
    `/api/v1/accounts/${enc(address)}/mailboxes/${enc(mailbox)}/messages${query}`,
    {
      method: "POST",
      body: raw,
      headers: { "content-type": "message/rfc822" },
    },
  );
  if (res.status !== 201)
    throw new Error(`import into ${address}/${mailbox}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: number; uid: number };
}
