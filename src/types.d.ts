// Text imports of SQL migrations (embedded by Bun at build time).
declare module "*.sql" {
  const text: string;
  export default text;
}

// openapi.yaml, embedded as text.
declare module "*.yaml" {
  const text: string;
  export default text;
}

// mailauth's formatter of one Authentication-Results resinfo (RFC 8601 §2.2), which it exports
// from lib/tools.js without a type: the escaping and length limits (998-octet lines) are its own.
declare module "mailauth/lib/tools.js" {
  export function formatAuthHeaderRow(
    method: string,
    status: {
      result: string;
      comment?: string;
      smtp?: Record<string, string | undefined>;
      header?: Record<string, unknown>;
      policy?: Record<string, string | undefined>;
    },
    options?: { strict?: boolean },
  ): string;
}

// mailauth's RFC 9989 §4.10 tree walk, exported from lib/dmarc/get-dmarc-record.js without a type:
// the Organizational Domain of a name, from the DMARC records DNS serves (no public suffix list).
declare module "mailauth/lib/dmarc/get-dmarc-record.js" {
  type Resolver = (name: string, rrtype: string) => Promise<unknown>;
  export function createRecordLookup(
    resolver: Resolver,
    options?: { strict?: boolean },
  ): (name: string) => Promise<unknown>;
  export function getOrgDomain(domain: string, lookup: (name: string) => Promise<unknown>): Promise<string>;
}
