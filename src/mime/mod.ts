/**
 * Mailroom's parse-once MIME module: a message is parsed at delivery into
 * JSON-serialisable data (envelope, body structure with byte offsets, search
 * text) that later answers IMAP FETCH and the REST API without re-parsing.
 */

export { parseAddressList } from "./address.ts";
export { bufferView, concatBytes, withoutRanges } from "./bytes.ts";
export { decodeCharset } from "./charset.ts";
export { parseSentDate, type SentDate } from "./date.ts";
export { decodeMimeWords } from "./encoded-words.ts";
export { emptyEnvelope } from "./envelope.ts";
export { headerEnd, headerValue, parseHeaders } from "./headers.ts";
export {
  headerFieldsJson,
  type MessageBytes,
  type MessageParse,
  messageJson,
  messageJsonParts,
  messageToJson,
} from "./json.ts";
export {
  type BareNewlinePolicy,
  hasBareNewline,
  LineEndings,
  normalizeNewlines,
} from "./line-endings.ts";
export { parseMessage, searchHeadersOfHeader } from "./message.ts";
export { chooseBodies, decodeBody, filenameOf, findPart, partBody } from "./parts.ts";
export { htmlToText } from "./search-text.ts";
export { has8bit, toSevenBit } from "./seven-bit.ts";
export { SORT_KEYS_VERSION, sortKeysOf } from "./sort-keys.ts";
export { decodeTransfer } from "./transfer.ts";
export type { Address, Envelope, MessageJson, MimePart, ParsedMessage, SortKeys } from "./types.ts";
