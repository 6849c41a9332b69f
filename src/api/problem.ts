/**
 * Errors over HTTP as RFC 9457 problem details (application/problem+json). Store errors, zod errors
 * and a full disk (507) are translated here, in one place; anything else is logged and answered as a
 * bare 500, never with a stack trace or SQL.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import type { Logger } from "../log.ts";
import { isStorageFull, StoreError } from "../store/mod.ts";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  detail?: string,
  extra: Partial<Problem> = {},
): Response {
  const body: Problem = { type: "about:blank", title, status, ...(detail ? { detail } : {}), ...extra };
  return c.body(JSON.stringify(body), status, { "content-type": "application/problem+json" });
}

/** Thrown by handlers for client errors that are not store errors (bad cursor, malformed JSON...). */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly title: string,
    detail: string,
  ) {
    super(status, { message: detail });
  }
}

const STORE_STATUS: Record<StoreError["code"], { status: ContentfulStatusCode; title: string }> = {
  not_found: { status: 404, title: "Not Found" },
  conflict: { status: 409, title: "Conflict" },
  invalid: { status: 422, title: "Unprocessable Content" },
  over_quota: { status: 507, title: "Insufficient Storage" },
  // The account's state (how many mailboxes it has) forbids it until something is deleted.
  limit: { status: 409, title: "Conflict" },
  forbidden: { status: 403, title: "Forbidden" },
};

export function errorToProblem(error: unknown, c: Context, log: Logger): Response {
  if (error instanceof StoreError) {
    const { status, title } = STORE_STATUS[error.code];
    return problem(c, status, title, error.message);
  }
  if (error instanceof ZodError) {
    const errors = error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message }));
    return problem(c, 422, "Unprocessable Content", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
      errors,
    });
  }
  if (error instanceof ApiError)
    return problem(c, error.status as ContentfulStatusCode, error.title, error.message);
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    return problem(c, status, error.message || "Error", error.message);
  }
  if (isStorageFull(error)) {
    // RFC 4918 §11.5 (507): nothing was stored; the same request works once space returns.
    log.error("http.storage_full", { method: c.req.method, path: c.req.path, error });
    return problem(c, 507, "Insufficient Storage", "the server is out of disk space; try again later");
  }
  log.error("http.unhandled", { method: c.req.method, path: c.req.path, error });
  return problem(
    c,
    500,
    "Internal Server Error",
    "the server could not complete the request; see the server log",
  );
}
