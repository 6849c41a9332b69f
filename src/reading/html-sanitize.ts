/**
 * A message's HTML body made safe to show (issue 16, `GET .../messages/{id}/html`): no scripts, no
 * event handlers, no javascript: (or any other executable) URLs, and nothing that loads from the
 * network when the page is opened: remote images, stylesheets, frames, fonts and CSS url()s are
 * removed; images embedded in the message (cid:) are pointed at our own part URL.
 *
 * The work is done by sanitize-html (apostrophecms), an allow-list sanitizer on htmlparser2 that
 * runs without a DOM, so the same code runs on both our runtimes. It re-serialises what it keeps
 * from the parsed tokens (text escaped, attributes quoted), which is what defeats the malformed-
 * markup tricks (`<scr<script>ipt>`, unclosed comments, entity-hidden `javascript:`) that a
 * hand-written tokenizer of ours would have to get right case by case. Our part is the policy below:
 * which tags and attributes stay, and the CSS rule, since sanitize-html passes style attributes
 * through unchecked unless each property is listed.
 */
import sanitizeHtml from "sanitize-html";

/** Markup of e-mail layout and text; everything else goes, its content with it where it is code. */
const TAGS = [
  ...sanitizeHtml.defaults.allowedTags,
  "img",
  "font",
  "center",
  "span",
  "div",
  "u",
  "s",
  "strike",
  "small",
  "big",
  "sub",
  "sup",
  "hr",
  "br",
  "table",
  "thead",
  "tbody",
  "tfoot",
  "tr",
  "td",
  "th",
  "caption",
  "colgroup",
  "col",
];

/** Presentation attributes: none of them can run code or load anything (no `background`). */
const COMMON_ATTRIBUTES = [
  "style",
  "class",
  "align",
  "valign",
  "width",
  "height",
  "bgcolor",
  "color",
  "dir",
  "lang",
  "title",
  "border",
  "cellpadding",
  "cellspacing",
  "colspan",
  "rowspan",
];

/**
 * CSS that can load or run something: url() and image-set() fetch, @import pulls in a sheet,
 * expression() and behavior/-moz-binding ran script in old engines. A backslash can spell any of
 * them in CSS escapes (`u\72l(`), so a declaration with one is dropped as well.
 */
const UNSAFE_CSS = /url\s*\(|image-set|@import|expression|behavior|binding|javascript:|\\/i;

/** The style attribute without the declarations UNSAFE_CSS names (comments removed first). */
export function safeStyle(style: string): string {
  return style
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split(";")
    .map((declaration) => declaration.trim())
    .filter((declaration) => declaration !== "" && !UNSAFE_CSS.test(declaration))
    .join("; ");
}

export interface SanitizeOptions {
  /** The URL to show for an embedded image `cid:<content-id>` (lower-cased, without <>); undefined drops it. */
  cidUrl?: (contentId: string) => string | undefined;
  /**
   * Issue 17: keep remote (http/https) images, because the reader asked for them ("load remote
   * content"); they are dropped otherwise, since loading one tells the sender the mail was read.
   */
  remoteImages?: boolean;
  /** Called for each remote image dropped (the web interface says how many it blocked). */
  onRemoteImage?: () => void;
}

/** The sanitized HTML (see the module comment). */
export function sanitizeMessageHtml(html: string, options: SanitizeOptions = {}): string {
  return sanitizeHtml(html, {
    allowedTags: TAGS,
    allowedAttributes: {
      "*": COMMON_ATTRIBUTES,
      a: ["href", "name", "target", "rel"],
      img: ["src", "alt", "width", "height"],
      font: ["face", "size", "color"],
      td: ["nowrap"],
      th: ["nowrap"],
    },
    // Links may go anywhere a mail client would open them; following one is the reader's choice.
    allowedSchemes: ["http", "https", "mailto", "tel"],
    // An image loads when the page opens: only what the message itself carries.
    allowedSchemesByTag: { img: options.remoteImages ? ["data", "cid", "http", "https"] : ["data", "cid"] },
    allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
    allowProtocolRelative: false,
    // Their content is code or head matter, not text to keep once the tag is gone.
    nonTextTags: ["script", "style", "textarea", "option", "noscript", "title", "head", "template"],
    disallowedTagsMode: "discard",
    // One transform per tag replaces the "*" one in sanitize-html, so each cleans the style too.
    transformTags: {
      "*": (tagName, attribs) => ({ tagName, attribs: styled(attribs) }),
      img: (tagName, attribs) => {
        const src = attribs.src ?? "";
        if (/^cid:/i.test(src)) {
          const id = decodeURIComponentSafe(src.slice(4)).replace(/^<|>$/g, "").toLowerCase();
          const url = options.cidUrl?.(id);
          if (url === undefined) delete attribs.src;
          else attribs.src = url;
        } else if (/^\s*https?:/i.test(src) && !options.remoteImages) {
          options.onRemoteImage?.();
          delete attribs.src;
        }
        return { tagName, attribs: styled(attribs) };
      },
      // A link opens elsewhere, and tells the target neither who referred it nor lets it script back.
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...styled(attribs), target: "_blank", rel: "noopener noreferrer" },
      }),
    },
  });
}

/** The attributes with their style attribute made safe (or gone when nothing safe is left). */
function styled(attribs: Record<string, string>): Record<string, string> {
  if (attribs.style === undefined) return attribs;
  const style = safeStyle(attribs.style);
  const { style: _unsafe, ...rest } = attribs;
  return style === "" ? rest : { ...rest, style };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
