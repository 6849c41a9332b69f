/**
 * /api/v1/listeners: every configured listener with the address and port it bound, how it does
 * TLS (implicit from the first byte, RFC 8314 §3.3; STARTTLS, RFC 3207 / RFC 2595 / RFC 3501 §6.2.1;
 * or none) and the connections open on it now (null where the runtime's HTTP server does not
 * count them). For the dashboard; read from the listener table main.ts keeps (`deps.listeners`).
 */
import { Hono } from "hono";
import { type ApiEnv, handedOver } from "../deps.ts";

export const listenerRoutes = new Hono<ApiEnv>().get("/", (c) =>
  c.json({ items: handedOver(c, "listeners")() }),
);
