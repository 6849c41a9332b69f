/** Placeholder until this command family lands. */
import { ImapNo } from "../errors.ts";
import type { CommandContext } from "../session.ts";

export async function append(_ctx: CommandContext): Promise<string> {
  throw new ImapNo("CANNOT", "not implemented yet");
}
