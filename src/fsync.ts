import { closeSync, fsyncSync, openSync } from "node:fs";

/**
 * Makes a file's contents, or a directory's entries (a rename into it), durable: a backup or a
 * restored database is only reported done after this, so a crash right after cannot leave a name
 * pointing at nothing.
 */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
