/** Client autoconfiguration documents: Thunderbird autoconfig, Microsoft Autodiscover, Apple profiles. */
export {
  acceptsOutlookSchema,
  autodiscoverError,
  autodiscoverRequestAddress,
  autodiscoverResponse,
} from "./autodiscover.ts";
export { appleMailProfile } from "./mobileconfig.ts";
export type { ClientSettings } from "./settings.ts";
export { thunderbirdConfig } from "./thunderbird.ts";
