/** Placeholder until this command family lands. */
import { ImapNo } from "../errors.ts";
import type { CommandContext } from "../session.ts";

const todo = async (_ctx: CommandContext): Promise<string> => {
  throw new ImapNo("CANNOT", "not implemented yet");
};
export const create = todo;
export const deleteMailbox = todo;
export const rename = todo;
export const subscribe = todo;
export const unsubscribe = todo;
export const list = todo;
export const lsub = todo;
export const status = todo;
