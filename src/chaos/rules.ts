/**
 * Fault injection for testing clients' retry logic (issue 16): rules that make SMTP, IMAP, POP3 or
 * outgoing delivery answer with a given reply, wait, or drop the connection at one stage, for the
 * connections or commands that match, with a probability. Off (and PUT /api/v1/chaos refused with
 * 403) unless MAILROOM_CHAOS=true.
 *
 * The protocols ask `decide()` at each stage and carry the action out in their own terms; this
 * module knows no protocol.
 */
import { z } from "zod";

export const CHAOS_PROTOCOLS = ["smtp", "imap", "pop3", "delivery"] as const;
export const CHAOS_STAGES = ["connect", "mail", "rcpt", "data", "auth", "command"] as const;

/** The stages each protocol has. */
export const STAGES_OF: Record<ChaosProtocol, readonly ChaosStage[]> = {
  smtp: ["connect", "mail", "rcpt", "data", "auth"],
  imap: ["connect", "auth", "command"],
  pop3: ["connect", "auth", "command"],
  // Outgoing delivery: before connecting to the destination, and at its MAIL, RCPT and DATA.
  delivery: ["connect", "mail", "rcpt", "data"],
};

export type ChaosProtocol = (typeof CHAOS_PROTOCOLS)[number];
export type ChaosStage = (typeof CHAOS_STAGES)[number];

/** What a stage knows about its connection or command, for `match`. */
export interface ChaosPoint {
  protocol: ChaosProtocol;
  stage: ChaosStage;
  /** The client's address (delivery: none). */
  client?: string | undefined;
  /** The envelope sender (SMTP MAIL FROM, delivery). */
  from?: string | undefined;
  /** The recipient (SMTP RCPT TO, delivery). */
  to?: string | undefined;
  /** The login name (auth). */
  login?: string | undefined;
  /** The command's name (IMAP, POP3). */
  command?: string | undefined;
  /** The destination domain (delivery). */
  domain?: string | undefined;
}

/** What to do: any of a reply, a delay before it (or before going on), a disconnect. */
export interface ChaosAction {
  /** The reply to send instead of the real one (SMTP "451 4.3.0 ...", IMAP "NO ...", POP3 "-ERR ..."). */
  reply?: string;
  delayMs?: number;
  /** Drop the connection (after the delay), without a reply. */
  disconnect?: boolean;
}

const Duration = z
  .string()
  .max(20)
  .transform((text, ctx) => {
    const m = /^(\d{1,6})(ms|s|m)?$/.exec(text.trim());
    const ms = m
      ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? "s") as "ms" | "s" | "m"]
      : Number.NaN;
    if (!Number.isFinite(ms) || ms > CHAOS_LIMITS.maxDelayMs) {
      ctx.addIssue({
        code: "custom",
        message: `must be a duration like 2s or 500ms, at most ${CHAOS_LIMITS.maxDelayMs / 1000}s`,
      });
      return z.NEVER;
    }
    return ms;
  });

const Substring = z.string().min(1).max(320);

export const ChaosRule = z
  .strictObject({
    protocol: z.enum(CHAOS_PROTOCOLS),
    stage: z.enum(CHAOS_STAGES),
    /** Every given field must be a (case-insensitive) substring of what the stage knows. */
    match: z
      .strictObject({
        client: Substring.optional(),
        from: Substring.optional(),
        to: Substring.optional(),
        login: Substring.optional(),
        command: Substring.optional(),
        domain: Substring.optional(),
      })
      .optional(),
    reply: z.string().min(3).max(500).optional(),
    delay: Duration.optional(),
    disconnect: z.boolean().optional(),
    /** 0 to 1; 1 when absent. */
    probability: z.number().min(0).max(1).optional(),
    /** Applies this many times, then no more (a server that fails twice, then recovers). */
    times: z.number().int().min(1).max(1_000_000).optional(),
  })
  .superRefine((rule, ctx) => {
    if (!STAGES_OF[rule.protocol].includes(rule.stage))
      ctx.addIssue({
        code: "custom",
        path: ["stage"],
        message: `${rule.protocol} has the stages ${STAGES_OF[rule.protocol].join(", ")}`,
      });
    if (rule.reply === undefined && rule.delay === undefined && rule.disconnect !== true)
      ctx.addIssue({ code: "custom", message: "give at least one of reply, delay, disconnect" });
    if (rule.reply !== undefined && rule.disconnect === true)
      ctx.addIssue({ code: "custom", path: ["reply"], message: "a rule replies or disconnects, not both" });
  });

export type ChaosRuleInput = z.input<typeof ChaosRule>;
export type ChaosRuleValue = z.output<typeof ChaosRule>;

export const CHAOS_LIMITS = {
  /** Rules at once: each is checked at every stage of every connection. */
  maxRules: 100,
  /** The longest delay: a rule cannot hold connections (and their slots) for hours. */
  maxDelayMs: 120_000,
} as const;

/** The rules in force; `decide()` is called at every stage of every connection, so it is cheap. */
export class ChaosRules {
  readonly enabled: boolean;
  #rules: Array<{ rule: ChaosRuleValue; input: unknown; used: number }> = [];
  readonly #random: () => number;

  constructor(options: { enabled: boolean; random?: () => number }) {
    this.enabled = options.enabled;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Whether any rule can apply: the protocols ask before they build a point to decide on, so a
   * server without chaos (the default) spends nothing per command.
   */
  get active(): boolean {
    return this.enabled && this.#rules.length > 0;
  }

  /** Replaces every rule (they were checked by ChaosRule). */
  set(rules: ReadonlyArray<{ rule: ChaosRuleValue; input: unknown }>): void {
    this.#rules = rules.map((r) => ({ ...r, used: 0 }));
  }

  clear(): void {
    this.#rules = [];
  }

  /** The rules as they were given, with how often each has applied. */
  list(): Array<Record<string, unknown>> {
    return this.#rules.map((r) => ({ ...(r.input as Record<string, unknown>), applied: r.used }));
  }

  /** The first rule that matches and wins its draw, as an action; undefined when none does. */
  decide(point: ChaosPoint): ChaosAction | undefined {
    if (!this.active) return undefined;
    for (const entry of this.#rules) {
      const { rule } = entry;
      if (rule.protocol !== point.protocol || rule.stage !== point.stage) continue;
      if (rule.times !== undefined && entry.used >= rule.times) continue;
      if (!matches(rule.match, point)) continue;
      if (rule.probability !== undefined && this.#random() >= rule.probability) continue;
      entry.used++;
      return {
        ...(rule.reply !== undefined ? { reply: rule.reply } : {}),
        ...(rule.delay !== undefined ? { delayMs: rule.delay } : {}),
        ...(rule.disconnect ? { disconnect: true } : {}),
      };
    }
    return undefined;
  }
}

function matches(match: ChaosRuleValue["match"], point: ChaosPoint): boolean {
  if (!match) return true;
  for (const [key, needle] of Object.entries(match) as Array<[keyof typeof match, string | undefined]>) {
    if (needle === undefined) continue;
    const value = point[key];
    if (value === undefined || !value.toLowerCase().includes(needle.toLowerCase())) return false;
  }
  return true;
}

/** Waits `ms` (0: not at all). */
export function chaosDelay(ms: number | undefined): Promise<void> | undefined {
  if (!ms) return undefined;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
