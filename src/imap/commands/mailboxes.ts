/** The mailbox commands of RFC 3501 §6.3.3-10, one file per command under mailbox/. */
export { create } from "./mailbox/create.ts";
export { deleteMailbox } from "./mailbox/delete.ts";
export { list, lsub } from "./mailbox/list.ts";
export { rename } from "./mailbox/rename.ts";
export { status } from "./mailbox/status.ts";
export { subscribe, unsubscribe } from "./mailbox/subscribe.ts";
