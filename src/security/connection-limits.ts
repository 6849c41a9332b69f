/**
 * Connection slots per client address and in total, for any listener. A server that accepts every
 * connection can be exhausted (file descriptors, memory per session) by one host or by a botnet;
 * callers refuse the connection politely when `tryAcquire()` says no, and release the slot on close.
 */
import { ipBytes } from "./ip-address.ts";

export type SlotRefusal = "address" | "total";

export class ConnectionLimits {
  readonly #perAddress: number;
  readonly #total: number;
  readonly #byAddress = new Map<string, number>();
  #open = 0;

  constructor(options: { perAddress: number; total: number }) {
    this.#perAddress = options.perAddress;
    this.#total = options.total;
  }

  /** Takes a slot for `address`, or says which limit is full (and takes nothing). */
  tryAcquire(address: string): SlotRefusal | undefined {
    if (this.#open >= this.#total) return "total";
    const mine = this.#byAddress.get(address) ?? 0;
    if (mine >= this.#perAddress) return "address";
    this.#byAddress.set(address, mine + 1);
    this.#open++;
    return undefined;
  }

  release(address: string): void {
    const mine = this.#byAddress.get(address);
    if (mine === undefined) return;
    if (mine <= 1) this.#byAddress.delete(address);
    else this.#byAddress.set(address, mine - 1);
    this.#open--;
  }

  get open(): number {
    return this.#open;
  }
}

/**
 * One key per client. IPv4 clients on a dual-stack socket arrive as "::ffff:a.b.c.d". An IPv6 client
 * is keyed by its /64: one host is routinely given a whole /64, so counting single addresses would
 * let it take 2^64 slots.
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const bytes = ipBytes(address);
  if (!bytes) return address;
  if (bytes.length === 4) return bytes.join(".");
  const groups = [0, 2, 4, 6].map((i) => ((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `${groups.join(":")}::/64`;
}
