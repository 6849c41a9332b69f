/**
 * ACME facts (src/acme/ decides what to do with them): the account of each directory (RFC 8555
 * §7.3: its key and URL) and the certificates issued, newest first. Private keys go through raw
 * statements: drizzle puts a failed query's parameters into its error message, which may be logged.
 */
import { type Reader, rawFirst, type Write } from "./db.ts";

export interface AcmeAccount {
  directory: string;
  privateKey: string;
  url: string;
  contact: string | null;
}

export interface AcmeCertificate {
  id: number;
  directory: string;
  /** Sorted. */
  names: string[];
  chain: string;
  privateKey: string;
  notBefore: number;
  notAfter: number;
  createdAt: number;
}

export async function acmeAccountGet(r: Reader, directory: string): Promise<AcmeAccount | undefined> {
  const row = await rawFirst(r, {
    sql: "SELECT directory, private_key, url, contact FROM acme_accounts WHERE directory = ?",
    args: [directory],
  });
  if (!row) return undefined;
  return {
    directory: String(row.directory),
    privateKey: String(row.private_key),
    url: String(row.url),
    contact: row.contact === null ? null : String(row.contact),
  };
}

/** Stores (or replaces) the account of a directory. */
export async function acmeAccountPut(w: Write, account: AcmeAccount): Promise<void> {
  await w.exec({
    sql: `INSERT INTO acme_accounts (directory, private_key, url, contact) VALUES (?, ?, ?, ?)
          ON CONFLICT (directory) DO UPDATE SET private_key = excluded.private_key, url = excluded.url,
            contact = excluded.contact`,
    args: [account.directory, account.privateKey, account.url, account.contact],
  });
}

/** The newest certificate issued by `directory`, or undefined. */
export async function acmeCertificateLatest(
  r: Reader,
  directory: string,
): Promise<AcmeCertificate | undefined> {
  const row = await rawFirst(r, {
    sql: `SELECT id, directory, names, chain, private_key, not_before, not_after, created_at
          FROM acme_certificates WHERE directory = ? ORDER BY id DESC LIMIT 1`,
    args: [directory],
  });
  if (!row) return undefined;
  return {
    id: Number(row.id),
    directory: String(row.directory),
    names: String(row.names).split(",").filter(Boolean),
    chain: String(row.chain),
    privateKey: String(row.private_key),
    notBefore: Number(row.not_before),
    notAfter: Number(row.not_after),
    createdAt: Number(row.created_at),
  };
}

/** Stores a newly issued certificate and drops the older ones of its directory. */
export async function acmeCertificateAdd(
  w: Write,
  cert: Omit<AcmeCertificate, "id" | "createdAt">,
): Promise<number> {
  const names = [...cert.names].sort().join(",");
  const result = await w.exec({
    sql: `INSERT INTO acme_certificates (directory, names, chain, private_key, not_before, not_after)
          VALUES (?, ?, ?, ?, ?, ?)`,
    args: [cert.directory, names, cert.chain, cert.privateKey, cert.notBefore, cert.notAfter],
  });
  const id = Number(result.lastInsertRowid);
  await w.exec({
    sql: "DELETE FROM acme_certificates WHERE directory = ? AND id < ?",
    args: [cert.directory, id],
  });
  return id;
}
