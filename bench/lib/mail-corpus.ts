/**
 * A deterministic corpus of realistic messages for the MIME benchmark: the kinds of mail a server
 * parses at delivery every day (notifications, replies in quoted-printable, HTML newsletters full
 * of entities, base64 HTML from marketing mailers, attachments with RFC 2231 names, forwards,
 * legacy charsets, long recipient lists, calendar invitations). Same seed, same bytes, every run.
 */

export interface CorpusMessage {
  kind: string;
  raw: Uint8Array;
}

/** mulberry32: a tiny seeded PRNG, so the corpus never changes between runs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EN =
  "the of and to in is you that it for on with as are this be at have from or by meeting report".split(" ");
const DE = "Grüße für über Straße schön Mädchen Bücher Größe müssen wählen Änderung Zuständigkeit".split(" ");
const FR = "été déjà très à bientôt reçu façon élève crème naïve où garçon".split(" ");
const RU = "привет письмо отчёт встреча завтра сегодня спасибо вопрос ответ работа".split(" ");

function words(r: () => number, list: readonly string[], n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(list[Math.floor(r() * list.length)]!);
  return out.join(" ");
}

function paragraph(r: () => number, n: number): string {
  const mix = [...EN, ...EN, ...DE, ...FR];
  return words(r, mix, n);
}

/** Lines of at most ~72 characters. */
function wrap(text: string, width = 72): string {
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

const utf8 = new TextEncoder();

/** RFC 2045 §6.7 quoted-printable of UTF-8 text, soft line breaks at 76. */
function qp(text: string): string {
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

function base64Lines(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines.join("\r\n");
}

function randomBytes(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

/** RFC 2047 B words of at most 45 bytes each, folded. */
function wordB(text: string, charset = "UTF-8"): string {
  const bytes = charset === "UTF-8" ? utf8.encode(text) : cp1251(text);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 45) {
    out.push(`=?${charset}?B?${Buffer.from(bytes.subarray(i, i + 45)).toString("base64")}?=`);
  }
  return out.join("\r\n ");
}

function wordQ(text: string): string {
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
function cp1251(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0;
    if (code === 0x451) return 0xb8;
    return code & 0xff;
  });
}

function header(r: () => number, n: number, extra: string[]): string[] {
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

const HTML_ENTITIES = [
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

function html(r: () => number, paragraphs: number): string {
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

function addressList(r: () => number, n: number): string {
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

function message(headers: string[], body: string | Uint8Array): Uint8Array {
  const head = utf8.encode(`${headers.join("\r\n")}\r\n\r\n`);
  const tail = typeof body === "string" ? utf8.encode(body) : body;
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

function notification(r: () => number, n: number): Uint8Array {
  return message(
    header(r, n, [
      "From: GitHub <noreply@github.example>",
      "To: bob@example.com",
      `Subject: [repo] Build #${n} passed`,
      "Content-Type: text/plain; charset=us-ascii",
      "Content-Transfer-Encoding: 7bit",
    ]),
    `${wrap(words(r, EN, 150))}\r\n\r\n-- \r\nYou are receiving this because you are subscribed.\r\n`,
  );
}

function replyQp(r: () => number, n: number): Uint8Array {
  const quoted = wrap(paragraph(r, 200))
    .split("\r\n")
    .map((l) => `> ${l}`)
    .join("\r\n");
  return message(
    header(r, n, [
      `From: ${wordQ("Jürgen Müller")} <jm@remote.example>`,
      `To: Bob <bob@example.com>, ${addressList(r, 3)}`,
      `Cc: ${addressList(r, 5)}`,
      `Subject: Re: ${wordQ("Änderung der Zuständigkeit für Größe")}`,
      `In-Reply-To: <${n - 1}@example.com>`,
      `References: ${Array.from({ length: 8 }, (_, i) => `<${n - i}.thread@example.com>`).join("\r\n ")}`,
      "Content-Type: text/plain; charset=utf-8; format=flowed",
      "Content-Transfer-Encoding: quoted-printable",
    ]),
    `${qp(wrap(paragraph(r, 120)))}\r\n\r\n${qp(quoted)}\r\n`,
  );
}

function newsletter(r: () => number, n: number): Uint8Array {
  return message(
    header(r, n, [
      `From: ${wordB("Remote & Co. 🛍️ Newsletter")} <news@remote.example>`,
      "To: bob@example.com",
      `Subject: ${wordB("Die besten Angebote für Sie — nur heute! 🎉")}`,
      "List-Unsubscribe: <mailto:unsub@remote.example?subject=unsub>, <https://remote.example/u/123>",
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
      'Content-Type: multipart/alternative; boundary="=_alt_7f3a"',
    ]),
    [
      "--=_alt_7f3a",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      qp(wrap(paragraph(r, 1200))),
      "--=_alt_7f3a",
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      qp(html(r, 120)),
      "--=_alt_7f3a--",
      "",
    ].join("\r\n"),
  );
}

function htmlBase64(r: () => number, n: number): Uint8Array {
  return message(
    header(r, n, [
      "From: Shop <orders@shop.example>",
      "To: bob@example.com",
      `Subject: ${wordB(`Ihre Bestellung #${n} wurde versandt 📦`)}`,
      `Content-Type: multipart/alternative; boundary="b1_${n}"`,
    ]),
    [
      `--b1_${n}`,
      "Content-Type: text/plain; charset=UTF-8",
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(utf8.encode(wrap(paragraph(r, 400)))),
      `--b1_${n}`,
      "Content-Type: text/html; charset=UTF-8",
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(utf8.encode(html(r, 80))),
      `--b1_${n}--`,
      "",
    ].join("\r\n"),
  );
}

function attachment(r: () => number, n: number): Uint8Array {
  return message(
    header(r, n, [
      `From: ${wordQ("Hélène Dubois")} <helene@remote.example>`,
      "To: bob@example.com",
      `Subject: ${wordQ("Rapport trimestriel — déjà reçu?")}`,
      'Content-Type: multipart/mixed; boundary="----=_Part_1_2024"',
    ]),
    [
      "------=_Part_1_2024",
      "Content-Type: text/plain; charset=iso-8859-1",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Bonjour,\r\n\r\nVeuillez trouver ci-joint le rapport. =C0 bient=F4t.\r\n",
      "------=_Part_1_2024",
      "Content-Type: application/pdf;",
      " name*0*=utf-8''Rapport%20trimestriel%20%C3%A9t%C3%A9%202024;",
      ' name*1="_version finale.pdf"',
      "Content-Transfer-Encoding: base64",
      "Content-Disposition: attachment;",
      " filename*0*=utf-8''Rapport%20trimestriel%20%C3%A9t%C3%A9%202024;",
      ' filename*1="_version finale.pdf"; size=153600',
      "",
      base64Lines(randomBytes(r, 150 * 1024)),
      "------=_Part_1_2024--",
      "",
    ].join("\r\n"),
  );
}

function photos(r: () => number, n: number): Uint8Array {
  const images: string[] = [];
  for (let i = 0; i < 2; i++) {
    images.push(
      "--photos",
      `Content-Type: image/jpeg; name="IMG_${2000 + i}.JPG"`,
      `Content-Disposition: attachment; filename="IMG_${2000 + i}.JPG"`,
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(randomBytes(r, 200 * 1024)),
    );
  }
  return message(
    header(r, n, [
      "From: Eva <eva@remote.example>",
      "To: Bob <bob@example.com>",
      "Subject: Photos from the weekend",
      "Content-Type: multipart/mixed; boundary=photos",
    ]),
    [
      "--photos",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Here they are!",
      ...images,
      "--photos--",
      "",
    ].join("\r\n"),
  );
}

function forward(r: () => number, n: number): Uint8Array {
  const inner = new TextDecoder().decode(newsletter(r, n + 1000));
  return message(
    header(r, n, [
      "From: Frank <frank@remote.example>",
      "To: bob@example.com",
      "Subject: Fwd: this week's offers",
      "Content-Type: multipart/mixed; boundary=fwd",
    ]),
    [
      "--fwd",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "FYI, see below.",
      "--fwd",
      "Content-Type: message/rfc822",
      "",
      inner,
      "--fwd--",
      "",
    ].join("\r\n"),
  );
}

function cyrillic(r: () => number, n: number): Uint8Array {
  const subject = words(r, RU, 5);
  const head = utf8.encode(
    `${header(r, n, [
      `From: ${wordB("Дмитрий Иванов", "windows-1251")} <dmitri@remote.example>`,
      "To: bob@example.com",
      `Subject: ${wordB(subject, "windows-1251")}`,
      "Content-Type: text/plain; charset=windows-1251",
      "Content-Transfer-Encoding: 8bit",
    ]).join("\r\n")}\r\n\r\n`,
  );
  const body = cp1251(`${wrap(words(r, RU, 300))}\r\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function cyrillicQp(r: () => number, n: number): Uint8Array {
  return message(
    header(r, n, [
      `From: ${wordB("Ольга Петрова")} <olga@remote.example>`,
      "To: bob@example.com",
      `Subject: ${wordB(`Re: ${words(r, RU, 4)}`)}`,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
    ]),
    `${qp(wrap(words(r, RU, 400)))}\r\n`,
  );
}

function bigList(r: () => number, n: number): Uint8Array {
  return message(
    header(r, n, [
      "From: Office <office@remote.example>",
      `To: Team: ${addressList(r, 40)};`,
      `Cc: ${addressList(r, 20)}`,
      "Subject: All hands on Friday",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
    ]),
    `${wrap(paragraph(r, 250))}\r\n`,
  );
}

function invitation(r: () => number, n: number): Uint8Array {
  const ics = [
    "BEGIN:VCALENDAR",
    "METHOD:REQUEST",
    "BEGIN:VEVENT",
    `UID:${n}@remote.example`,
    "DTSTART:20240105T090000Z",
    "DTEND:20240105T100000Z",
    `SUMMARY:${words(r, EN, 5)}`,
    `DESCRIPTION:${words(r, EN, 60)}`,
    "END:VEVENT",
    "END:VCALENDAR",
  ].join("\r\n");
  return message(
    header(r, n, [
      "From: Anna <anna@remote.example>",
      "To: Bob <bob@example.com>, Chloé <chloe@example.org>",
      "Subject: Invitation: planning @ Fri 5 Jan 2024 09:00 (UTC)",
      'Content-Type: multipart/mixed; boundary="000000000000inv"',
    ]),
    [
      "--000000000000inv",
      'Content-Type: multipart/alternative; boundary="000000000000alt"',
      "",
      "--000000000000alt",
      'Content-Type: text/plain; charset="UTF-8"',
      "",
      wrap(words(r, EN, 80)),
      "--000000000000alt",
      'Content-Type: text/html; charset="UTF-8"',
      "Content-Transfer-Encoding: quoted-printable",
      "",
      qp(html(r, 6)),
      "--000000000000alt",
      'Content-Type: text/calendar; charset="UTF-8"; method=REQUEST',
      "Content-Transfer-Encoding: 7bit",
      "",
      ics,
      "--000000000000alt--",
      "--000000000000inv",
      'Content-Type: application/ics; name="invite.ics"',
      'Content-Disposition: attachment; filename="invite.ics"',
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(utf8.encode(ics)),
      "--000000000000inv--",
      "",
    ].join("\r\n"),
  );
}

const KINDS: Array<[string, (r: () => number, n: number) => Uint8Array]> = [
  ["notification (text, 7bit)", notification],
  ["reply (QP, encoded words, 8 Cc)", replyQp],
  ["newsletter (QP text + HTML, entities)", newsletter],
  ["shop mail (base64 text + HTML)", htmlBase64],
  ["attachment (150 KB PDF, RFC 2231 name)", attachment],
  ["photos (2 x 200 KB JPEG)", photos],
  ["forward (message/rfc822)", forward],
  ["windows-1251 (8bit, B words)", cyrillic],
  ["Cyrillic (QP UTF-8)", cyrillicQp],
  ["60 recipients (group, Q names)", bigList],
  ["invitation (calendar, nested)", invitation],
];

/** One message of each kind. */
export function mailCorpus(seed = 20240102): CorpusMessage[] {
  const r = rng(seed);
  return KINDS.map(([kind, make], i) => ({ kind, raw: make(r, i + 1) }));
}
