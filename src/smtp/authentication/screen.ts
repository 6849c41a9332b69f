/**
 * A look at the signatures before the verifier does its work: which DKIM-Signature fields are
 * checked and which are not (AUTH_LIMITS: at most `maxSignatures`, none naming more than
 * `maxSignedFields` header fields in h=, none at all when the header has more than `maxHeaderFields`
 * fields), whether the ARC chain can be checked, and the key records and domains the checks will
 * look up, so those lookups can start together instead of one after the other.
 *
 * The verifier (mailauth) gets the message without the fields it must not spend time on. Removing a
 * DKIM-Signature field changes nothing for the other signatures (RFC 6376 §5.4 lets a signature cover
 * another, but none of ours is verified in that state anyway: it is reported, not checked).
 */
import { bufferView, parseHeaders, withoutRanges } from "../../mime/mod.ts";
import { fieldsLookLikeReport } from "../reports/received.ts";
import { AUTH_LIMITS } from "./limits.ts";

export interface SignatureTags {
  domain: string;
  selector: string;
  algorithm: string;
  /** The b= value without whitespace (matches the verifier's result to the field). */
  b: string;
}

/** A signature reported without being verified, and why. */
export interface Unchecked extends SignatureTags {
  result: "policy" | "permerror";
  reason: string;
}

export interface Screened {
  /** What the verifier gets: the message without the unchecked fields (the same buffer when none). */
  input: Buffer;
  /** DKIM-Signature fields given to the verifier, top first. */
  checked: SignatureTags[];
  unchecked: Unchecked[];
  /** Why the ARC chain is not checked (arc=fail), when it is not. */
  arcRefused?: string;
  /** The domain of the From field (for the DMARC record lookup), when it has exactly one. */
  fromDomain?: string;
  /** The From fields' values (unfolded), for DMARC when there is nothing for the verifier to do. */
  fromValues: string[];
  /** Whether the message has any DKIM-Signature or ARC field (else the verifier can be skipped). */
  signed: boolean;
  /** The header looks like an aggregate report's (reports/received.ts), worth parsing as one. */
  reportLike: boolean;
}

/** RFC 6376 §3.2 tag-list: name=value pairs separated by ";", values without folding whitespace. */
export function tagList(value: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of value.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    if (!tags.has(name)) tags.set(name, part.slice(eq + 1).replace(/[ \t\r\n]+/g, ""));
  }
  return tags;
}

function signedFieldCount(tags: Map<string, string>): number {
  const h = tags.get("h");
  if (h === undefined) return 0;
  let n = 0;
  for (const name of h.split(":")) if (name !== "") n++;
  return n;
}

function signatureTags(tags: Map<string, string>): SignatureTags {
  return {
    domain: (tags.get("d") ?? "").toLowerCase(),
    selector: tags.get("s") ?? "",
    algorithm: (tags.get("a") ?? "").toLowerCase(),
    b: tags.get("b") ?? "",
  };
}

const ARC_FIELDS = new Set(["arc-seal", "arc-message-signature", "arc-authentication-results"]);

export function screenSignatures(body: Buffer): Screened {
  const fields = parseHeaders(body, 0, body.length, AUTH_LIMITS.maxHeaderFields + 1);
  const fromFields = fields.filter((f) => f.name.toLowerCase() === "from");
  const fromDomain = fromFields.length === 1 ? domainOf(fromFields[0]!.value) : undefined;
  const from = {
    ...(fromDomain ? { fromDomain } : {}),
    fromValues: fromFields.map((f) => f.value),
    reportLike: fieldsLookLikeReport(fields),
  };
  if (fields.length > AUTH_LIMITS.maxHeaderFields) return screenTooMany(body);
  const drop: Array<{ start: number; end: number }> = [];
  const checked: SignatureTags[] = [];
  const unchecked: Unchecked[] = [];
  const arcFields: Array<{ start: number; end: number }> = [];
  let arcRefused: string | undefined;
  for (const field of fields) {
    const name = field.name.toLowerCase();
    if (name === "dkim-signature") {
      const tags = tagList(field.value);
      const base = signatureTags(tags);
      if (signedFieldCount(tags) > AUTH_LIMITS.maxSignedFields) {
        unchecked.push({
          ...base,
          result: "permerror",
          reason: `h= names more than ${AUTH_LIMITS.maxSignedFields} fields`,
        });
      } else if (checked.length >= AUTH_LIMITS.maxSignatures) {
        // RFC 6376 §6.1: a verifier MAY limit the signatures it checks; these are not judged.
        unchecked.push({
          ...base,
          result: "policy",
          reason: `more than ${AUTH_LIMITS.maxSignatures} signatures`,
        });
      } else {
        checked.push(base);
        continue;
      }
      drop.push(field);
    } else if (ARC_FIELDS.has(name)) {
      arcFields.push(field);
      if (
        name === "arc-message-signature" &&
        signedFieldCount(tagList(field.value)) > AUTH_LIMITS.maxSignedFields
      )
        arcRefused = `h= names more than ${AUTH_LIMITS.maxSignedFields} fields`;
    }
  }
  if (arcRefused) drop.push(...arcFields);
  return {
    input: drop.length > 0 ? bufferView(withoutRanges(body, drop)) : body,
    checked,
    unchecked,
    ...(arcRefused ? { arcRefused } : {}),
    ...from,
    signed: checked.length + unchecked.length + arcFields.length > 0,
  };
}

/**
 * A header too big to check any signature in bounded time: the verifier sees only From (for DMARC's
 * author domain), and one permerror stands for every signature. One linear scan of the header text
 * finds them wherever they are (the field parser stopped at its cap).
 */
function screenTooMany(body: Buffer): Screened {
  const reason = `header has more than ${AUTH_LIMITS.maxHeaderFields} fields`;
  const end = body.indexOf("\r\n\r\n");
  const header = body.subarray(0, end < 0 ? body.length : end + 2).toString("latin1");
  const fromFields = [...header.matchAll(/(?:^|\n)(from[ \t]*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n)/gi)].map(
    (m) => m[1]!,
  );
  const values = fromFields.map((f) =>
    f
      .slice(f.indexOf(":") + 1)
      .replace(/\r?\n/g, "")
      .trim(),
  );
  const signed = /(?:^|\n)dkim-signature[ \t]*:/i.test(header);
  const sealed = /(?:^|\n)arc-(seal|message-signature|authentication-results)[ \t]*:/i.test(header);
  const fromDomain = values.length === 1 ? domainOf(values[0]!) : undefined;
  return {
    input: Buffer.from(`${fromFields.join("")}\r\n`, "latin1"),
    checked: [],
    unchecked: signed
      ? [{ domain: "", selector: "", algorithm: "", b: "", result: "permerror", reason }]
      : [],
    ...(sealed ? { arcRefused: reason } : {}),
    ...(fromDomain ? { fromDomain } : {}),
    fromValues: values,
    signed: signed || sealed,
    reportLike: false,
  };
}

/** The domain of the (last) address in a From value, lower-case; a hint for prefetching only. */
function domainOf(value: string): string | undefined {
  const m = /@([A-Za-z0-9.-]+)\.?\s*>?\s*(?:\([^)]*\))?\s*$/.exec(value);
  return m ? m[1]!.toLowerCase() : undefined;
}
