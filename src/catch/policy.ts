/**
 * Who catches what (issue 16): in catch mode (MAILROOM_CATCH) every recipient at every domain, and
 * in any mode the addresses of a live throwaway namespace, get an account made by their first
 * message instead of a 550; and for those addresses IMAP and POP3 take any password. The SMTP
 * hooks and the password check ask this object; they do not know the rules themselves.
 */
import {
  type Account,
  accountFind,
  addressNormalize,
  domainCatchesAll,
  type Reader,
  type Resolution,
} from "../store/mod.ts";

export class CatchPolicy {
  /** Catch mode: every address of every domain, and nothing ever relayed out. */
  readonly all: boolean;

  constructor(options: { all: boolean }) {
    this.all = options.all;
  }

  /**
   * For an RCPT TO that the normal rules did not resolve to accounts: the address whose account
   * the message will create (lower-case), or undefined when the normal answer stands (a 550, or
   * relaying). An existing account is never "created": `local` resolutions are left alone.
   */
  async recipientToCreate(r: Reader, address: string, resolution: Resolution): Promise<string | undefined> {
    if (resolution.kind !== "unknown" && resolution.kind !== "remote") return undefined;
    let parts: ReturnType<typeof addressNormalize>;
    try {
      parts = addressNormalize(address);
    } catch {
      return undefined;
    }
    if (this.all) return parts.address;
    // Outside catch mode only a namespace's own addresses: its domain is local ("unknown" user).
    if (resolution.kind === "unknown" && (await domainCatchesAll(r, parts.domain, Date.now())))
      return parts.address;
    return undefined;
  }

  /**
   * The account a login names when any password will do for it: it exists, is not disabled, and
   * catch mode is on or its domain is a live namespace. Undefined: check the password as usual.
   * The login is read as accountAuthenticate() reads it (a bare local part is in `primaryDomain`).
   */
  async loginAccount(r: Reader, login: string, primaryDomain: string): Promise<Account | undefined> {
    const name = login.trim().toLowerCase();
    if (name === "") return undefined;
    const address = name.includes("@") ? name : `${name}@${primaryDomain}`;
    const account = await accountFind(r, address);
    if (!account || account.disabled) return undefined;
    if (this.all) return account;
    const domain = address.slice(address.lastIndexOf("@") + 1);
    return (await domainCatchesAll(r, domain, Date.now())) ? account : undefined;
  }

  /**
   * Whether mail to these recipients is test mail: catch mode, or every one of them at a live
   * namespace. Such mail gets the inbound authentication checks recorded but not enforced, and no
   * spam verdict or greylisting (src/smtp/data.ts): a test must see each message it sent, at once.
   * None (mail only for remote recipients) is not.
   */
  async testMail(r: Reader, recipients: readonly string[]): Promise<boolean> {
    if (this.all) return true;
    if (recipients.length === 0) return false;
    const domains = new Set(recipients.map((a) => a.slice(a.lastIndexOf("@") + 1).toLowerCase()));
    const now = Date.now();
    for (const domain of domains) if (!(await domainCatchesAll(r, domain, now))) return false;
    return true;
  }
}
