/** Placeholder until this command family lands. */
import { ImapNo } from "../errors.ts";
import type { CommandContext } from "../session.ts";

export async function copy(_ctx: CommandContext): Promise<string> {
  throw new ImapNo("CANNOT", "not implemented yet");
}
export async function move(_ctx: CommandContext): Promise<string> {
  throw new ImapNo("CANNOT", "not implemented yet");
}
