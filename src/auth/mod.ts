/**
 * Mail authentication for a running server, as main.ts wires it: the DKIM key keeper (keys for
 * every local domain, rotation, the retirement timer), the signer of outgoing mail and DSNs, and
 * the deliverability answers (keys, DNS records) the admin API gives.
 */
import type { Config } from "../config.ts";
import type { DnsResolver } from "../dns/mod.ts";
import type { Logger } from "../log.ts";
import type { Reader, Store } from "../store/mod.ts";
import { Deliverability } from "./deliverability.ts";
import { DkimKeeper } from "./dkim-keys.ts";
import { type PublishSettings, publishSettingsOf } from "./dns-records.ts";
import { OutgoingSigner } from "./outgoing.ts";

export { Deliverability } from "./deliverability.ts";
export { DkimKeeper } from "./dkim-keys.ts";
export { mtaStsPolicy, mtaStsPolicyId } from "./mta-sts-policy.ts";

export interface MailAuth {
  keeper: DkimKeeper;
  /** Mail from a user to remote recipients: 7-bit and signed, once, before it is stored. */
  signOutgoing(raw: Uint8Array): Promise<Uint8Array>;
  /** A DSN to a remote sender, inside the bounce's write (keys read through its transaction). */
  signNotice(raw: Uint8Array, reader: Reader): Promise<Uint8Array>;
  /** The API's view, with the ports the listeners actually bound (for the SRV records). */
  deliverability(bound: Partial<PublishSettings["ports"]>): Deliverability;
  stop(): Promise<void>;
}

export function startMailAuth(options: {
  store: Store;
  log: Logger;
  config: Config;
  resolver: DnsResolver;
}): MailAuth {
  const { store, log, config, resolver } = options;
  // Every local domain gets keys (in the background, RSA generation is slow); start() returns at once.
  const keeper = new DkimKeeper({ store, log, graceMs: config.dkimGrace });
  keeper.start();
  const signer = new OutgoingSigner({ store, keeper, primaryDomain: config.domain, log });
  return {
    keeper,
    signOutgoing: (raw) => signer.sign(raw),
    signNotice: (raw, reader) => signer.sign(raw, { reader, notice: true }),
    deliverability: (bound) =>
      new Deliverability({ store, keeper, resolver, settings: publishSettingsOf(config, bound) }),
    stop: () => keeper.stop(),
  };
}
