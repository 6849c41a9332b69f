/**
 * Colour contrast of the web interface's themes (issue 17, basic accessibility): every pair of text
 * and background colours the stylesheet uses meets WCAG 2.2 AA for normal text (4.5:1, §1.4.3),
 * and focus rings and borders of controls meet 3:1 against the page (§1.4.11), in light and dark.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const css = readFileSync(join(import.meta.dir, "../../webui/src/style.css"), "utf8");

/** The custom properties of the first block whose selector matches. */
function theme(selector: RegExp): Record<string, string> {
  const block = new RegExp(`${selector.source}\\s*\\{([^}]*)\\}`).exec(css)?.[1];
  if (!block) throw new Error(`no block ${selector}`);
  return Object.fromEntries([...block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/g)].map((m) => [m[1]!, m[2]!]));
}

/** WCAG relative luminance of an sRGB colour (§ "relative luminance"). */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** [text, background] pairs as the stylesheet combines them. */
const TEXT_PAIRS: Array<[string, string]> = [
  ["fg", "bg"],
  ["fg", "panel"],
  ["fg", "sel"],
  ["fg", "code"],
  ["muted", "bg"],
  ["muted", "panel"],
  ["accent", "bg"],
  ["accent", "panel"],
  ["accent-fg", "accent"],
  ["danger", "bg"],
  ["danger", "panel"],
  ["ok", "bg"],
  ["warn", "bg"],
  ["warn", "panel"],
];

for (const [name, selector] of [
  ["light", /:root/],
  ["dark", /:root\[data-theme="dark"\]/],
] as const) {
  test(`the ${name} theme's text colours meet 4.5:1 and its focus ring 3:1`, () => {
    const t = theme(selector);
    const low = TEXT_PAIRS.map(([fg, bg]) => ({
      pair: `${fg} on ${bg}`,
      ratio: contrast(t[fg]!, t[bg]!),
    })).filter((p) => p.ratio < 4.5);
    expect(low).toEqual([]);
    expect(contrast(t.focus!, t.bg!)).toBeGreaterThanOrEqual(3);
    // Inputs are bordered in the muted colour: a control's edge must be visible (§1.4.11).
    expect(contrast(t.muted!, t.bg!)).toBeGreaterThanOrEqual(3);
  });
}

test("the dark theme under prefers-color-scheme is the same as the one chosen by the Theme button", () => {
  expect(theme(/:root:not\(\[data-theme="light"\]\)/)).toEqual(theme(/:root\[data-theme="dark"\]/));
});
