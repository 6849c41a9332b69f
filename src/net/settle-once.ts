/**
 * The one outcome of an outgoing HTTP request (MTA-STS and ACME fetches, webhook posts, rspamd
 * checks): the first of the response, an error or the deadline wins, and whatever comes after is
 * ignored — a socket can report an error after its response ended, and a timer can fire after both.
 * `run` starts the request and returns what tears it down (destroying the request), called once
 * when the outcome is in.
 */
export function settleOnce<T>(
  timeoutMs: number,
  timedOut: () => T,
  run: (settle: (outcome: T) => void) => () => void,
): Promise<T> {
  return new Promise((resolve) => {
    let settled = false;
    let teardown: (() => void) | undefined;
    const settle = (outcome: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      teardown?.();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle(timedOut()), timeoutMs);
    teardown = run(settle);
    if (settled) teardown();
  });
}
