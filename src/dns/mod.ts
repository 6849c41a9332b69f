/**
 * DNS for all of Mailroom: one resolver (resolver.ts) that speaks DNS on the wire to the configured
 * servers (MAILROOM_DNS_SERVERS, else the system's), with typed results that tell records, NXDOMAIN,
 * NODATA and temporary failure apart, TTLs, and the AD bit for DANE.
 */
export { DNS_LIMITS } from "./limits.ts";
export { mailauthResolver } from "./mailauth-resolver.ts";
export { reverseName } from "./names.ts";
export { DnsResolver, type ResolverOptions } from "./resolver.ts";
export { parseDnsServer, parseDnsServers, parseResolvConf, systemDnsServers } from "./servers.ts";
// The result types (types.ts) are all public: the callers name what the resolver hands them.
export type * from "./types.ts";
