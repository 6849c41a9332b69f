/**
 * Standard Webhooks signatures (standardwebhooks.com, spec v1): the secret is "whsec_" followed by
 * the base64 of 24 to 64 random bytes; the HMAC-SHA256 key is those bytes (not the text). The signed
 * content is `${webhook-id}.${webhook-timestamp}.${body}`; the header value is "v1,<base64 MAC>".
 */
import { createHmac, randomBytes } from "node:crypto";

const PREFIX = "whsec_";

/** A new secret: 32 random bytes. */
export function webhookSecretGenerate(): string {
  return `${PREFIX}${randomBytes(32).toString("base64")}`;
}

/** Why `secret` is not a Standard Webhooks secret, or undefined when it is one. */
export function webhookSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(PREFIX)) return 'must start with "whsec_" followed by base64 (24 to 64 bytes)';
  const text = secret.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0)
    return "the part after whsec_ must be base64";
  const bytes = Buffer.from(text, "base64").length;
  if (bytes < 24 || bytes > 64) return `the key must be 24 to 64 bytes (it is ${bytes})`;
  return undefined;
}

/** The webhook-signature header value for one message. */
export function webhookSign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(PREFIX.length), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}
