import { describe, expect, test } from "bun:test";
import { collapse, htmlToText } from "../../src/mime/search-text.ts";

const text = (html: string) => collapse(htmlToText(html));

describe("htmlToText()", () => {
  const entities: Array<[string, string, string]> = [
    [
      "decodes the common named entities",
      "caf&eacute; &amp; cr&egrave;me&nbsp;br&ucirc;l&eacute;e",
      "café & crème brûlée",
    ],
    ["decodes named entities beyond Latin-1", "&notin; &hearts; &rarr; &check; &Omega;", "∉ ♥ → ✓ Ω"],
    ["decodes decimal and hex references", "&#8217;quoted&#x2019; &#x1F600;", "’quoted’ 😀"],
    // HTML §13.2.5.80: numeric references to C1 controls mean the windows-1252 characters.
    ["reads C1 references as windows-1252", "&#150; &#147;hi&#148; &#128;", "– “hi” €"],
    // HTML §13.2.5.73: the legacy entities are recognised without their semicolon, as browsers do.
    ["decodes legacy entities without a semicolon", "&copy 2024 Remote &amp Co", "© 2024 Remote & Co"],
    [
      "leaves unknown and malformed references as typed",
      "&unknown; a&b c&&d &#; &#x; &",
      "&unknown; a&b c&&d &#; &#x; &",
    ],
    ["matches entity names case-sensitively", "&Auml; &auml; &AUML;", "Ä ä &AUML;"],
  ];
  test.each(entities)("htmlToText() %s", (_name, html, expected) => {
    expect(text(html)).toBe(expected);
  });

  test("htmlToText() drops the invisible characters newsletters pad their preheader with", () => {
    expect(
      text("<div>Your order&zwnj;&nbsp;&zwnj;&nbsp;&#8204;&#847;&#xFEFF;&#8203; has shipped</div>"),
    ).toBe("Your order has shipped");
  });

  test("htmlToText() keeps the zero-width joiner of an emoji sequence", () => {
    expect(text("<p>&#x1F468;&zwj;&#x1F469;&zwj;&#x1F467;</p>")).toBe("👨‍👩‍👧");
  });

  test("htmlToText() decodes entities in text only after the markup is gone", () => {
    expect(text("<p>1 &lt; 2 &amp;&amp; <b>3</b> &gt; 2</p><!-- &amp; --><script>x &amp; y</script>")).toBe(
      "1 < 2 && 3 > 2",
    );
  });
});
