/**
 * `bun run build`: compiles Mailroom into one self-contained executable, dist/mailroom.
 *
 * libSQL's `libsql` package loads its native addon with a dynamic `require(\`@libsql/${target}\`)`,
 * which `bun build --compile` cannot follow (oven-sh/bun#18909): the binary would work inside the
 * repository and fail once moved. The plugin below rewrites that call into a static require of this
 * platform's addon, so the addon is embedded and the executable runs from an empty directory.
 */
import { mkdirSync } from "node:fs";
import { arch, platform } from "node:os";
import { buildWebui } from "./build-webui.ts";

function nativeTarget(): string {
  const os = platform();
  const cpu = arch();
  if (os === "linux") {
    // glibc unless this is a musl system (Alpine); Bun itself is built for glibc on Debian.
    const isMusl = (() => {
      try {
        // biome-ignore lint/suspicious/noExplicitAny: process.report is untyped in bun-types
        return !(process as any).report?.getReport?.().header?.glibcVersionRuntime;
      } catch {
        return false;
      }
    })();
    return `linux-${cpu}-${isMusl ? "musl" : "gnu"}`;
  }
  return `${os}-${cpu}`;
}

const target = nativeTarget();
mkdirSync("dist", { recursive: true });

// The web interface first: the executable embeds webui/dist/bundle.ts as it is now.
const webui = await buildWebui();
if (webui.changed) console.log("webui/dist/bundle.ts was stale and is rebuilt: commit it");

const result = await Bun.build({
  entrypoints: ["src/runtime/bun.ts"],
  compile: { outfile: "dist/mailroom" },
  // Not minified: stack traces in the log stay readable, and the size is mostly Bun itself anyway.
  minify: false,
  plugins: [
    {
      name: "libsql-static-native-addon",
      setup(build) {
        build.onLoad({ filter: /node_modules[\\/]libsql[\\/]index\.js$/ }, async (args) => {
          const source = await Bun.file(args.path).text();
          const rewritten = source.replace(
            /return require\(`@libsql\/\$\{target\}`\);/,
            `return require("@libsql/${target}/index.node");`,
          );
          if (rewritten === source) throw new Error("libsql/index.js changed shape: update scripts/build.ts");
          return { contents: rewritten, loader: "js" };
        });
      },
    },
  ],
});

if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built dist/mailroom (${target})`);
