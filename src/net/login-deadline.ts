/**
 * Time from connect to a successful login, however active the client is: the inactivity timeout
 * alone lets a slowloris client that trickles a byte now and then, or retries logins forever, hold
 * its slot without end. (Dovecot's login processes allow 3 minutes too.) IMAP and POP3 start one per
 * connection and cancel it on login and on close; the length is each protocol's `loginDeadlineMs`.
 * (SMTP's deadline covers the whole session: smtp/session-guard.ts.)
 */
export class LoginDeadline {
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `expire` runs once after `ms` unless `cancel()` came first (it says goodbye and closes). */
  constructor(ms: number, expire: () => void) {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      expire();
    }, ms);
  }

  /** Logged in, or closed: the deadline no longer applies. Idempotent. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
