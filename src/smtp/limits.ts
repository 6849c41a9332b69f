/**
 * Limits of the SMTP side that more than one hook or worker applies, each written once here with
 * what it stops. (Outgoing delivery's own limits are in queue/limits.ts.)
 */

/** RFC 5321 §4.5.3.1.8: the fewest recipients every SMTP server must accept in one transaction. */
export const RFC5321_MIN_RECIPIENTS = 100;

export const SMTP_LIMITS = {
  /**
   * RFC 5321 §6.3 loop detection: a message carrying more Received: fields than this has passed
   * that many relays and is going round in circles. Checked when it arrives (refused, 554 5.4.6)
   * and again before we relay it (bounced, 5.4.6), so a loop through us stops on either side.
   */
  maxReceivedHeaders: 30,
  /**
   * RCPTs taken in one transaction (452 4.5.3 past it): the RFC minimum. One DATA fans out into a
   * message per account and a queue row per remote recipient; the bound keeps one transaction from
   * turning into an unbounded write, and a spammer's single DATA into mail for a whole directory.
   */
  maxRecipients: RFC5321_MIN_RECIPIENTS,
} as const;
