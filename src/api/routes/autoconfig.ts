/**
 * Client autoconfiguration, without a token (clients ask before they have a password), on the
 * public listeners and the admin listener alike:
 * - Thunderbird: GET /.well-known/autoconfig/mail/config-v1.1.xml (on the mail domain) and
 *   GET /mail/config-v1.1.xml (on autoconfig.<domain>), with ?emailaddress= naming the address;
 * - Microsoft Autodiscover (POX): POST /autodiscover/autodiscover.xml (Outlook's path is lower-case,
 *   some clients capitalise it).
 * Only local domains are answered; the documents name the host and the listeners that are on.
 */
import { type Context, Hono } from "hono";
import {
  acceptsOutlookSchema,
  autodiscoverError,
  autodiscoverRequestAddress,
  autodiscoverResponse,
  thunderbirdConfig,
} from "../../autoconfig/mod.ts";
import { domainFind, domainNormalize } from "../../store/mod.ts";
import { rawBody } from "../body.ts";
import { type ApiEnv, clientSettingsOf } from "../deps.ts";
import { problem } from "../problem.ts";

/** An Autodiscover request is a few hundred bytes of XML. */
const MAX_AUTODISCOVER_BODY = 64 * 1024;

const XML = { "content-type": "application/xml; charset=utf-8", "cache-control": "max-age=3600" };

/** The local domain the request is about: from ?emailaddress=, else the Host (autoconfig.<domain>). */
async function requestedDomain(c: Context<ApiEnv>): Promise<string | undefined> {
  const address = c.req.query("emailaddress");
  const host = (c.req.header("host") ?? "").toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const candidate = address?.includes("@")
    ? address.slice(address.lastIndexOf("@") + 1)
    : host.replace(/^autoconfig\./, "");
  return localDomain(c, candidate);
}

async function localDomain(c: Context<ApiEnv>, name: string): Promise<string | undefined> {
  let domain: string;
  try {
    domain = domainNormalize(name);
  } catch {
    return undefined;
  }
  const found = await domainFind(c.get("deps").store.read, domain);
  return found?.name;
}

const settingsOf = (c: Context<ApiEnv>) => clientSettingsOf(c.get("deps"));

async function thunderbird(c: Context<ApiEnv>): Promise<Response> {
  const domain = await requestedDomain(c);
  if (!domain) return problem(c, 404, "Not Found", "no mail domain of this server is named by the request");
  return c.body(thunderbirdConfig(domain, settingsOf(c)), 200, XML);
}

async function autodiscover(c: Context<ApiEnv>): Promise<Response> {
  const body = new TextDecoder().decode(await rawBody(c, MAX_AUTODISCOVER_BODY, "an Autodiscover request"));
  const address = autodiscoverRequestAddress(body);
  if (!address) return c.body(autodiscoverError(600, "Invalid Request"), 200, XML);
  if (!acceptsOutlookSchema(body))
    return c.body(autodiscoverError(601, "Requested schema version not supported"), 200, XML);
  const domain = await localDomain(c, address.slice(address.lastIndexOf("@") + 1));
  if (!domain) return c.body(autodiscoverError(600, "Invalid Request"), 200, XML);
  return c.body(autodiscoverResponse(address, settingsOf(c)), 200, XML);
}

export const autoconfigRoutes = new Hono<ApiEnv>()
  .get("/.well-known/autoconfig/mail/config-v1.1.xml", thunderbird)
  .get("/mail/config-v1.1.xml", thunderbird)
  .post("/autodiscover/autodiscover.xml", autodiscover)
  .post("/Autodiscover/Autodiscover.xml", autodiscover);
