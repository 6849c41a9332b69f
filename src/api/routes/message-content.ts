/**
 * Reading one message the way a test does (issue 16), under both `/api/v1/messages/{id}` and
 * `/api/v1/accounts/{address}/messages/{id}`: its text, its HTML made safe, its header fields, one
 * MIME part raw or decoded, its links and its one-time codes. All of it answers from the parse
 * stored at delivery: only the header and the bodies asked for are read from the database.
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  chooseBodies,
  decodeBody,
  decodeMimeWords,
  decodeTransfer,
  filenameOf,
  findPart,
  headerFieldsJson,
  htmlToText,
  type MimePart,
} from "../../mime/mod.ts";
import { oneTimeCodes } from "../../reading/codes.ts";
import { sanitizeMessageHtml } from "../../reading/html-sanitize.ts";
import { messageLinks } from "../../reading/links.ts";
import { type ContentView, contentView, type Message, type Reader, StoreError } from "../../store/mod.ts";
import type { ApiEnv } from "../deps.ts";
import { messageOfPath } from "../message-locate.ts";
import { queryParams } from "../params.ts";

const NoQuery = z.strictObject({});
const HtmlQuery = z.strictObject({
  remote: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
});
const PartQuery = z.strictObject({
  decoded: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
});

/** A part number as IMAP writes it (RFC 3501 §6.4.5): "1", "2.1", ...; bounded in length. */
const PART_ID = /^[1-9][0-9]{0,5}(?:\.[1-9][0-9]{0,5}){0,31}$/;

const gone = (m: Message) => new StoreError("not_found", `message ${m.id} not found`);

/** The content's parse with the bodies `pick` names read; 404 when the message went meanwhile. */
async function viewOf(
  r: Reader,
  message: Message,
  pick: (structure: MimePart) => Array<MimePart | null | undefined>,
): Promise<ContentView> {
  const view = await contentView(r, message.contentId, (s) => pick(s).filter((p): p is MimePart => !!p));
  if (!view) throw gone(message);
  return view;
}

/** A part's body decoded to text (transfer encoding and charset). */
function textOf(view: ContentView, part: MimePart | null): string | null {
  if (!part) return null;
  const bytes = view.bodies.get(part);
  return bytes ? decodeBody(bytes, part) : null;
}

/** The readable bodies of a message: its text/plain and text/html, decoded. */
async function bodiesOf(r: Reader, message: Message) {
  const view = await viewOf(r, message, (s) => {
    const b = chooseBodies(s);
    return [b.text, b.html];
  });
  const b = chooseBodies(view.structure);
  return { view, text: textOf(view, b.text), html: textOf(view, b.html) };
}

/** Every part with a Content-ID, by the id without <> (lower-cased): what `cid:` URLs name (RFC 2392). */
function partsByContentId(structure: MimePart): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (part: MimePart) => {
    if (part.id) out.set(part.id.trim().replace(/^<|>$/g, "").toLowerCase(), part.partId);
    for (const child of part.children) walk(child);
    if (part.message) walk(part.message.body);
  };
  walk(structure);
  return out;
}

/** RFC 6266 §4.1 with RFC 8187 for a non-ASCII name; quotes, controls and path separators dropped. */
function contentDisposition(part: MimePart): string {
  const type = part.disposition?.type === "inline" ? "inline" : "attachment";
  const raw = filenameOf(part);
  if (raw === null) return type;
  const name = decodeMimeWords(raw).replace(/[\u0000-\u001f\u007f"\\/]/g, "_");
  const ascii = name.replace(/[^\x20-\x7e]/g, "_");
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The part's media type with its charset (the only parameter a reader of the bytes needs). */
function contentType(part: MimePart): string {
  const charset = part.type === "text" ? part.params.charset : undefined;
  return `${part.type}/${part.subtype}${charset ? `; charset=${charset.replace(/[^A-Za-z0-9._-]/g, "")}` : ""}`;
}

/**
 * The HTML view is for a browser too: even if something slipped past the sanitizer, the page may
 * load nothing from elsewhere and run nothing (CSP sandbox without allow-scripts).
 */
function htmlHeaders(remote: boolean, blocked: number) {
  // With remote=true (the reader asked), images may come from anywhere; still nothing else.
  const img = remote ? "img-src 'self' data: https: http:" : "img-src 'self' data:";
  return {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; ${img}; style-src 'unsafe-inline'; sandbox`,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // Issue 17: how many remote images were taken out, so a reader can be offered them.
    "mailroom-remote-images": String(blocked),
  };
}

export const messageContentRoutes = new Hono<ApiEnv>()
  .get("/text", async (c) => {
    queryParams(c, NoQuery);
    const { store } = c.get("deps");
    const message = await messageOfPath(c);
    const { text, html } = await bodiesOf(store.read, message);
    // Without a plain-text body, the HTML one reduced to its text.
    const body =
      text ??
      (html === null
        ? null
        : htmlToText(html)
            .replace(/[ \t]+/g, " ")
            .trim());
    if (body === null) throw new StoreError("not_found", `message ${message.id} has no text or HTML body`);
    return c.body(body, 200, { "content-type": "text/plain; charset=utf-8" });
  })
  .get("/html", async (c) => {
    const { remote = false } = queryParams(c, HtmlQuery);
    const { store } = c.get("deps");
    const message = await messageOfPath(c);
    const { view, html } = await bodiesOf(store.read, message);
    if (html === null) throw new StoreError("not_found", `message ${message.id} has no HTML body`);
    const cids = partsByContentId(view.structure);
    const base = c.req.path.replace(/\/html$/, "");
    let blocked = 0;
    const safe = sanitizeMessageHtml(html, {
      remoteImages: remote,
      onRemoteImage: () => blocked++,
      cidUrl: (id) => {
        const partId = cids.get(id);
        return partId === undefined ? undefined : `${base}/parts/${partId}?decoded=true`;
      },
    });
    return c.body(safe, 200, htmlHeaders(remote, blocked));
  })
  .get("/headers", async (c) => {
    queryParams(c, NoQuery);
    const { store } = c.get("deps");
    const message = await messageOfPath(c);
    const view = await viewOf(store.read, message, () => []);
    return c.json({ headers: headerFieldsJson(view.header) });
  })
  .get("/parts/:part", async (c) => {
    const { decoded } = queryParams(c, PartQuery);
    const { store } = c.get("deps");
    const message = await messageOfPath(c);
    const partId = c.req.param("part");
    const noPart = () => new StoreError("not_found", `message ${message.id} has no part ${partId}`);
    if (!PART_ID.test(partId)) throw noPart();
    const view = await viewOf(store.read, message, (s) => [findPart(s, partId)]);
    const part = findPart(view.structure, partId);
    const body = part && view.bodies.get(part);
    if (!part || !body) throw noPart();
    const headers: Record<string, string> = {
      "content-disposition": contentDisposition(part),
      "x-content-type-options": "nosniff",
      // What the bytes are, also when they are served still encoded.
      "mailroom-part-type": `${part.type}/${part.subtype}`,
      "mailroom-transfer-encoding": part.encoding.toLowerCase(),
    };
    if (decoded) {
      const bytes = decodeTransfer(body, part.encoding);
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { ...headers, "content-type": contentType(part) });
    }
    // As stored, transfer encoding and all (IMAP's BODY[<part>]): opaque bytes to the client.
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      ...headers,
      "content-type": "application/octet-stream",
    });
  })
  .get("/links", async (c) => {
    queryParams(c, NoQuery);
    const { store } = c.get("deps");
    const message = await messageOfPath(c);
    const { text, html } = await bodiesOf(store.read, message);
    return c.json({ items: messageLinks({ text, html }) });
  })
  .get("/codes", async (c) => {
    queryParams(c, NoQuery);
    const { store } = c.get("deps");
    const message = await messageOfPath(c);
    const { view, text, html } = await bodiesOf(store.read, message);
    const body = text ?? (html === null ? "" : htmlToText(html));
    return c.json({ items: oneTimeCodes(view.subject, body) });
  });
