/**
 * Address and domain normalisation shared by every store function that takes a name from outside.
 * Addresses are compared case-insensitively (local parts too: every mainstream server does so, and
 * users expect it), stored lower-case, and may be UTF-8 (RFC 6531).
 */
import { invalid } from "./errors.ts";

const DOMAIN =
  /^(?=.{1,253}$)(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)*[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;

export function domainNormalize(name: string): string {
  const domain = name.trim().toLowerCase().replace(/\.$/, "");
  if (!DOMAIN.test(domain)) throw invalid(`"${name}" is not a valid domain name`);
  return domain;
}

export function addressNormalize(address: string): { address: string; local: string; domain: string } {
  const trimmed = address.trim().toLowerCase();
  const at = trimmed.lastIndexOf("@");
  if (at <= 0 || at === trimmed.length - 1) throw invalid(`"${address}" is not a valid e-mail address`);
  const local = trimmed.slice(0, at);
  if (local.length > 64 || !LOCAL_PART.test(local))
    throw invalid(`"${address}" is not a valid e-mail address`);
  const domain = domainNormalize(trimmed.slice(at + 1));
  return { address: `${local}@${domain}`, local, domain };
}

/** `user+tag@domain` → `user@domain` (sub-addressing, RFC 5233 style); other addresses unchanged. */
export function addressWithoutTag(local: string, domain: string): string | undefined {
  const plus = local.indexOf("+");
  return plus > 0 ? `${local.slice(0, plus)}@${domain}` : undefined;
}
