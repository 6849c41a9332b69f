/**
 * The subcommands that are tools rather than the server (`mailroom backup`, `restore`, `import`,
 * `export`): each gets the settings, its arguments and options, and where to write; returns the exit code.
 */
import type { Config } from "../config.ts";
import type { EmbeddedMigrations } from "../store/mod.ts";

export interface ToolInput {
  config: Config;
  migrations: EmbeddedMigrations;
  args: string[];
  options: Map<string, string>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress bar) or not (JSON progress lines). */
  interactive: boolean;
}

export type ToolCommand = (input: ToolInput) => Promise<number>;
