/**
 * parseMessage: the one-time parse at delivery. Combines the structure pass
 * with the envelope and the derived listing/search fields.
 */

import { formatAddress } from "./address.ts";
import { parseSentDate } from "./date.ts";
import { decodeMimeWords } from "./encoded-words.ts";
import { buildEnvelope } from "./envelope.ts";
import { headerValue, MAX_FIELDS, parseHeaders } from "./headers.ts";
import { chooseBodies } from "./parts.ts";
import { previewOf, searchHeadersOf, searchTextOf } from "./search-text.ts";
import { sortKeysOf } from "./sort-keys.ts";
import { parseStructure } from "./structure.ts";
import type { Address, ParsedMessage } from "./types.ts";

function display(list: readonly Address[] | null): string {
  if (!list) return "";
  // Group markers (host === null) carry no address of their own.
  return list
    .filter((a) => a.host !== null)
    .map(formatAddress)
    .join(", ");
}

export function parseMessage(raw: Uint8Array): ParsedMessage {
  const { root, rootFields } = parseStructure(raw);
  const envelope = buildEnvelope(rootFields);
  const bodies = chooseBodies(root);
  const firstFrom = envelope.from?.find((a) => a.host !== null) ?? null;
  const sent = parseSentDate(envelope.date);
  let searchHeaders: string | undefined;
  return {
    headerEnd: root.bodyStart,
    envelope,
    structure: root,
    subject: envelope.subject === null ? "" : decodeMimeWords(envelope.subject),
    from: firstFrom ? formatAddress(firstFrom) : "",
    to: display(envelope.to),
    date: sent?.ms ?? null,
    sentDay: sent?.day ?? null,
    preview: previewOf(raw, bodies.text ?? bodies.html),
    searchText: searchTextOf(raw, root),
    // Derived when asked: delivery no longer needs it (the trigram index is written behind, from the
    // stored header bytes: store/search-indexer.ts), so the ~40 µs it takes are not spent per message.
    get searchHeaders() {
      searchHeaders ??= searchHeadersOf(rootFields, envelope);
      return searchHeaders;
    },
    hasAttachments: bodies.attachments.length > 0,
    sortKeys: sortKeysOf(envelope, headerValue(rootFields, "references")),
  };
}

/**
 * ParsedMessage.searchHeaders again, from the top-level header's bytes [0, headerEnd) alone: the
 * store keeps only the raw message and derives this when SEARCH reads a header (issue 12: a second,
 * lower-cased copy of every header cost as many bytes on disk as the header itself).
 */
export function searchHeadersOfHeader(header: Uint8Array): string {
  const fields = parseHeaders(header, 0, header.length, MAX_FIELDS);
  return searchHeadersOf(fields, buildEnvelope(fields));
}
