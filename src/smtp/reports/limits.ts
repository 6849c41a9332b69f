/**
 * Limits of the DMARC and TLS-RPT aggregate reports we receive and send, in one place, with what
 * each one stops. (The TLS report's sending limits live with the TLS policies, queue/limits.ts.)
 */
export const REPORT_LIMITS = {
  /**
   * Decompressed size of one received report. A gzip or zip bomb expands ~1000:1 (a 50 KB
   * attachment to 50 MB); decompression stops here. A day's report of a large sender is a few MB.
   */
  maxReportBytes: 8 * 1024 * 1024,
  /** Records (DMARC <record>, TLS-RPT policies and failure details) kept from one report. */
  maxRecords: 20_000,
  /** Attachments of one message looked at for a report. */
  maxParts: 8,
  /** XML nesting accepted (a DMARC report is 5 deep): deep nesting is a parser stack attack. */
  maxXmlDepth: 20,
  /** Days received reports are kept before they are pruned. */
  keepReceivedDays: 90,
  /** Days of our own counters kept (for GET /api/v1/reports/dmarc) before they are pruned. */
  keepResultsDays: 30,
  /** rua destinations one report goes to (RFC 7489 §6.3 lets a record list several). */
  maxDestinations: 5,
  /** Our report for one domain and day: a record per distinct outcome, bounded like the received ones. */
  maxSentRecords: 20_000,
} as const;
