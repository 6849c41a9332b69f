/**
 * The one Authentication-Results field we prepend (RFC 8601 §2.2):
 * `authserv-id ";" resinfo *( ";" resinfo )`, our host name as the authserv-id (§2.5), one resinfo
 * per line, each folded at its spaces to stay near 78 characters (RFC 5322 §2.1.1).
 */

const LINE = 78;

/**
 * Folds at existing spaces: the line break goes before a space, which stays, so unfolding (removing
 * the CRLF, RFC 5322 §2.2.3) gives back exactly the text, inside comments and quoted strings too.
 */
function fold(text: string, firstLineUsed: number): string {
  const words = text.split(" ");
  let out = words[0]!;
  let used = firstLineUsed + out.length;
  for (const word of words.slice(1)) {
    if (used + 1 + word.length > LINE) {
      out += `\r\n ${word}`;
      used = 1 + word.length;
    } else {
      out += ` ${word}`;
      used += 1 + word.length;
    }
  }
  return out;
}

/**
 * The whole field, name to final CRLF. `infos` must not be empty (mailauth always gives SPF and DKIM).
 * Outside an SMTPUTF8 transaction a header field is ASCII (RFC 6532 allows UTF-8 only with it):
 * anything else from the message (a From domain in raw 8-bit, say) becomes "?". A line break can
 * never be smuggled in, whatever the resinfos hold.
 */
export function authenticationResultsField(
  authservId: string,
  infos: readonly string[],
  options: { utf8?: boolean } = {},
): string {
  const safe = (text: string) => {
    const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ");
    return options.utf8 ? flat : flat.replace(/[^\u0000-\u007f]/gu, "?");
  };
  const body = infos.map((info, i) => `\t${fold(safe(info), 8)}${i < infos.length - 1 ? ";" : ""}`);
  return `Authentication-Results: ${authservId};\r\n${body.join("\r\n")}\r\n`;
}
