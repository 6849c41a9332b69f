/** Limits of reading a message's links and one-time codes (issue 16), each with the abuse it stops. */

export const READING_LIMITS = {
  /** Links reported per message: a message of a million links gives a bounded answer. */
  maxLinks: 1_000,
  /** Characters kept of a link's text. */
  maxLinkText: 200,
  /** One-time codes reported per message. */
  maxCodes: 20,
  /**
   * Characters of text searched for codes (the subject and the start of the body): codes sit near
   * the top, and the scan of a 25 MB body for keywords need not run to its end.
   */
  maxCodeTextChars: 100_000,
  /** How far (in characters) a code may be from its keyword ("Your code is: 123456"). */
  codeKeywordDistance: 80,
  /** Characters of context shown on each side of a code. */
  codeContextChars: 40,
} as const;
