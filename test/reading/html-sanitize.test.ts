/**
 * sanitizeMessageHtml() (src/reading/html-sanitize.ts) against hostile markup, table-driven: what
 * must never survive (script, handlers, executable URLs, remote loads, CSS that loads or runs) and
 * what a reader still needs (text, layout, links, embedded images).
 */
import { describe, expect, test } from "bun:test";
import { safeStyle, sanitizeMessageHtml } from "../../src/reading/html-sanitize.ts";

const clean = (html: string) =>
  sanitizeMessageHtml(html, { cidUrl: (id) => (id === "logo@x" ? "/part/2" : undefined) });

describe("sanitizeMessageHtml() removes", () => {
  const hostile: Array<[what: string, html: string, banned: RegExp]> = [
    ["script elements", "<p>a<script>alert(1)</script></p>", /script|alert/i],
    ["a split script tag", "<scr<script>ipt>alert(1)</script>", /<script/i],
    ["event handlers", '<p onclick="x()" onmouseover=y()>a</p><body onload=z()>', /on\w+=/i],
    ["javascript: links", '<a href="javascript:alert(1)">a</a>', /javascript/i],
    [
      "entity-hidden javascript:",
      '<a href="jav&#x09;ascript:alert(1)">a</a><a href="&#106;avascript:x">b</a>',
      /href/i,
    ],
    [
      "vbscript: and data: links",
      '<a href="vbscript:x">a</a><a href="data:text/html,<script>x</script>">b</a>',
      /href/i,
    ],
    [
      "remote images",
      '<img src="https://tracker.example/p.gif"><img src="//tracker.example/p.gif">',
      /tracker/,
    ],
    ["image srcset", '<img srcset="https://tracker.example/p.gif 2x">', /tracker/],
    [
      "frames, objects, embeds",
      '<iframe src="https://x.example"></iframe><object data="x"></object><embed src="x">',
      /iframe|object|embed|x\.example/,
    ],
    [
      "stylesheets and style blocks",
      '<link rel=stylesheet href="https://x.example/s.css"><style>@import "x";</style>',
      /link|style|import/i,
    ],
    [
      "CSS url(), expression() and escapes",
      '<p style="background:url(https://t.example/x);width:expression(alert(1));color:u\\72l(x)">a</p>',
      /url|expression|\\/i,
    ],
    [
      "background attributes",
      '<table background="https://t.example/bg.png"><td background="x">a</td></table>',
      /background/,
    ],
    [
      "forms",
      '<form action="https://x.example"><input name=p><button formaction="https://x.example">go</button></form>',
      /form|input|x\.example/,
    ],
    [
      "meta refresh and base",
      '<meta http-equiv="refresh" content="0;url=https://x.example"><base href="https://x.example/">',
      /meta|base|x\.example/,
    ],
    [
      "SVG and MathML",
      '<svg onload=alert(1)><script>x</script></svg><math><mi xlink:href="javascript:x">m</mi></math>',
      /svg|onload|script|javascript/i,
    ],
    ["comments hiding markup", "<!-- <script>alert(1)</script> --><p>ok</p>", /script|<!--/],
  ];
  for (const [what, html, banned] of hostile) {
    test(what, () => {
      expect(clean(html)).not.toMatch(banned);
    });
  }
});

describe("sanitizeMessageHtml() keeps", () => {
  test("text, layout and safe inline style", () => {
    expect(
      clean(
        '<table><tr><td style="color:red; padding: 4px" align="center"><b>Hi</b> &amp; bye</td></tr></table>',
      ),
    ).toBe(
      '<table><tr><td align="center" style="color:red;padding:4px"><b>Hi</b> &amp; bye</td></tr></table>',
    );
  });

  test("links, opening elsewhere without a referrer", () => {
    expect(clean('<a href="https://shop.example/?a=1&amp;b=2">Shop</a>')).toBe(
      '<a href="https://shop.example/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">Shop</a>',
    );
  });

  test("embedded images, pointed at their part; data: images as they are", () => {
    expect(
      clean('<img src="cid:LOGO@x" alt="logo"><img src="cid:unknown"><img src="data:image/png;base64,AA==">'),
    ).toBe('<img src="/part/2" alt="logo" /><img /><img src="data:image/png;base64,AA==" />');
  });
});

test("safeStyle() drops only the declarations that could load or run something", () => {
  expect(safeStyle("color: red; background: url(x); /* url( */ font-weight: bold")).toBe(
    "color: red; font-weight: bold",
  );
  expect(safeStyle("behavior: url(x.htc); -moz-binding: url(x)")).toBe("");
});
