/**
 * A deterministic corpus of realistic messages for the MIME benchmark: the kinds of mail a server
 * parses at delivery every day (notifications, replies in quoted-printable, HTML newsletters full
 * of entities, base64 HTML from marketing mailers, attachments with RFC 2231 names, forwards,
 * legacy charsets, long recipient lists, calendar invitations). Same seed, same bytes, every run.
 */

import {
  addressList,
  base64Lines,
  cp1251,
  EN,
  header,
  html,
  message,
  paragraph,
  qp,
  RU,
  randomBytes,
  rng,
  utf8,
  wordB,
  wordQ,
  words,
  wrap,
} from "./mail-text.ts";

export interface CorpusMessage {
  kind: string;
  raw: Uint8Array;
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
