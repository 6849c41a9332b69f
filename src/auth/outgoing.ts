/**
 * Signing what Mailroom sends (RFC 6376): mail submitted by our users and the DSNs we send back,
 * once, when it is queued — the stored bytes are what every delivery attempt sends. Before signing,
 * 8-bit bodies are converted to 7-bit (RFC 6376 §5.3, RFC 6152 §3), so that no later hop without
 * 8BITMIME has to convert and break the signature.
 *
 * The signing domain (d=) is the domain of the first From: address when it is local, else its
 * closest local parent (relaxed DMARC alignment, RFC 7489 §3.1.1: MAILER-DAEMON@mx.example.org is
 * aligned with d=example.org). DSNs fall back to the primary domain: an unaligned signature still
 * passes DKIM. Every active key signs (one RSA, one Ed25519, RFC 8463 §5).
 *
 * A stored key that cannot be used (corrupt PEM, wrong type) is skipped and logged, and the others
 * still sign; with no usable key at all the message goes unsigned, logged: mail keeps flowing, and
 * rotating the keys (POST .../dkim/rotate) repairs it. Key material never reaches the log.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { domainToASCII } from "node:url";
import type { Logger } from "../log.ts";
import { parseAddressList, parseHeaders, toSevenBit } from "../mime/mod.ts";
import { type DkimSigningKey, dkimKeysActive, domainFind, type Reader, type Store } from "../store/mod.ts";
import type { DkimKeeper } from "./dkim-keys.ts";
import { type DkimSigner, dkimSign, headerEnd } from "./dkim-sign.ts";
import { DKIM_LIMITS } from "./limits.ts";

export interface OutgoingSignerOptions {
  store: Store;
  keeper: DkimKeeper;
  /** The primary local domain: signs DSNs whose From: domain is not local. */
  primaryDomain: string;
  log: Logger;
}

export interface SignOptions {
  /** Read keys through this (an open write's transaction); the store's reader otherwise. */
  reader?: Reader;
  /** A DSN: sign with the primary domain when the From: domain is not local. */
  notice?: boolean;
}

export class OutgoingSigner {
  readonly #store: Store;
  readonly #keeper: DkimKeeper;
  readonly #primary: string;
  readonly #log: Logger;
  /** Parsed private keys by their PEM text (null: unusable, already logged). */
  readonly #keys = new Map<string, KeyObject | null>();

  constructor(options: OutgoingSignerOptions) {
    this.#store = options.store;
    this.#keeper = options.keeper;
    this.#primary = options.primaryDomain;
    this.#log = options.log;
  }

  /**
   * The message as it should be queued: converted to 7-bit and signed when a local domain can sign
   * it, else unchanged. Inside a write (`reader` given) no keys are generated: that would hold the
   * commit for the length of an RSA key generation.
   */
  async sign(raw: Uint8Array, options: SignOptions = {}): Promise<Uint8Array> {
    const reader = options.reader ?? this.#store.read;
    const domain = await this.#signingDomain(reader, raw, options.notice === true);
    if (!domain) return raw;
    let keys = await dkimKeysActive(reader, domain);
    if (keys.length === 0 && !options.reader) {
      await this.#keeper.ensure(domain);
      keys = await dkimKeysActive(reader, domain);
    }
    const signers = keys.flatMap((k) => this.#signer(domain, k));
    if (signers.length === 0) {
      this.#log.warn("dkim.unsigned", { domain, reason: keys.length ? "no usable key" : "no key" });
      return raw;
    }
    let converted = toSevenBit(raw);
    // RFC 5321 §4.1.1.4: on the wire the data ends with CRLF anyway. Signed without it, verifiers
    // disagree about a last line of blanks (dkimpy keeps one), so the stored message gets it too.
    if (converted.length > 0 && converted[converted.length - 1] !== 0x0a)
      converted = Buffer.concat([converted, Buffer.from("\r\n")]);
    try {
      const fields = dkimSign(converted, { domain: domainToASCII(domain) || domain, signers });
      // RFC 6376 §5.6: prepended; but below our own leading Return-Path, which delivery strips
      // (RFC 5321 §4.4) only while it is the first field.
      const at = returnPathEnd(converted);
      return Buffer.concat([
        converted.subarray(0, at),
        Buffer.from(fields, "latin1"),
        converted.subarray(at),
      ]);
    } catch (error) {
      // Cannot happen with keys checked as above; if it does, the mail still goes, unsigned.
      this.#log.error("dkim.sign_failed", { domain, error: (error as Error).message });
      return converted;
    }
  }

  /** The From: address's local domain (or local parent), the primary domain for DSNs, or null. */
  async #signingDomain(reader: Reader, raw: Uint8Array, notice: boolean): Promise<string | null> {
    const from = fromDomain(raw);
    if (from) {
      const labels = from.split(".");
      // The domain itself, then its parents down to two labels (never a bare top-level domain).
      for (let i = 0; i === 0 || i < labels.length - 1; i++) {
        const candidate = labels.slice(i).join(".");
        if (await domainFind(reader, candidate)) return candidate;
      }
    }
    if (notice && (await domainFind(reader, this.#primary))) return this.#primary;
    return null;
  }

  #signer(domain: string, key: DkimSigningKey): DkimSigner[] {
    let parsed = this.#keys.get(key.privateKey);
    if (parsed === undefined) {
      parsed = usableKey(key);
      if (parsed === null)
        this.#log.error("dkim.key_unusable", { domain, selector: key.selector, algorithm: key.algorithm });
      if (this.#keys.size >= DKIM_LIMITS.keyCacheEntries) this.#keys.clear();
      this.#keys.set(key.privateKey, parsed);
    }
    return parsed ? [{ selector: key.selector, algorithm: key.algorithm, key: parsed }] : [];
  }
}

/** The parsed private key if it is one of the type its row claims (RFC 8301 §3.2: RSA of 1024 bits or more). */
function usableKey(key: DkimSigningKey): KeyObject | null {
  try {
    const parsed = createPrivateKey(key.privateKey);
    if (key.algorithm === "ed25519-sha256") return parsed.asymmetricKeyType === "ed25519" ? parsed : null;
    if (key.algorithm !== "rsa-sha256" || parsed.asymmetricKeyType !== "rsa") return null;
    return (parsed.asymmetricKeyDetails?.modulusLength ?? 0) >= 1024 ? parsed : null;
  } catch {
    return null;
  }
}

/** Where a leading Return-Path field (the one the MTA that stored the message put first) ends; 0 without one. */
function returnPathEnd(raw: Uint8Array): number {
  const [first] = parseHeaders(raw, 0, headerEnd(raw).fields, 1);
  return first && first.name.toLowerCase() === "return-path" ? first.end : 0;
}

/** The lower-case domain of the first mailbox in the first From: field, or null. */
export function fromDomain(raw: Uint8Array): string | null {
  for (const field of parseHeaders(raw, 0, headerEnd(raw).fields)) {
    if (field.name.toLowerCase() !== "from") continue;
    const first = parseAddressList(field.value).find((a) => a.host !== null && a.host !== "");
    return first?.host ? first.host.toLowerCase().replace(/\.$/, "") : null;
  }
  return null;
}
