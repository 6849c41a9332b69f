/** messageLinks() (src/reading/links.ts): every URL of the text and HTML bodies, once per body, in order. */
import { expect, test } from "bun:test";
import { htmlLinks, messageLinks, textUrls } from "../../src/reading/links.ts";

test("textUrls() ends a URL where the sentence goes on, and keeps balanced parentheses", () => {
  expect(
    textUrls(
      "See https://x.example/a?b=1. Or (https://y.example/p) and https://w.example/wiki/A_(b), mailto:me@x.example; ftp://f.example/x!",
    ),
  ).toEqual([
    "https://x.example/a?b=1",
    "https://y.example/p",
    "https://w.example/wiki/A_(b)",
    "mailto:me@x.example",
    "ftp://f.example/x",
  ]);
  expect(textUrls("just https:// and mailto: alone")).toEqual([]);
});

test("htmlLinks() reads URL attributes with entities decoded and the visible text, not script or style", () => {
  expect(
    htmlLinks(
      '<a href="https://a.example/?x=1&amp;y=2"> Click <b>here</b> </a><img src="https://p.example/1.gif"><style>x{background:url(https://css.example/)}</style><p>or https://t.example/z</p><a href="#top">top</a><a href="javascript:x">j</a><form action="https://f.example/post"></form>',
    ),
  ).toEqual([
    { url: "https://a.example/?x=1&y=2", text: "Click here" },
    { url: "https://p.example/1.gif", text: null },
    { url: "https://t.example/z", text: null },
    { url: "https://f.example/post", text: null },
  ]);
});

test("messageLinks() lists each URL once per body, HTML first", () => {
  expect(
    messageLinks({
      text: "Go to https://a.example/x then https://a.example/x again",
      html: '<a href="https://a.example/x">x</a><a href="https://a.example/x">again</a>',
    }),
  ).toEqual([
    { url: "https://a.example/x", part: "html", text: "x" },
    { url: "https://a.example/x", part: "text", text: null },
  ]);
});

test("messageLinks() reports at most 1,000 links, however many the message has", () => {
  const text = Array.from({ length: 5_000 }, (_, i) => `https://x.example/${i}`).join(" ");
  expect(messageLinks({ text, html: null }).length).toBe(1_000);
});
