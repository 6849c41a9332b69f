/** The version printed by `mailroom version` and served in /metrics: the package's. */
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
