/**
 * Delivery-time MIME parse speed: parseMessage() over a corpus of realistic messages
 * (bench/lib/mail-corpus.ts), reported in ns per message, plus the string-level decoders on their
 * own (RFC 2047 words, address lists, RFC 2231 parameters, quoted-printable and base64 bodies,
 * HTML to text) in ns per call or per KB of input, on the corpus and on crafted input. In-process,
 * no server, no database.
 *
 *   bun bench/mime-parse.ts [--variants DIR[,DIR...]] [--rounds 25] [--ms 20]
 *
 * `--variants` lists copies of src/mime to compare (default: src/mime alone); the first is the
 * baseline. To compare with an older commit: `mkdir -p .bench/before && git archive <commit>
 * src/mime | tar -x -C .bench/before`, then `--variants .bench/before/src/mime,src/mime` (inside
 * the repository, so that its node_modules resolve). All variants are loaded into one process and timed
 * interleaved: each round times one batch (~`--ms` ms) of every variant, in rotating order, so the
 * noise of a shared 2-core machine falls on every variant alike. A figure is the median over the
 * rounds, in CPU time of this process (garbage collection included); "ratio" is the median of the
 * per-round ratios to the baseline, with its quartiles.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { mailCorpus } from "./lib/mail-corpus.ts";

const { values } = parseArgs({
  options: {
    variants: { type: "string", default: "src/mime" },
    rounds: { type: "string", default: "25" },
    ms: { type: "string", default: "20" },
  },
});
const rounds = Number(values.rounds);
const batchMs = Number(values.ms);

/** One figure: an operation per variant, and how many units (messages, calls, KB) one call covers. */
interface Figure {
  name: string;
  units: number;
  ops: Array<() => number>;
}

let sink = 0;

/**
 * CPU time of one batch, in ms. CPU time rather than wall time: on a shared, overloaded machine the
 * time a batch spends descheduled is the other processes' noise, not the parser's cost.
 */
function batch(fn: () => number, reps: number): number {
  const t = process.cpuUsage();
  for (let i = 0; i < reps; i++) sink += fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Interleaved timing of every variant of one figure; returns ns per unit per variant and ratios. */
function time(figure: Figure): { ns: number[]; ratio: Array<[number, number, number]> } {
  // Warm-up (JIT) and a batch size that takes about batchMs for the baseline.
  for (const op of figure.ops) batch(op, 1);
  let reps = 1;
  while (batch(figure.ops[0]!, reps) < batchMs / 2) reps *= 2;
  for (const op of figure.ops) batch(op, reps);
  const samples: number[][] = figure.ops.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < figure.ops.length; k++) {
      const v = (r + k) % figure.ops.length;
      samples[v]!.push((batch(figure.ops[v]!, reps) * 1e6) / (reps * figure.units));
    }
  }
  const ns = samples.map((s) =>
    quantile(
      [...s].sort((a, b) => a - b),
      0.5,
    ),
  );
  const ratio = samples.map((s): [number, number, number] => {
    const rs = s.map((x, r) => x / samples[0]![r]!).sort((a, b) => a - b);
    return [quantile(rs, 0.25), quantile(rs, 0.5), quantile(rs, 0.75)];
  });
  return { ns, ratio };
}

// biome-ignore lint/suspicious/noExplicitAny: each variant is a module loaded by path at run time.
type Mod = Record<string, any>;

/** The MIME module of one variant, plus the internals the decoder figures call. */
async function load(dir: string): Promise<Mod> {
  const base = resolve(dir);
  return {
    ...(await import(`${base}/mod.ts`)),
    parseStructured: (await import(`${base}/params.ts`)).parseStructured,
    htmlToText: (await import(`${base}/search-text.ts`)).htmlToText,
  };
}

type Part = {
  start: number;
  bodyStart: number;
  end: number;
  encoding: string;
  subtype: string;
  children: Part[];
  message?: { body: Part };
};

/** The figures, each with one operation per variant; inputs come from the corpus, split by the baseline. */
function figures(mods: Mod[]): Figure[] {
  const base = mods[0]!;
  const corpus = mailCorpus();
  const out: Figure[] = [];
  const figure = (name: string, units: number, op: (m: Mod) => () => number) =>
    out.push({ name, units, ops: mods.map(op) });

  for (const { kind, raw } of corpus) {
    figure(
      `  ${kind}, ${Math.round(raw.length / 1024)} KB, ns/msg`,
      1,
      (m) => () => m.parseMessage(raw).searchText.length,
    );
  }

  const fields: Array<{ name: string; value: string }> = corpus.flatMap(({ raw }) =>
    base.parseHeaders(raw, 0, raw.length),
  );
  const pick = (names: string[]) =>
    fields.filter((f) => names.includes(f.name.toLowerCase())).map((f) => f.value);
  const wordValues = pick(["subject", "from", "to", "cc"]).filter((v) => v.includes("=?"));
  const addressValues = pick(["from", "to", "cc"]);
  const parts: Array<{ kind: string; raw: Uint8Array; part: Part }> = [];
  for (const { kind, raw } of corpus) {
    const walk = (p: Part) => {
      parts.push({ kind, raw, part: p });
      for (const c of p.children) walk(c);
      if (p.message) walk(p.message.body);
    };
    walk(base.parseMessage(raw).structure);
  }
  const structured = parts.flatMap(({ raw, part }) =>
    (base.parseHeaders(raw, part.start, part.bodyStart) as Array<{ name: string; value: string }>)
      .filter((f) => /^content-(type|disposition)$/i.test(f.name))
      .map((f) => f.value),
  );
  const bodyOf = (enc: string, sub: string, kind = ""): Uint8Array => {
    const leaf = parts.find(
      (l) => l.part.encoding === enc && l.part.subtype === sub && l.kind.includes(kind),
    )!;
    return leaf.raw.subarray(leaf.part.bodyStart, leaf.part.end);
  };
  const qpHtml = bodyOf("QUOTED-PRINTABLE", "html");
  const qpCyrillic = bodyOf("QUOTED-PRINTABLE", "plain", "Cyrillic");
  const b64Html = bodyOf("BASE64", "html");
  const b64Pdf = bodyOf("BASE64", "pdf");
  const html = new TextDecoder().decode(base.decodeTransfer(qpHtml, "quoted-printable"));

  const each = (list: string[], fn: string) => (m: Mod) => () => {
    let n = 0;
    for (const v of list) n += m[fn](v).length ?? 1;
    return n;
  };
  figure(
    `decodeMimeWords, ${wordValues.length} header values, ns/call`,
    wordValues.length,
    each(wordValues, "decodeMimeWords"),
  );
  figure(
    `parseAddressList, ${addressValues.length} fields, ns/call`,
    addressValues.length,
    each(addressValues, "parseAddressList"),
  );
  figure(`parseStructured, ${structured.length} Content-* values, ns/call`, structured.length, (m) => () => {
    let n = 0;
    for (const v of structured) n += m.parseStructured(v).value.length;
    return n;
  });
  const kb = (n: number) => n / 1024;
  figure(
    `quoted-printable, HTML body ${Math.round(kb(qpHtml.length))} KB, ns/KB`,
    kb(qpHtml.length),
    (m) => () => m.decodeTransfer(qpHtml, "quoted-printable").length,
  );
  figure(
    `quoted-printable, Cyrillic text ${Math.round(kb(qpCyrillic.length))} KB, ns/KB`,
    kb(qpCyrillic.length),
    (m) => () => m.decodeTransfer(qpCyrillic, "quoted-printable").length,
  );
  figure(
    `base64, HTML body ${Math.round(kb(b64Html.length))} KB, ns/KB`,
    kb(b64Html.length),
    (m) => () => m.decodeTransfer(b64Html, "base64").length,
  );
  figure(
    `base64, PDF attachment ${Math.round(kb(b64Pdf.length))} KB, ns/KB`,
    kb(b64Pdf.length),
    (m) => () => m.decodeTransfer(b64Pdf, "base64").length,
  );
  figure(
    `htmlToText, newsletter HTML ${Math.round(kb(html.length))} K chars, ns/KB`,
    kb(html.length),
    (m) => () => m.htmlToText(html).length,
  );
  // Crafted input, 2 MB each (the most of one HTML part decoded at delivery, MAX_HTML_BYTES): what a
  // decoder costs when the sender chooses the bytes. Base64 padded after every quantum, QP that is all
  // escapes (as Cyrillic or CJK text is), HTML made of one entity repeated.
  const crafted = (unit: string) => new TextEncoder().encode(unit.repeat((2 << 20) / unit.length));
  const padded = crafted("AAA=");
  const escapes = crafted("=D0=BF");
  figure(
    "crafted: base64 'AAA=' x 2 MB, ns/KB",
    kb(padded.length),
    (m) => () => m.decodeTransfer(padded, "base64").length,
  );
  figure(
    "crafted: quoted-printable '=D0=BF' x 2 MB, ns/KB",
    kb(escapes.length),
    (m) => () => m.decodeTransfer(escapes, "quoted-printable").length,
  );
  // The slowest floods found, of &amp &nbsp; &zwnj; &#32; &notin <b>&amp;</b> ..., for either decoder.
  for (const unit of ["&amp", "&zwnj;", "&#32;"]) {
    const flood = new TextDecoder().decode(crafted(unit));
    figure(
      `crafted: htmlToText '${unit}' x 2 MB, ns/KB`,
      kb(flood.length),
      (m) => () => m.htmlToText(flood).length,
    );
  }
  return out;
}

const dirs = values.variants.split(",");
const mods = await Promise.all(dirs.map(load));
type Ratio = [number, number, number] | number;
const rows: Record<string, Record<string, string>> = {};
const json: Record<string, Record<string, { ns: number; ratio?: Ratio }>> = {};
function row(name: string, ns: number[], ratio: Ratio[]): void {
  rows[name] = {};
  json[name] = {};
  dirs.forEach((dir, v) => {
    const r = ratio[v]!;
    const shown = Math.round(ns[v]!);
    const text =
      typeof r === "number"
        ? `x${r.toFixed(2)}`
        : `x${r[1].toFixed(2)}, ${r[0].toFixed(2)}-${r[2].toFixed(2)}`;
    rows[name]![dir] = v === 0 ? `${shown}` : `${shown} (${text})`;
    json[name]![dir] = v === 0 ? { ns: shown } : { ns: shown, ratio: r };
  });
}
const timed = figures(mods).map((figure) => ({ figure, ...time(figure) }));
// The corpus mean is derived from the per-message figures: timed as one batch, a whole corpus was
// far noisier (its garbage is collected in whichever batch comes next).
const messages = timed.filter((t) => t.figure.name.startsWith("  "));
const mean = dirs.map((_, v) => messages.reduce((n, t) => n + t.ns[v]!, 0) / messages.length);
row(
  `parseMessage, mean of the ${messages.length} messages, ns/msg`,
  mean,
  mean.map((m) => m / mean[0]!),
);
for (const t of timed) row(t.figure.name, t.ns, t.ratio);
if (sink === Number.MIN_VALUE) console.log(sink); // keeps the results alive
console.table(rows);
console.log(JSON.stringify({ rounds, batchMs, figures: json }));
