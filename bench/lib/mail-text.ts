/**
 * Text and encodings for the benchmark corpus (bench/lib/mail-corpus.ts): a seeded PRNG, word lists
 * in four languages, quoted-printable, base64 and RFC 2047 encoders, windows-1251, and the header,
 * HTML and address-list builders shared by every kind of message.
 */

/** mulberry32: a tiny seeded PRNG, so the corpus never changes between runs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const EN =
  "the of and to in is you that it for on with as are this be at have from or by meeting report".split(" ");
export const DE =
  "Grüße für über Straße schön Mädchen Bücher Größe müssen wählen Änderung Zuständigkeit".split(" ");
export const FR = "été déjà très à bientôt reçu façon élève crème naïve où garçon".split(" ");
export const RU = "привет письмо отчёт встреча завтра сегодня спасибо вопрос ответ работа".split(" ");

export function words(r: () => number, list: readonly string[], n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(list[Math.floor(r() * list.length)]!);
  return out.join(" ");
}

export function paragraph(r: () => number, n: number): string {
  const mix = [...EN, ...EN, ...DE, ...FR];
  return words(r, mix, n);
}

/** Lines of at most ~72 characters. */
export function wrap(text: string, width = 72): string {
  const lines: string[] = [];
  let line = "";
  for (const w of text.split(" ")) {
    if (line.length + w.length + 1 > width && line !== "") {
      lines.push(line);
      line = w;
    } else {
      line = line === "" ? w : `${line} ${w}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\r\n");
}

export const utf8 = new TextEncoder();

/** RFC 2045 §6.7 quoted-printable of UTF-8 text, soft line breaks at 76. */
export function qp(text: string): string {
  const out: string[] = [];
  for (const line of text.split("\r\n")) {
    let cur = "";
    for (const b of utf8.encode(line)) {
      const t =
        b >= 33 && b <= 126 && b !== 61
          ? String.fromCharCode(b)
          : b === 32
            ? " "
            : `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
      if (cur.length + t.length > 75) {
        out.push(`${cur}=`);
        cur = "";
      }
      cur += t;
    }
    out.push(cur);
  }
  return out.join("\r\n");
}

export function base64Lines(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines.join("\r\n");
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

/** RFC 2047 B words of at most 45 bytes each, folded. */
export function wordB(text: string, charset = "UTF-8"): string {
  const bytes = charset === "UTF-8" ? utf8.encode(text) : cp1251(text);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 45) {
    out.push(`=?${charset}?B?${Buffer.from(bytes.subarray(i, i + 45)).toString("base64")}?=`);
  }
  return out.join("\r\n ");
}

export function wordQ(text: string): string {
  let q = "";
  for (const b of utf8.encode(text)) {
    q +=
      b === 32
        ? "_"
        : /[A-Za-z0-9]/.test(String.fromCharCode(b))
          ? String.fromCharCode(b)
          : `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `=?utf-8?Q?${q}?=`;
}

/** windows-1251 for the Cyrillic letters used here (U+0410-U+044F -> 0xC0-0xFF, ё -> 0xB8). */
export function cp1251(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0;
    if (code === 0x451) return 0xb8;
    return code & 0xff;
  });
}

export function header(r: () => number, n: number, extra: string[]): string[] {
  const received = [];
  for (let i = 0; i < 3; i++) {
    received.push(
      `Received: from mx${i}.remote.example (mx${i}.remote.example [192.0.2.${i + 10}])\r\n\tby mail.example.com with ESMTPS id ${Math.floor(r() * 1e9).toString(36)}\r\n\tfor <bob@example.com>; Tue, 2 Jan 2024 03:04:0${i} +0000`,
    );
  }
  return [
    ...received,
    `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=remote.example; s=s1;\r\n\th=from:to:subject:date:message-id; bh=${base64Lines(randomBytes(r, 32))};\r\n\tb=${base64Lines(randomBytes(r, 128)).replace(/\r\n/g, "\r\n\t ")}`,
    `Message-ID: <${n}.${Math.floor(r() * 1e9)}@remote.example>`,
    "Date: Tue, 2 Jan 2024 03:04:05 -0800 (PST)",
    "MIME-Version: 1.0",
    ...extra,
  ];
}

export const HTML_ENTITIES = [
  "&nbsp;",
  "&amp;",
  "&rsquo;",
  "&#8217;",
  "&copy;",
  "&ndash;",
  "&hellip;",
  "&eacute;",
  "&#x2014;",
];

export function html(r: () => number, paragraphs: number): string {
  const parts = [
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Newsletter</title>',
    "<style>body{font-family:Arial,sans-serif}td{padding:4px}.btn{background:#06c;color:#fff}</style></head>",
    '<body><div style="display:none">Preview text&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;</div>',
    '<table width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center">',
  ];
  for (let i = 0; i < paragraphs; i++) {
    const ent = HTML_ENTITIES[i % HTML_ENTITIES.length];
    parts.push(
      `<tr><td style="font-size:14px;line-height:20px"><p>${paragraph(r, 30)} ${ent} <b>${paragraph(r, 4)}</b>`,
      `<a href="https://remote.example/track?u=${i}&amp;m=${Math.floor(r() * 1e6)}" class="btn">${paragraph(r, 3)}</a></p></td></tr>`,
    );
  }
  parts.push(
    '</td></tr></table><p>&copy; 2024 Remote &amp; Co. &mdash; <a href="#">Unsubscribe</a></p></body></html>',
  );
  return parts.join("\r\n");
}

export function addressList(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = words(r, ["Anna", "Bernd", "Chloé", "Dmitri", "Eva", "Frank", "Günter", "Hélène"], 2);
    const local = `${name.split(" ")[0]!.toLowerCase()}.${i}`;
    out.push(
      i % 3 === 0
        ? `"${name}" <${local}@example.org>`
        : i % 3 === 1
          ? `${wordQ(name)} <${local}@example.net>`
          : `${local}@example.com`,
    );
  }
  return out.join(",\r\n ");
}

export function message(headers: string[], body: string | Uint8Array): Uint8Array {
  const head = utf8.encode(`${headers.join("\r\n")}\r\n\r\n`);
  const tail = typeof body === "string" ? utf8.encode(body) : body;
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
