/**
 * /api/v1/backups: online backups of the whole database while the server keeps serving (the same
 * copy as `mailroom backup`: consistent, verified by opening it), listed and downloadable.
 */
import { createReadStream, statSync } from "node:fs";
import { Readable } from "node:stream";
import type { Context } from "hono";
import { Hono } from "hono";
import type { ApiEnv, BackupControl } from "../deps.ts";
import { ApiError } from "../problem.ts";

function backups(c: Context<ApiEnv>): BackupControl {
  const control = c.get("deps").backups;
  if (!control) throw new Error("backups are not available to the API");
  return control;
}

export const backupRoutes = new Hono<ApiEnv>()
  .post("/", async (c) => c.json(await backups(c).create(), 201))
  .get("/", (c) => c.json({ backups: backups(c).list() }))
  .get("/:name", (c) => {
    const name = c.req.param("name");
    const path = backups(c).file(name);
    if (path === undefined) throw new ApiError(404, "Not Found", `backup ${name} not found`);
    const body = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
    return c.body(body, 200, {
      "content-type": "application/vnd.sqlite3",
      "content-length": String(statSync(path).size),
      "content-disposition": `attachment; filename="${name}"`,
    });
  });
