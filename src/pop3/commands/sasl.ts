/**
 * SASL mechanisms for AUTH (RFC 5034): PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login, what
 * Outlook and older clients speak). Pure decoding: the login itself is login.ts.
 */

export const SASL_MECHANISMS = ["PLAIN", "LOGIN"] as const;

/** LOGIN's prompts, base64 ("Username:", "Password:"). */
export const LOGIN_USERNAME_PROMPT = btoa("Username:");
export const LOGIN_PASSWORD_PROMPT = btoa("Password:");

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Strict base64 (RFC 5034 §4: a response that is not base64 is rejected), as UTF-8 text. */
export function decodeBase64(text: string): string | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  try {
    return decoder.decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * RFC 4616 §2: [authzid] NUL authcid NUL passwd. We do not let one user act as another, so the
 * authorization identity must be empty or the login itself.
 */
export function parsePlain(
  message: string,
): { login: string; password: string } | { error: "malformed" | "authzid" } {
  const parts = message.split("\0");
  if (parts.length !== 3) return { error: "malformed" };
  const [authzid, login, password] = parts as [string, string, string];
  if (login === "" || password === "") return { error: "malformed" };
  if (authzid !== "" && authzid.toLowerCase() !== login.toLowerCase()) return { error: "authzid" };
  return { login, password };
}
