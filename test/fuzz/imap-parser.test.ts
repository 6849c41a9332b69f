/**
 * Property-based and fuzz tests of the IMAP input side: the CommandReader (bytes to commands, with
 * literals and their limits), the Parser's grammar methods, and the command-level parsers (SEARCH,
 * FETCH items, LIST/LSUB, STATUS). Random and mutated input may only ever raise the documented errors
 * (ReadError from the reader, ImapParseError / ImapBad from parsing, which the session answers BAD),
 * must finish quickly, and generated valid commands must parse to exactly what was generated.
 */
import { describe, expect, test } from "bun:test";
import { connect, createServer, type Socket as NetSocket } from "node:net";
import fc from "fast-check";
import { type ListArgs, listArgs, lsubArgs } from "../../src/imap/commands/mailbox/list-args.ts";
import { compileGlob, globMatch } from "../../src/imap/commands/mailbox/list-pattern.ts";
import { STATUS_ITEMS, statusItems } from "../../src/imap/commands/mailbox/status-items.ts";
import { flagsFromList } from "../../src/imap/commands/store.ts";
import { ImapBad } from "../../src/imap/errors.ts";
import {
  type FetchItem,
  type FetchPlan,
  parseFetchPlan,
  type SectionText,
} from "../../src/imap/fetch/items.ts";
import { mailboxName, nstr, type Piece, str, toBuffer } from "../../src/imap/protocol/encode.ts";
import { IMAP_LIMITS } from "../../src/imap/protocol/limits.ts";
import { ImapParseError, Parser } from "../../src/imap/protocol/parser.ts";
import { CommandReader, type RawCommand, ReadError, type Segment } from "../../src/imap/protocol/reader.ts";
import {
  parseSequenceSet,
  type SequenceRange,
  sequenceFormat,
  sequenceSelect,
} from "../../src/imap/protocol/sequence.ts";
import { utf7Decode, utf7Encode } from "../../src/imap/protocol/utf7.ts";
import { type ReturnOption, type SearchKey, searchCommand } from "../../src/imap/search/parse.ts";
import {
  ALPHABET,
  chars,
  concatBytes,
  cut,
  cutsArb,
  FakeSocket,
  onlyThrows,
  settlesWithin,
  tick,
  tokenSoup,
  utf8,
  withinBudget,
} from "./helpers.ts";

const PARSE_ERRORS = [ImapParseError, ImapBad];
/** Per-call budget for small fuzz inputs: generous for a loaded CI box, far below any real hang. */
const SMALL_BUDGET_MS = 250;

// ---------------------------------------------------------------------------------------------
// Driving the CommandReader
// ---------------------------------------------------------------------------------------------

type ReadEvent = RawCommand | ReadError;

interface ReadResult {
  events: ReadEvent[];
  continuations: number;
}

const testLimit = (name: string): number => (name === "APPEND" ? 4096 : 256);

/**
 * Feeds `chunks` to a CommandReader one macrotask apart (so the reader really waits for data in
 * between), then closes, and collects what the session's read loop would see. Fails on a hang.
 */
async function readStream(chunks: readonly Uint8Array[], literalLimit = testLimit): Promise<ReadResult> {
  const socket = new FakeSocket();
  let continuations = 0;
  const reader = new CommandReader(socket.asSocket(), {
    literalLimit,
    sendContinuation: () => {
      continuations++;
    },
  });
  const events: ReadEvent[] = [];
  const loop = (async () => {
    for (;;) {
      try {
        events.push(await reader.readCommand());
      } catch (error) {
        // Anything but a ReadError escaping the reader is a bug: it rejects the loop and fails the test.
        if (!(error instanceof ReadError)) throw error;
        if (error.kind === "closed") return;
        events.push(error);
        if (!error.recoverable) return;
      }
    }
  })();
  const feed = (async () => {
    for (const chunk of chunks) {
      socket.emit("data", Buffer.from(chunk));
      await tick();
    }
    socket.emit("close");
  })();
  await settlesWithin(2000, "CommandReader", Promise.all([loop, feed]));
  return { events, continuations };
}

/** One command through the reader (literals become Buffer segments exactly as in a session). */
async function readOne(bytes: Uint8Array): Promise<RawCommand> {
  const { events } = await readStream([bytes], () => IMAP_LIMITS.maxLiteralBytes);
  expect(events.length).toBe(1);
  const first = events[0]!;
  if (first instanceof ReadError) throw first;
  return first;
}

/** A Parser positioned after "tag SP [UID SP] name", as the session leaves it for the handler. */
function commandParser(command: RawCommand): Parser {
  const parser = new Parser(command);
  parser.atom();
  parser.sp();
  if (command.name.startsWith("UID ")) {
    parser.expect("UID");
    parser.sp();
  }
  parser.atom();
  return parser;
}

async function parseCommand(pieces: readonly Piece[]): Promise<Parser> {
  return commandParser(await readOne(toBuffer([...pieces, "\r\n"])));
}

function isSegmentList(segments: readonly Segment[]): boolean {
  return (
    segments.length % 2 === 1 &&
    segments.every((s, i) => (i % 2 === 0 ? typeof s === "string" : Buffer.isBuffer(s)))
  );
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const LITERAL_AT_END = /\{\d{1,20}\+?\}$/;

/** Text of one command line between literals: any Unicode but LF (the reader splits lines at LF). */
const lineText = fc.string({ unit: "binary", maxLength: 24 }).map((s) => s.replace(/\n/g, " "));
const finalLineText = lineText.map((s) => (LITERAL_AT_END.test(s) ? `${s}x` : s));
const tagArb = chars(`${ALPHABET.alnum}.`, 1, 8);
const NAMES = ["NOOP", "FETCH", "SEARCH", "APPEND", "UID FETCH", "UID SEARCH", "LOGIN"];
const nameArb = fc.mixedCase(fc.constantFrom(...NAMES));

interface LiteralModel {
  bytes: Uint8Array;
  plus: boolean;
}

interface CommandModel {
  tag: string;
  name: string;
  texts: string[];
  literals: LiteralModel[];
}

const commandModel: fc.Arbitrary<CommandModel> = fc
  .tuple(
    tagArb,
    nameArb,
    fc.array(fc.tuple(lineText, fc.uint8Array({ maxLength: 64 }), fc.boolean()), { maxLength: 3 }),
    finalLineText,
  )
  .map(([tag, name, parts, last]) => ({
    tag,
    name,
    texts: [...parts.map(([t]) => t), last],
    literals: parts.map(([, bytes, plus]) => ({ bytes, plus })),
  }));

function commandWire(c: CommandModel): Uint8Array {
  const out: Uint8Array[] = [];
  c.texts.forEach((text, i) => {
    out.push(utf8(i === 0 ? `${c.tag} ${c.name} ${text}` : text));
    const literal = c.literals[i];
    if (literal) out.push(utf8(`{${literal.bytes.length}${literal.plus ? "+" : ""}}\r\n`), literal.bytes);
  });
  out.push(utf8("\r\n"));
  return concatBytes(out);
}

function expectedCommand(c: CommandModel): RawCommand {
  const segments: Segment[] = [];
  c.texts.forEach((text, i) => {
    segments.push(i === 0 ? `${c.tag} ${c.name} ${text}` : text);
    const literal = c.literals[i];
    if (literal) segments.push(Buffer.from(literal.bytes));
  });
  return { tag: c.tag, name: c.name.toUpperCase(), segments };
}

const IMAP_VOCABULARY = [
  "A1 ",
  "a.2 ",
  "UID ",
  "FETCH ",
  "APPEND ",
  "SEARCH ",
  "LOGIN ",
  "{",
  "}",
  "+}",
  "{0}\r\n",
  "{3}\r\n",
  "{3+}\r\n",
  "{300}\r\n",
  "{300+}\r\n",
  "{5000+}\r\n",
  "{99999999999999999999+}\r\n",
  "{18446744073709551616}\r\n",
  "\r\n",
  "\n",
  "\r",
  " ",
  '"',
  "\\",
  "(",
  ")",
  "[",
  "]",
  "<",
  ">",
  "*",
  "%",
  "1:*",
  "NIL",
  "\u0000",
  "\u00ff",
];

/** Strings for parser segments: protocol tokens mixed with random text (lines never contain LF). */
const soupText = tokenSoup(IMAP_VOCABULARY, 30).map((b) => new TextDecoder().decode(b).replace(/\n/g, " "));

/** Alternating text and literal segments, as the reader produces them. */
const segmentsArb: fc.Arbitrary<Segment[]> = fc
  .tuple(fc.array(fc.tuple(soupText, fc.uint8Array({ maxLength: 16 })), { maxLength: 3 }), soupText)
  .map(([pairs, last]) => [...pairs.flatMap(([t, b]): Segment[] => [t, Buffer.from(b)]), last]);

// ---------------------------------------------------------------------------------------------
// CommandReader
// ---------------------------------------------------------------------------------------------

describe("CommandReader under fuzzing", () => {
  test("arbitrary bytes in arbitrary chunks only ever raise ReadError, and never hang", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(tokenSoup(IMAP_VOCABULARY, 60), fc.uint8Array({ maxLength: 600 })),
        cutsArb(),
        async (bytes, cuts) => {
          const { events } = await readStream(cut(bytes, cuts));
          for (const e of events) {
            if (e instanceof ReadError) {
              expect(["literal-too-big", "command-too-big", "line-too-long"]).toContain(e.kind);
              continue;
            }
            expect(isSegmentList(e.segments)).toBe(true);
            expect(e.name).toBe(e.name.toUpperCase());
            for (const s of e.segments) {
              if (typeof s === "string") expect(s.includes("\n")).toBe(false);
              else expect((s as Buffer).length).toBeLessThanOrEqual(testLimit(e.name));
            }
          }
        },
      ),
      { seed: 0x1a4d01, numRuns: 300 },
    );
  });

  test("valid pipelined commands with literals come out exactly, however the bytes are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandModel, { minLength: 1, maxLength: 4 }),
        cutsArb(),
        async (cmds, cuts) => {
          const { events, continuations } = await readStream(cut(concatBytes(cmds.map(commandWire)), cuts));
          expect(events).toEqual(cmds.map(expectedCommand));
          // "+ Ready" goes out once per synchronizing literal, never for LITERAL+ ones (RFC 7888).
          const synchronizing = cmds.flatMap((c) => c.literals).filter((l) => !l.plus).length;
          expect(continuations).toBe(synchronizing);
        },
      ),
      { seed: 0x1a4d02, numRuns: 250 },
    );
  });

  test("an over-limit literal is refused (recoverably) and the commands after it still parse", async () => {
    const oversize = fc.record({
      tag: tagArb,
      text: lineText,
      size: fc.integer({ min: 257, max: 2000 }),
      plus: fc.boolean(),
      last: finalLineText,
    });
    const item = fc.oneof(
      commandModel.map((c) => ({ kind: "ok" as const, c })),
      oversize.map((o) => ({ kind: "big" as const, o })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 4 }), cutsArb(), async (items, cuts) => {
        const wire: Uint8Array[] = [];
        const expected: Array<RawCommand | { kind: ReadError["kind"]; tag: string; commandName: string }> =
          [];
        for (const it of items) {
          if (it.kind === "ok") {
            wire.push(commandWire(it.c));
            expected.push(expectedCommand(it.c));
            continue;
          }
          const { tag, text, size, plus, last } = it.o;
          wire.push(utf8(`${tag} SEARCH ${text}{${size}${plus ? "+" : ""}}\r\n`));
          // LITERAL+: the client sends the bytes anyway; a synchronizing literal is never sent without "+".
          if (plus) wire.push(new Uint8Array(size).fill(0x41), utf8(`${last}\r\n`));
          expected.push({ kind: "literal-too-big", tag, commandName: "SEARCH" });
        }
        const { events } = await readStream(cut(concatBytes(wire), cuts));
        expect(
          events.map((e) =>
            e instanceof ReadError
              ? { kind: e.kind, tag: e.tag, commandName: e.commandName, recoverable: e.recoverable }
              : e,
          ),
        ).toEqual(expected.map((e) => ("kind" in e ? { ...e, recoverable: true } : e)));
      }),
      { seed: 0x1a4d03, numRuns: 200 },
    );
  });

  test("a line over the limit ends the connection with line-too-long, without buffering forever", async () => {
    const line = new Uint8Array(IMAP_LIMITS.maxLineBytes + 10).fill(0x61);
    const { events } = await readStream([line.subarray(0, 40_000), line.subarray(40_000), utf8("\r\n")]);
    expect(events.length).toBe(1);
    expect((events[0] as ReadError).kind).toBe("line-too-long");
    expect((events[0] as ReadError).recoverable).toBe(false);
  });

  test("a pipelining flood past maxPendingBytes pauses the socket, and reading resumes it", async () => {
    const socket = new FakeSocket();
    const reader = new CommandReader(socket.asSocket(), {
      literalLimit: () => 8 * 1024 * 1024,
      sendContinuation: () => {},
    });
    const size = IMAP_LIMITS.maxPendingBytes + 1024;
    socket.emit("data", Buffer.from(`A1 APPEND INBOX {${size}+}\r\n`));
    socket.emit("data", Buffer.alloc(size, 0x42));
    expect(socket.paused).toBe(true);
    socket.emit("data", Buffer.from(" tail\r\n"));
    const command = await settlesWithin(2000, "readCommand", reader.readCommand());
    expect((command.segments[1] as Buffer).length).toBe(size);
    expect(command.segments[2]).toBe(" tail");
    // The next read finds nothing buffered and resumes the socket before it waits.
    const next = reader.readCommand();
    await tick();
    expect(socket.paused).toBe(false);
    socket.emit("close");
    await expect(next).rejects.toBeInstanceOf(ReadError);
  });

  test("the same stream read from a real TCP socket gives the same commands as the fake socket", async () => {
    const sockets: NetSocket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(commandModel, { minLength: 1, maxLength: 4 }),
          cutsArb(4),
          async (cmds, cuts) => {
            const bytes = concatBytes(cmds.map(commandWire));
            const accepted = new Promise<NetSocket>((resolve) => server.once("connection", resolve));
            const client = connect(port, "127.0.0.1");
            const serverSide = await accepted;
            const reader = new CommandReader(serverSide, {
              literalLimit: testLimit,
              sendContinuation: () => {},
            });
            const got: RawCommand[] = [];
            const done = (async () => {
              for (;;) {
                try {
                  got.push(await reader.readCommand());
                } catch (error) {
                  if (error instanceof ReadError && error.kind === "closed") return;
                  throw error;
                }
              }
            })();
            for (const chunk of cut(bytes, cuts)) {
              await new Promise<void>((resolve) => client.write(chunk, () => resolve()));
            }
            client.end();
            await settlesWithin(5000, "CommandReader over TCP", done);
            expect(got).toEqual(cmds.map(expectedCommand));
          },
        ),
        { seed: 0x1a4d04, numRuns: 25 },
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Parser grammar methods and command parsers on arbitrary input
// ---------------------------------------------------------------------------------------------

type Op = (p: Parser) => unknown;
const OPS: Record<string, Op> = {
  atom: (p) => p.atom(),
  tryAtom: (p) => p.tryAtom(),
  number: (p) => p.number(),
  nzNumber: (p) => p.nzNumber(),
  modSequence: (p) => p.modSequence(),
  tryStringBytes: (p) => p.tryStringBytes(),
  string: (p) => p.string(),
  literalBytes: (p) => p.literalBytes(),
  astring: (p) => p.astring(),
  nstring: (p) => p.nstring(),
  mailbox: (p) => p.mailbox(),
  listMailbox: (p) => p.listMailbox(),
  sequenceSet: (p) => p.sequenceSet(),
  flag: (p) => p.flag(),
  flagList: (p) => p.flagList(),
  dateTime: (p) => p.dateTime(),
  date: (p) => p.date(),
  sp: (p) => p.sp(),
  end: (p) => p.end(),
  atEnd: (p) => p.atEnd(),
  rest: (p) => p.rest(),
  takeParen: (p) => p.take("("),
  peekNil: (p) => p.peek("NIL"),
  listOfAstrings: (p) => p.list(() => p.astring()),
};

/** The command-level parsers, each from where the session hands over (right after the command name). */
const COMMAND_PARSERS: Record<string, Op> = {
  SEARCH: (p) => searchCommand(p),
  FETCH: (p) => {
    p.sp();
    p.sequenceSet();
    p.sp();
    parseFetchPlan(p);
    p.end();
  },
  LIST: (p) => listArgs(p),
  LSUB: (p) => lsubArgs(p),
  STATUS: (p) => {
    p.sp();
    p.mailbox();
    p.sp();
    statusItems(p);
    p.end();
  },
  FLAGS: (p) => {
    p.sp();
    flagsFromList(p.flagList());
  },
};

const COMMAND_VOCABULARY = [
  " ",
  "(",
  ")",
  '"',
  "\\",
  "NOT ",
  "OR ",
  "ALL",
  "UID ",
  "1:*",
  "2,4:7",
  "$",
  "*",
  "0",
  "4294967296",
  "FROM ",
  "HEADER ",
  "SINCE ",
  "1-Jan-2024",
  "31-Foo-2024",
  "MODSEQ ",
  '"/flags/\\seen" ',
  "priv ",
  "LARGER ",
  "KEYWORD ",
  "RETURN ",
  "(MIN MAX SAVE)",
  "CHARSET ",
  "BODY[",
  "BODY.PEEK[",
  "]",
  "1.2.",
  "HEADER.FIELDS",
  "HEADER.FIELDS.NOT",
  "MIME",
  "TEXT",
  "<0.10>",
  "<",
  ">",
  "FULL",
  "(CHANGEDSINCE 5 VANISHED)",
  "SUBSCRIBED",
  "RECURSIVEMATCH",
  "RETURN (STATUS (MESSAGES SIZE))",
  "INBOX",
  "&AGE-",
  "&-",
  "&Jjo",
  "%",
  "\\Seen",
  "\\*",
  "\\Recent",
  "\\Foo",
];

const commandSoup: fc.Arbitrary<Segment[]> = fc
  .tuple(
    fc.array(fc.tuple(tokenSoup(COMMAND_VOCABULARY, 25), fc.uint8Array({ maxLength: 12 })), { maxLength: 2 }),
    tokenSoup(COMMAND_VOCABULARY, 25),
    fc.boolean(),
  )
  .map(([pairs, last, leadingSpace]) => {
    const text = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\n/g, " ");
    const segments: Segment[] = [
      ...pairs.flatMap(([t, b]): Segment[] => [text(t), Buffer.from(b)]),
      text(last),
    ];
    if (leadingSpace) segments[0] = ` ${segments[0] as string}`;
    return segments;
  });

describe("Parser under fuzzing", () => {
  test("any sequence of grammar calls on arbitrary segments throws only ImapParseError", () => {
    fc.assert(
      fc.property(
        fc.oneof(segmentsArb, commandSoup),
        fc.array(fc.constantFrom(...Object.keys(OPS)), { minLength: 1, maxLength: 12 }),
        (segments, ops) => {
          const parser = new Parser(segments);
          withinBudget(SMALL_BUDGET_MS, "grammar calls", () => {
            for (const op of ops) onlyThrows([ImapParseError], () => OPS[op]!(parser));
          });
        },
      ),
      { seed: 0x1a4d10, numRuns: 1500 },
    );
  });

  test("the command parsers throw only ImapParseError or ImapBad on arbitrary input", () => {
    fc.assert(
      fc.property(commandSoup, fc.constantFrom(...Object.keys(COMMAND_PARSERS)), (segments, name) => {
        withinBudget(SMALL_BUDGET_MS, name, () =>
          onlyThrows(PARSE_ERRORS, () => COMMAND_PARSERS[name]!(new Parser(segments))),
        );
      }),
      { seed: 0x1a4d11, numRuns: 2500 },
    );
  });

  test("mutating valid commands (insert, delete, duplicate characters) throws only parse errors", () => {
    const valid = [
      ' (MIN COUNT) CHARSET UTF-8 OR (FROM "a b" SINCE 1-Feb-2024) NOT UID 1:*,5 HEADER X-Y "z"',
      " 1:* (UID FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BODY[TEXT]) (CHANGEDSINCE 12 VANISHED)",
      ' (SUBSCRIBED RECURSIVEMATCH) "" ("*" "%/x") RETURN (CHILDREN STATUS (MESSAGES UIDNEXT))',
      ' "&ZeVnLIqe-" (MESSAGES UNSEEN HIGHESTMODSEQ SIZE)',
      " (\\Seen \\Answered $Forwarded \\Recent)",
    ];
    const names = ["SEARCH", "FETCH", "LIST", "STATUS", "FLAGS"];
    const mutation = fc.tuple(
      fc.constantFrom("insert", "delete", "duplicate"),
      fc.nat(),
      fc.nat({ max: 8 }),
      fc.constantFrom(...COMMAND_VOCABULARY),
    );
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), fc.array(mutation, { maxLength: 6 }), (which, muts) => {
        let text = valid[which]!;
        for (const [kind, at, len, token] of muts) {
          const i = at % (text.length + 1);
          if (kind === "insert") text = text.slice(0, i) + token + text.slice(i);
          else if (kind === "delete") text = text.slice(0, i) + text.slice(i + len);
          else text = text.slice(0, i + len) + text.slice(i, i + len) + text.slice(i + len);
        }
        const name = names[which]!;
        withinBudget(SMALL_BUDGET_MS, name, () =>
          onlyThrows(PARSE_ERRORS, () => COMMAND_PARSERS[name]!(new Parser([text]))),
        );
      }),
      { seed: 0x1a4d12, numRuns: 1500 },
    );
  });

  // Regression: peek() upper-cased the whole rest of the line on every call, so a list of N items on an
  // N-byte line cost O(N^2): a 64 KB ID or STORE line took about a second of CPU (ID works before login).
  test.each([
    [
      "ID list of empty strings",
      (n: number) => `(${'"" '.repeat(n)}"")`,
      (p: Parser) => p.list(() => p.nstring()),
    ],
    ["STORE flag list", (n: number) => `(${"\\Seen ".repeat(n)}\\Seen)`, (p: Parser) => p.flagList()],
    ["FETCH item list", (n: number) => `(${"UID ".repeat(n)}UID)`, (p: Parser) => parseFetchPlan(p)],
    ["STATUS item list", (n: number) => `(${"SIZE ".repeat(n)}SIZE)`, (p: Parser) => statusItems(p)],
    [
      "LIST selection options",
      (n: number) => ` (${"REMOTE ".repeat(n)}REMOTE) "" *`,
      (p: Parser) => listArgs(p),
    ],
    [
      "SEARCH of many keys",
      (n: number) => ` ${"ALL ".repeat(n)}ALL`,
      (p: Parser) => onlyThrows(PARSE_ERRORS, () => searchCommand(p)),
    ],
    [
      "deeply nested SEARCH",
      (n: number) => ` ${"(".repeat(n)}`,
      (p: Parser) => onlyThrows(PARSE_ERRORS, () => searchCommand(p)),
    ],
    ["long sequence set", (n: number) => `${"1,".repeat(n)}1`, (p: Parser) => p.sequenceSet()],
    [
      "section part path",
      (n: number) => `BODY[${"1.".repeat(n)}1]`,
      (p: Parser) => onlyThrows(PARSE_ERRORS, () => parseFetchPlan(p)),
    ],
  ])("a maximal (64 KB) line is parsed in linear time: %s", (_name, make, run) => {
    // Sized to the line limit: the longest text segment a client can make the parser walk.
    const probe = make(1);
    const unit = make(2).length - probe.length;
    const line = make(Math.floor((IMAP_LIMITS.maxLineBytes - probe.length) / unit));
    expect(line.length).toBeLessThanOrEqual(IMAP_LIMITS.maxLineBytes);
    run(new Parser([line])); // warm-up (JIT)
    withinBudget(400, "64 KB line", () => run(new Parser([line])));
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips of the encoders and the sequence-set and modified UTF-7 codecs
// ---------------------------------------------------------------------------------------------

/** Any UTF-16 string, lone surrogates included (mailbox names are UTF-16 on the wire). */
const utf16String = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 24 })
  .map((units) => String.fromCharCode(...units));
const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 30 }), fc.string({ maxLength: 30 }));
const longText = fc
  .tuple(
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 4 }),
    fc.integer({ min: 250, max: 400 }),
  )
  .map(([s, n]) => s.repeat(n));

const notInbox = (name: string) => name === "INBOX" || name.toUpperCase() !== "INBOX";

describe("encoder and codec round trips", () => {
  test("str()/nstr() output parses back to the same string (quoted or literal) via astring/string/nstring", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 4, arbitrary: anyText }, { weight: 1, arbitrary: longText }),
        fc.option(anyText, { nil: null }),
        async (value, maybe) => {
          const parser = await parseCommand(["A1 X ", str(value), " ", str(value), " ", nstr(maybe)]);
          parser.sp();
          expect(parser.astring()).toBe(value);
          parser.sp();
          expect(parser.string()).toBe(value);
          parser.sp();
          expect(parser.nstring()).toBe(maybe);
          parser.end();
        },
      ),
      { seed: 0x1a4d20, numRuns: 400 },
    );
  });

  test("modified UTF-7 round-trips any UTF-16 string, and its output is printable ASCII", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), utf16String), (name) => {
        const wire = utf7Encode(name);
        expect(/^[\x20-\x7e]*$/.test(wire)).toBe(true);
        expect(utf7Decode(wire)).toBe(name);
      }),
      { seed: 0x1a4d21, numRuns: 2000 },
    );
  });

  test("utf7Decode never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.oneof(soupText, fc.string({ unit: "binary-ascii", maxLength: 40 })), (wire) => {
        const decoded = utf7Decode(wire);
        expect(decoded === undefined || typeof decoded === "string").toBe(true);
      }),
      { seed: 0x1a4d22, numRuns: 2000 },
    );
  });

  test("mailboxName() on the wire decodes back through Parser.mailbox() to the original name", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyText, utf16String, fc.constant("INBOX"), longText).filter(notInbox),
        async (name) => {
          const parser = await parseCommand(["A1 SELECT ", mailboxName(name)]);
          parser.sp();
          expect(parser.mailbox()).toBe(name);
          parser.end();
        },
      ),
      { seed: 0x1a4d23, numRuns: 400 },
    );
  });

  test("sequenceFormat() output parses back (parseSequenceSet, Parser.sequenceSet) to the same numbers", () => {
    const numbers = fc.uniqueArray(
      fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 0xffffffff })),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(numbers, (list) => {
        const sorted = [...list].sort((a, b) => a - b);
        const text = sequenceFormat(sorted);
        const set = parseSequenceSet(text);
        expect(set).toBeDefined();
        expect(sequenceSelect(set!, sorted)).toEqual(sorted);
        const expanded = set!.ranges.flatMap((r) => {
          const out: number[] = [];
          for (let n = r.from!; n <= r.to!; n++) out.push(n);
          return out;
        });
        expect(expanded).toEqual(sorted);
        expect(new Parser([text]).sequenceSet()).toEqual(set!);
      }),
      { seed: 0x1a4d24, numRuns: 1000 },
    );
  });

  test("parseSequenceSet never throws, and accepts exactly the RFC 3501 grammar", () => {
    const number = fc.oneof(
      fc.constantFrom("*", "0", "4294967295", "4294967296", "007"),
      fc.nat().map(String),
    );
    const part = fc.oneof(
      number,
      fc.tuple(number, number).map(([a, b]) => `${a}:${b}`),
    );
    const text = fc.oneof(
      fc.array(part, { maxLength: 5 }).map((p) => p.join(",")),
      fc.string({ unit: fc.constantFrom("1", "9", ":", ",", "*", "0", " ", "$"), maxLength: 12 }),
    );
    const grammar =
      /^(?:(?:0*[1-9]\d*|\*)(?::(?:0*[1-9]\d*|\*))?)(?:,(?:0*[1-9]\d*|\*)(?::(?:0*[1-9]\d*|\*))?)*$/;
    fc.assert(
      fc.property(text, (t) => {
        const set = parseSequenceSet(t);
        const inRange = t.split(/[,:]/).every((n) => n === "*" || Number(n) <= 0xffffffff);
        expect(set !== undefined).toBe(grammar.test(t) && inRange);
      }),
      { seed: 0x1a4d25, numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Generated valid commands parse to the generated values
// ---------------------------------------------------------------------------------------------

const ASTRING_ATOM = /^[^(){ \x00-\x1f\x7f%*"\\]+$/;

/** An astring on the wire: as an atom when it can be one (sometimes), else via str(). */
const astringArb = fc.tuple(anyText, fc.boolean()).map(([value, asAtom]): { value: string; wire: Piece } => ({
  value,
  wire: asAtom && ASTRING_ATOM.test(value) ? value : str(value),
}));

const keywordArb = chars(`${ALPHABET.alnum}$_.-`, 0, 15, `${ALPHABET.lower}${ALPHABET.upper}$_`);

const seqNumber = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 0xffffffff }));
const seqElement = fc.oneof(fc.constant(null), seqNumber);
const seqSetArb = fc
  .array(fc.tuple(seqElement, fc.option(seqElement, { nil: undefined })), { minLength: 1, maxLength: 4 })
  .map((ranges) => {
    const show = (n: number | null) => (n === null ? "*" : String(n));
    const text = ranges.map(([a, b]) => (b === undefined ? show(a) : `${show(a)}:${show(b)}`)).join(",");
    const expected: SequenceRange[] = ranges.map(([a, b]) => ({ from: a, to: b === undefined ? a : b }));
    return { text, set: { ranges: expected } };
  });

interface SearchGen {
  wire: Piece[];
  key: SearchKey;
}

const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY_MS = 86_400_000;

const dateArb = fc
  .record({
    day: fc.integer({ min: 1, max: 28 }),
    month: fc.integer({ min: 0, max: 11 }),
    year: fc.integer({ min: 1970, max: 2200 }),
    pad: fc.boolean(),
    quoted: fc.boolean(),
  })
  .chain((d) =>
    fc.mixedCase(fc.constant(MONTH_NAMES[d.month]!)).map((mon) => {
      const text = `${d.pad ? String(d.day).padStart(2, "0") : d.day}-${mon}-${d.year}`;
      return { wire: d.quoted ? `"${text}"` : text, day: Date.UTC(d.year, d.month, d.day) / DAY_MS };
    }),
  );

const FLAG_KEYS: Array<[string, SearchKey]> = [
  ["ANSWERED", { kind: "flag", flag: "\\Answered", set: true }],
  ["DELETED", { kind: "flag", flag: "\\Deleted", set: true }],
  ["DRAFT", { kind: "flag", flag: "\\Draft", set: true }],
  ["FLAGGED", { kind: "flag", flag: "\\Flagged", set: true }],
  ["SEEN", { kind: "flag", flag: "\\Seen", set: true }],
  ["UNANSWERED", { kind: "flag", flag: "\\Answered", set: false }],
  ["UNDELETED", { kind: "flag", flag: "\\Deleted", set: false }],
  ["UNDRAFT", { kind: "flag", flag: "\\Draft", set: false }],
  ["UNFLAGGED", { kind: "flag", flag: "\\Flagged", set: false }],
  ["UNSEEN", { kind: "flag", flag: "\\Seen", set: false }],
  ["ALL", { kind: "all" }],
  ["RECENT", { kind: "recent" }],
  ["NEW", { kind: "and", keys: [{ kind: "recent" }, { kind: "flag", flag: "\\Seen", set: false }] }],
  ["OLD", { kind: "not", key: { kind: "recent" } }],
];

const word = (w: string) => fc.mixedCase(fc.constant(w));

const searchLeaf: fc.Arbitrary<SearchGen> = fc.oneof(
  fc.constantFrom(...FLAG_KEYS).chain(([name, key]) => word(name).map((w) => ({ wire: [w], key }))),
  fc.tuple(fc.constantFrom("BCC", "CC", "FROM", "SUBJECT", "TO").chain(word), astringArb).map(
    ([w, v]): SearchGen => ({
      wire: [`${w} `, v.wire],
      key: { kind: "header", field: w.toLowerCase(), value: v.value },
    }),
  ),
  fc.tuple(word("HEADER"), astringArb, astringArb).map(
    ([w, f, v]): SearchGen => ({
      wire: [`${w} `, f.wire, " ", v.wire],
      key: { kind: "header", field: f.value.toLowerCase(), value: v.value },
    }),
  ),
  fc.tuple(fc.constantFrom("BODY", "TEXT"), astringArb).chain(([k, v]) =>
    word(k).map(
      (w): SearchGen => ({
        wire: [`${w} `, v.wire],
        key: k === "BODY" ? { kind: "body", value: v.value } : { kind: "text", value: v.value },
      }),
    ),
  ),
  fc
    .tuple(fc.constantFrom("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"), dateArb)
    .chain(([k, d]) =>
      word(k).map(
        (w): SearchGen => ({
          wire: [`${w} ${d.wire}`],
          key: {
            kind: "date",
            of: k.startsWith("SENT") ? "sent" : "internal",
            op: k.replace("SENT", "").toLowerCase() as "before" | "on" | "since",
            day: d.day,
          },
        }),
      ),
    ),
  fc.tuple(fc.constantFrom("LARGER", "SMALLER"), fc.integer({ min: 0, max: 0xffffffff })).chain(([k, n]) =>
    word(k).map(
      (w): SearchGen => ({
        wire: [`${w} ${n}`],
        key: { kind: "size", op: k === "LARGER" ? "larger" : "smaller", size: n },
      }),
    ),
  ),
  seqSetArb.map((s): SearchGen => ({ wire: [s.text], key: { kind: "sequence", set: s.set, uid: false } })),
  fc
    .tuple(word("UID"), seqSetArb)
    .map(
      ([w, s]): SearchGen => ({ wire: [`${w} ${s.text}`], key: { kind: "sequence", set: s.set, uid: true } }),
    ),
  fc.tuple(fc.constantFrom("KEYWORD", "UNKEYWORD"), keywordArb).chain(([k, kw]) =>
    word(k).map(
      (w): SearchGen => ({
        wire: [`${w} ${kw}`],
        key: { kind: "keyword", keyword: kw, set: k === "KEYWORD" },
      }),
    ),
  ),
  fc
    .tuple(
      word("MODSEQ"),
      fc.option(
        fc.tuple(
          fc.constantFrom("\\\\Seen", "$Junk", "\\\\Flagged"),
          fc.constantFrom("priv", "shared", "all"),
        ),
      ),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    )
    .map(
      ([w, entry, n]): SearchGen => ({
        wire: [`${w} ${entry ? `"/flags/${entry[0]}" ${entry[1]} ` : ""}${n}`],
        key: { kind: "modseq", modseq: n },
      }),
    ),
);

const joinWire = (gens: readonly SearchGen[]): Piece[] =>
  gens.flatMap((g, i) => (i === 0 ? g.wire : [" ", ...g.wire]));

const { searchKeyArb } = fc.letrec<{ searchKeyArb: SearchGen }>((tie) => ({
  searchKeyArb: fc.oneof(
    { maxDepth: 4, depthIdentifier: "search" },
    searchLeaf,
    fc
      .tuple(word("NOT"), tie("searchKeyArb"))
      .map(([w, k]): SearchGen => ({ wire: [`${w} `, ...k.wire], key: { kind: "not", key: k.key } })),
    fc.tuple(word("OR"), tie("searchKeyArb"), tie("searchKeyArb")).map(
      ([w, a, b]): SearchGen => ({
        wire: [`${w} `, ...a.wire, " ", ...b.wire],
        key: { kind: "or", left: a.key, right: b.key },
      }),
    ),
    fc.array(tie("searchKeyArb"), { minLength: 1, maxLength: 3 }).map(
      (keys): SearchGen => ({
        wire: ["(", ...joinWire(keys), ")"],
        key: keys.length === 1 ? keys[0]!.key : { kind: "and", keys: keys.map((k) => k.key) },
      }),
    ),
  ),
}));

interface SectionGen {
  path: number[];
  text: SectionText;
  fields: Array<{ value: string; wire: Piece }>;
}

/** RFC 5322 §2.2 field-name characters: printable US-ASCII except ":". */
const FIELD_NAME_CHARS = String.fromCharCode(...Array.from({ length: 94 }, (_, i) => 0x21 + i)).replace(
  ":",
  "",
);
const fieldNameArb = fc
  .tuple(chars(FIELD_NAME_CHARS, 1, 12), fc.boolean())
  .map(([value, asAtom]) => ({ value, wire: asAtom && ASTRING_ATOM.test(value) ? value : str(value) }));

const sectionArb: fc.Arbitrary<SectionGen> = fc
  .tuple(
    fc.array(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 0xffffffff })), {
      maxLength: 3,
    }),
    fc.constantFrom<SectionText>("", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"),
    fc.array(fieldNameArb, { minLength: 1, maxLength: 3 }),
  )
  .map(([path, text, fields]) => ({
    path,
    text: text === "MIME" && path.length === 0 ? "TEXT" : text,
    fields: text.startsWith("HEADER.FIELDS") ? fields : [],
  }));

/** RFC 3501 label of a header field name in a FETCH response: an atom when it is one, else quoted. */
const labelName = (name: string) =>
  /[(){%*"\\\]]/.test(name) ? `"${name.replace(/[\\"]/g, "\\$&")}"` : name;

interface FetchGen {
  wire: Piece[];
  item: FetchItem;
}

const SIMPLE_ITEMS = [
  "UID",
  "FLAGS",
  "INTERNALDATE",
  "RFC822.SIZE",
  "ENVELOPE",
  "BODY",
  "BODYSTRUCTURE",
  "RFC822",
  "RFC822.HEADER",
  "RFC822.TEXT",
  "MODSEQ",
] as const;

const fetchItemArb: fc.Arbitrary<FetchGen> = fc.oneof(
  fc
    .constantFrom(...SIMPLE_ITEMS)
    .chain((name) => word(name).map((w): FetchGen => ({ wire: [w], item: { kind: name } }))),
  fc
    .tuple(
      fc.constantFrom("BODY", "BODY.PEEK").chain((n) => word(n).map((w) => [n, w] as const)),
      sectionArb,
      fc.option(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0xffffffff }))),
    )
    .chain(([[name, nameWire], section, partial]) =>
      fc.mixedCase(fc.constant(section.text)).map((textWire): FetchGen => {
        const spec = [...section.path.map(String), ...(section.text ? [textWire] : [])].join(".");
        const fieldsWire: Piece[] =
          section.fields.length > 0
            ? [" (", ...section.fields.flatMap((f, i) => (i ? [" ", f.wire] : [f.wire])), ")"]
            : [];
        const labelSpec = [...section.path.map(String), ...(section.text ? [section.text] : [])].join(".");
        const labelFields =
          section.fields.length > 0 ? ` (${section.fields.map((f) => labelName(f.value)).join(" ")})` : "";
        return {
          wire: [`${nameWire}[${spec}`, ...fieldsWire, `]${partial ? `<${partial[0]}.${partial[1]}>` : ""}`],
          item: {
            kind: "section",
            peek: name === "BODY.PEEK",
            section: { path: section.path, text: section.text, fields: section.fields.map((f) => f.value) },
            partial: partial ? { origin: partial[0], length: partial[1] } : undefined,
            label: `BODY[${labelSpec}${labelFields}]${partial ? `<${partial[0]}>` : ""}`,
          },
        };
      }),
    ),
);

const MACROS: Record<string, FetchItem[]> = {
  ALL: [{ kind: "FLAGS" }, { kind: "INTERNALDATE" }, { kind: "RFC822.SIZE" }, { kind: "ENVELOPE" }],
  FAST: [{ kind: "FLAGS" }, { kind: "INTERNALDATE" }, { kind: "RFC822.SIZE" }],
  FULL: [
    { kind: "FLAGS" },
    { kind: "INTERNALDATE" },
    { kind: "RFC822.SIZE" },
    { kind: "ENVELOPE" },
    { kind: "BODY" },
  ],
};

const fetchCommandArb = fc
  .tuple(
    seqSetArb,
    fc.oneof(
      fc
        .constantFrom("ALL", "FAST", "FULL")
        .chain((m) => word(m).map((w) => ({ wire: [w] as Piece[], items: MACROS[m]! }))),
      fetchItemArb.map((g) => ({ wire: g.wire, items: [g.item] })),
      fc.array(fetchItemArb, { minLength: 1, maxLength: 4 }).map((gs) => ({
        wire: ["(", ...gs.flatMap((g, i) => (i ? [" ", ...g.wire] : g.wire)), ")"] as Piece[],
        items: gs.map((g) => g.item),
      })),
    ),
    fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([set, items, changedSince, vanished, uid]) => {
    const modifiers = [
      ...(changedSince !== undefined ? [`CHANGEDSINCE ${changedSince}`] : []),
      ...(vanished ? ["VANISHED"] : []),
    ];
    const plan: FetchPlan = { items: items.items, changedSince, vanished };
    return {
      wire: [
        `A1 ${uid ? "UID " : ""}FETCH ${set.text} `,
        ...items.wire,
        ...(modifiers.length > 0 ? [` (${modifiers.join(" ")})`] : []),
      ],
      plan,
    };
  });

const patternArb = fc
  .tuple(fc.array(fc.oneof(anyText, fc.constantFrom("*", "%", "/", "&")), { maxLength: 4 }), fc.boolean())
  .map(([parts, asAtom]) => {
    const value = parts.join("");
    const wire = utf7Encode(value);
    return { value, wire: asAtom && /^[^(){ \x00-\x1f\x7f"\\]+$/.test(wire) ? wire : str(wire) };
  });

describe("generated valid commands parse to exactly what was generated", () => {
  test("SEARCH programs (RETURN, CHARSET, nested NOT/OR/parentheses, every key)", async () => {
    const returnArb = fc.option(fc.subarray<ReturnOption>(["MIN", "MAX", "ALL", "COUNT"]), {
      nil: undefined,
    });
    await fc.assert(
      fc.asyncProperty(
        returnArb,
        fc.option(astringArb, { nil: undefined }),
        fc.array(searchKeyArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (ret, charset, keys, uid) => {
          const parser = await parseCommand([
            `A7 ${uid ? "UID " : ""}SEARCH `,
            ...(ret ? [`RETURN (${ret.join(" ")}) `] : []),
            ...(charset ? ["CHARSET ", charset.wire, " "] : []),
            ...joinWire(keys),
          ]);
          const parsed = searchCommand(parser);
          expect(parsed).toEqual({
            returnOptions:
              ret === undefined ? undefined : new Set<ReturnOption>(ret.length > 0 ? ret : ["ALL"]),
            partial: undefined,
            charset: charset?.value.toUpperCase(),
            key: keys.length === 1 ? keys[0]!.key : { kind: "and", keys: keys.map((k) => k.key) },
          });
        },
      ),
      { seed: 0x1a4d30, numRuns: 500 },
    );
  });

  test("FETCH items (macros, sections with paths, header lists and partials, modifiers)", async () => {
    await fc.assert(
      fc.asyncProperty(fetchCommandArb, async ({ wire, plan }) => {
        const parser = await parseCommand(wire);
        parser.sp();
        parser.sequenceSet();
        parser.sp();
        expect(parseFetchPlan(parser)).toEqual(plan);
        parser.end();
      }),
      { seed: 0x1a4d31, numRuns: 500 },
    );
  });

  test("sequence sets with '*' and reversed ranges parse to the generated ranges", () => {
    fc.assert(
      fc.property(seqSetArb, ({ text, set }) => {
        expect(new Parser([text]).sequenceSet()).toEqual(set);
        expect(parseSequenceSet(text)).toEqual(set);
      }),
      { seed: 0x1a4d32, numRuns: 1000 },
    );
  });

  test("flag lists, system flags and keywords, parse to the generated flags", () => {
    const flagArb = fc.oneof(
      fc
        .constantFrom("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent", "\\*")
        .chain(word),
      keywordArb,
    );
    fc.assert(
      fc.property(fc.array(flagArb, { maxLength: 8 }), (flags) => {
        const parser = new Parser([`(${flags.join(" ")})`]);
        // "\*" keeps its spelling; other flags come back as sent.
        expect(parser.flagList()).toEqual(flags);
        expect(parser.atEnd()).toBe(true);
      }),
      { seed: 0x1a4d33, numRuns: 1000 },
    );
  });

  test("LIST (extended and plain), LSUB and STATUS arguments", async () => {
    const selectArb = fc.option(fc.subarray(["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"]), {
      nil: undefined,
    });
    const returnArb = fc.option(
      fc.tuple(
        fc.subarray(["SUBSCRIBED", "CHILDREN", "SPECIAL-USE"]),
        fc.option(fc.array(fc.constantFrom(...STATUS_ITEMS), { minLength: 1, maxLength: 9 }), {
          nil: undefined,
        }),
      ),
      { nil: undefined },
    );
    const referenceArb = fc.oneof(anyText, fc.constant("")).filter(notInbox);
    await fc.assert(
      fc.asyncProperty(
        selectArb.filter(
          (s) => !s?.includes("RECURSIVEMATCH") || s.includes("SUBSCRIBED") || s.includes("SPECIAL-USE"),
        ),
        referenceArb,
        fc.array(patternArb, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        returnArb,
        async (select, reference, patterns, patternList, returns) => {
          const asList = patternList || patterns.length > 1;
          const wire: Piece[] = [
            "A1 LIST ",
            ...(select ? [`(${select.join(" ")}) `] : []),
            mailboxName(reference),
            " ",
            ...(asList
              ? ["(", ...patterns.flatMap((p, i) => (i ? [" ", p.wire] : [p.wire])), ")"]
              : [patterns[0]!.wire]),
            ...(returns
              ? [
                  ` RETURN (${[...returns[0], ...(returns[1] ? [`STATUS (${returns[1].join(" ")})`] : [])].join(" ")})`,
                ]
              : []),
          ];
          const expected: ListArgs = {
            extended: select !== undefined || asList || returns !== undefined,
            reference,
            patterns: (asList ? patterns : patterns.slice(0, 1)).map((p) => p.value),
            select: {
              subscribed: select?.includes("SUBSCRIBED") ?? false,
              recursiveMatch: select?.includes("RECURSIVEMATCH") ?? false,
              specialUse: select?.includes("SPECIAL-USE") ?? false,
            },
            returns: {
              subscribed: (returns?.[0].includes("SUBSCRIBED") || select?.includes("SUBSCRIBED")) ?? false,
              children: returns?.[0].includes("CHILDREN") ?? false,
              specialUse: (returns?.[0].includes("SPECIAL-USE") || select?.includes("SPECIAL-USE")) ?? false,
              status: returns?.[1] ? [...new Set(returns[1])] : undefined,
            },
          };
          expect(listArgs(await parseCommand(wire))).toEqual(expected);
          // LSUB: the same reference and first pattern.
          const lsub = lsubArgs(
            await parseCommand(["A2 LSUB ", mailboxName(reference), " ", patterns[0]!.wire]),
          );
          expect(lsub).toEqual({ reference, pattern: patterns[0]!.value });
          // STATUS on the reference name.
          if (returns?.[1]) {
            const parser = await parseCommand([
              "A3 STATUS ",
              mailboxName(reference),
              ` (${returns[1].join(" ")})`,
            ]);
            parser.sp();
            expect(parser.mailbox()).toBe(reference);
            parser.sp();
            expect(statusItems(parser)).toEqual([...new Set(returns[1])]);
            parser.end();
          }
        },
      ),
      { seed: 0x1a4d34, numRuns: 300 },
    );
  });

  test("LIST patterns match in linear time and agree with a reference matcher", () => {
    const alphabet = fc.constantFrom("a", "b", "/", "*", "%");
    /** A plain backtracking glob on short inputs: the specification of "*" and "%". */
    const reference = (p: string, n: string): boolean => {
      if (p === "") return n === "";
      const c = p[0]!;
      if (c === "*" || c === "%") {
        for (let i = 0; i <= n.length; i++) {
          if (c === "%" && n.slice(0, i).includes("/")) break;
          if (reference(p.slice(1), n.slice(i))) return true;
        }
        return false;
      }
      return n[0] === c && reference(p.slice(1), n.slice(1));
    };
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom("a", "b", "/"), maxLength: 10 }),
        (pattern, name) => {
          expect(globMatch(pattern, name)).toBe(reference(pattern, name));
        },
      ),
      { seed: 0x1a4d35, numRuns: 3000 },
    );
    // The classic exponential case for backtracking matchers stays instant.
    withinBudget(200, "glob", () => globMatch(`${"*a".repeat(500)}b`, "a".repeat(1000)));
    // One compiled pattern (its DFA states cached across names, as in LIST) agrees name after name.
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", "/"), maxLength: 10 }), { maxLength: 30 }),
        (pattern, names) => {
          const compiled = compileGlob(pattern);
          for (const name of names) expect(compiled(name)).toBe(reference(pattern, name));
        },
      ),
      { seed: 0x1a4d36, numRuns: 1000 },
    );
  });
});
