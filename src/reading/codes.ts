/**
 * One-time codes in a message (issue 16, `GET .../messages/{id}/codes`): the "123456" of "Your
 * verification code is 123456", so a test of a sign-in flow need not write its own pattern.
 *
 * A code is a token of 4 to 12 digits (also written in two groups, "123 456", "123-456") or of
 * letters and digits with at least one digit ("A7K-9QX", "k3j9x2"), within a short distance of a
 * word that announces one: code, verification, OTP, passcode, PIN, password... in English, German,
 * French, Spanish, Italian, Portuguese, Dutch, the Scandinavian languages, Polish, Czech, Turkish,
 * Russian, Japanese, Chinese and Korean. URLs and e-mail addresses are not searched (their digits
 * are ids, not codes), nor phrases where "code" means something else (zip code, barcode...).
 * Dates, times, amounts and other parts of larger numbers are skipped. Codes come ordered by how
 * close their keyword is (nearest first), digits before mixed tokens at the same distance.
 */
import { READING_LIMITS } from "./limits.ts";

export interface OneTimeCode {
  /** The code as written, group separators removed ("123 456" -> "123456"). */
  code: string;
  /** The word that announced it, as written. */
  keyword: string;
  /** The text around it, white space collapsed. */
  context: string;
}

/** Keywords found anywhere, also inside compounds ("Bestätigungscode", "verificatiecode"). */
const STEMS = [
  // English
  "code",
  "verification",
  "verify",
  "passcode",
  "one-time",
  "one time",
  "confirmation",
  "authenticat",
  "password",
  "log in",
  "login",
  "sign in",
  "sign-in",
  // German
  "bestätigung",
  "bestaetigung",
  "verifizierung",
  "einmalpasswort",
  "einmalkennwort",
  "kennwort",
  "passwort",
  "anmeldung",
  // French
  "vérification",
  "mot de passe",
  "sécurité",
  "usage unique",
  "connexion",
  // Spanish, Portuguese, Italian
  "código",
  "codigo",
  "verificación",
  "verificacion",
  "verificação",
  "verificacao",
  "contraseña",
  "confirmación",
  "confirmação",
  "clave",
  "senha",
  "codice",
  "verifica",
  "conferma",
  // Dutch
  "verificatie",
  "bevestiging",
  "wachtwoord",
  "inlog",
  // Scandinavian
  "verifiering",
  "bekräftelse",
  "bekræftelse",
  "bekreftelse",
  "engångs",
  "engangs",
  "lösenord",
  "kode",
  // Polish, Czech, Turkish, Russian
  "weryfikac",
  "hasło",
  "potwierdz",
  "kód",
  "ověř",
  "doğrulama",
  "şifre",
  "код",
  "подтвержд",
  "пароль",
  // Japanese, Chinese, Korean
  "認証",
  "確認コード",
  "コード",
  "ワンタイム",
  "暗証",
  "验证码",
  "驗證碼",
  "校验码",
  "动态码",
  "密码",
  "인증",
  "코드",
];

/** Short keywords, only as whole words ("pin" is not in "shipping"). */
const WORDS = ["otp", "pin", "tan", "2fa", "mfa", "kod", "totp"];

/** Phrases where "code" is no one-time code; blanked out before keywords are looked for. */
const NOT_CODES =
  /\b(?:zip|postal|post|area|country|dialing|promo|promotional|discount|coupon|voucher|source|qr|bar|de|en|uni)[ -]?codes?\b|\bcode of conduct\b/giu;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const KEYWORD = new RegExp(
  [
    ...STEMS.map(escapeRegex),
    ...WORDS.map((w) => `(?<![\\p{L}\\p{N}])${escapeRegex(w)}(?![\\p{L}\\p{N}])`),
  ].join("|"),
  "giu",
);

/** Digits: 4 to 12, or two groups of 3-4 with one space or hyphen. Next to CJK text is fine. */
const DIGITS = /(?<![A-Za-z0-9])(?:\d{3,4}[ -]\d{3,4}(?![ -]?\d)|\d{4,12})(?![A-Za-z0-9])/gu;
/** Letters and digits, 4-12, or two such groups of 3-6 with a hyphen; not inside a word. */
const MIXED =
  /(?<![\p{L}\p{N}_-])(?:[A-Za-z0-9]{3,6}-[A-Za-z0-9]{3,6}|[A-Za-z0-9]{4,12})(?![\p{L}\p{N}_-])/gu;

/** URLs and e-mail addresses, blanked out: their digits are ids, not codes. */
const NOT_SEARCHED = /\b(?:https?|ftp):\/\/\S+|\bwww\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/giu;

/** Same-length blanks, so that positions in the searched text are positions in the text. */
function blank(text: string, pattern: RegExp): string {
  return text.replace(pattern, (m) => " ".repeat(m.length));
}

interface Candidate {
  code: string;
  start: number;
  end: number;
  digits: boolean;
}

/** Whether the token is part of a larger number: a date, a time, an amount, a version, a phone number. */
function partOfLargerNumber(text: string, start: number, end: number): boolean {
  const before = text[start - 1] ?? "";
  const beforeThat = text[start - 2] ?? "";
  const after = text[end] ?? "";
  const afterThat = text[end + 1] ?? "";
  const isDigit = (c: string) => c >= "0" && c <= "9";
  if ("/.:,".includes(before) && before !== "" && isDigit(beforeThat)) return true;
  // The last groups of a phone number ("+1 555 1234").
  if (before === " " && isDigit(beforeThat)) return true;
  if ("/.:,".includes(after) && after !== "" && isDigit(afterThat)) return true;
  // An amount or a number given as one ("$1234", "#123456", "+49 ...", "1234%").
  if (before !== "" && "$€£¥#+".includes(before)) return true;
  return after === "%";
}

function candidates(text: string): Candidate[] {
  const found: Candidate[] = [];
  const taken = new Set<number>();
  for (const m of text.matchAll(DIGITS)) {
    const start = m.index;
    const end = start + m[0].length;
    if (partOfLargerNumber(text, start, end)) continue;
    found.push({ code: m[0].replace(/[ -]/g, ""), start, end, digits: true });
    taken.add(start);
  }
  for (const m of text.matchAll(MIXED)) {
    const start = m.index;
    if (taken.has(start)) continue;
    const token = m[0];
    const plain = token.replace(/-/g, "");
    // A mixed code has both; all digits was handled above; all letters is a word.
    if (!/\d/.test(plain) || !/[A-Za-z]/.test(plain)) continue;
    if (plain.length < 4 || plain.length > 12) continue;
    found.push({ code: plain, start, end: start + token.length, digits: false });
  }
  return found;
}

/** How far after "zip code" (and the like) a number is taken to be that, not a one-time code. */
const NOT_CODE_REACH = 15;

/** Where NOT_CODES phrases end: a number just after one is a zip code, a coupon... */
function notCodeEnds(text: string): number[] {
  return [...text.matchAll(NOT_CODES)].map((m) => m.index + m[0].length);
}

/** The keywords' positions in `text`. */
function keywords(text: string): Array<{ start: number; end: number; word: string }> {
  const searched = blank(text, NOT_CODES);
  return [...searched.matchAll(KEYWORD)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    word: text.slice(m.index, m.index + m[0].length),
  }));
}

/** One-time codes of a message's subject and readable body text. */
export function oneTimeCodes(subject: string, body: string): OneTimeCode[] {
  const text = `${subject}\n${body}`.slice(0, READING_LIMITS.maxCodeTextChars);
  const searched = blank(text, NOT_SEARCHED);
  const marks = keywords(searched);
  if (marks.length === 0) return [];
  const shadows = notCodeEnds(searched);
  const scored: Array<{ candidate: Candidate; distance: number; keyword: string }> = [];
  for (const candidate of candidates(searched)) {
    if (shadows.some((end) => candidate.start >= end && candidate.start - end <= NOT_CODE_REACH)) continue;
    let best: { distance: number; keyword: string } | undefined;
    for (const mark of marks) {
      // A keyword overlapping the token is the token itself ("CODE1234" is no announcement).
      if (mark.end > candidate.start && mark.start < candidate.end) continue;
      const distance = mark.end <= candidate.start ? candidate.start - mark.end : mark.start - candidate.end;
      if (distance <= READING_LIMITS.codeKeywordDistance && (!best || distance < best.distance))
        best = { distance, keyword: mark.word };
    }
    if (best) scored.push({ candidate, ...best });
  }
  scored.sort(
    (a, b) =>
      a.distance - b.distance ||
      Number(b.candidate.digits) - Number(a.candidate.digits) ||
      a.candidate.start - b.candidate.start,
  );
  const out: OneTimeCode[] = [];
  const seen = new Set<string>();
  for (const { candidate, keyword } of scored) {
    if (seen.has(candidate.code)) continue;
    seen.add(candidate.code);
    const from = Math.max(0, candidate.start - READING_LIMITS.codeContextChars);
    const to = Math.min(text.length, candidate.end + READING_LIMITS.codeContextChars);
    out.push({ code: candidate.code, keyword, context: text.slice(from, to).replace(/\s+/g, " ").trim() });
    if (out.length >= READING_LIMITS.maxCodes) break;
  }
  return out;
}
