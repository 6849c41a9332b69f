/**
 * A small Prometheus registry: counters, gauges and histograms with fixed label names, rendered in
 * the text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 * Hot paths hold a child (one label combination) resolved once, so that counting allocates nothing:
 * a counter is a number, a histogram a Float64Array of bucket counts found by a short scan.
 */

type Kind = "counter" | "gauge" | "histogram";

export class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class GaugeChild {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

export class HistogramChild {
  readonly bounds: readonly number[];
  /** Per bucket (not cumulative), the last one for values above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    let i = 0;
    const bounds = this.bounds;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

type Child = CounterChild | GaugeChild | HistogramChild;

export class Family<C extends Child> {
  readonly #children = new Map<string, { values: readonly string[]; child: C }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: Kind,
    readonly labelNames: readonly string[],
    readonly make: () => C,
  ) {}

  /** The child for these label values (created on first use); resolve once, keep it. */
  labels(...values: string[]): C {
    const key = values.join("\u0000");
    let entry = this.#children.get(key);
    if (!entry) {
      entry = { values, child: this.make() };
      this.#children.set(key, entry);
    }
    return entry.child;
  }

  /** Drops every child (scrape-time gauges are rebuilt on each scrape). */
  reset(): void {
    this.#children.clear();
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.kind}`);
    for (const { values, child } of this.#children.values()) {
      const labels = this.labelNames.map((name, i) => `${name}="${escapeLabel(values[i] ?? "")}"`);
      if (child instanceof HistogramChild) {
        let cumulative = 0;
        child.bounds.forEach((bound, i) => {
          cumulative += child.counts[i]!;
          out.push(
            `${this.name}_bucket${braces([...labels, `le="${number(bound)}"`])} ${number(cumulative)}`,
          );
        });
        out.push(`${this.name}_bucket${braces([...labels, 'le="+Inf"'])} ${number(child.count)}`);
        out.push(`${this.name}_sum${braces(labels)} ${number(child.sum)}`);
        out.push(`${this.name}_count${braces(labels)} ${number(child.count)}`);
      } else {
        out.push(`${this.name}${braces(labels)} ${number(child.value)}`);
      }
    }
  }
}

export class Registry {
  readonly #families: Family<Child>[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Family<CounterChild> {
    return this.#add(new Family(name, help, "counter", labelNames, () => new CounterChild()));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Family<GaugeChild> {
    return this.#add(new Family(name, help, "gauge", labelNames, () => new GaugeChild()));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    bounds: readonly number[],
  ): Family<HistogramChild> {
    return this.#add(new Family(name, help, "histogram", labelNames, () => new HistogramChild(bounds)));
  }

  /** Every family in the text format, then `extra` (families made for one scrape). */
  render(extra: readonly Family<Child>[] = []): string {
    const out: string[] = [];
    for (const family of [...this.#families, ...extra]) family.render(out);
    return `${out.join("\n")}\n`;
  }

  #add<C extends Child>(family: Family<C>): Family<C> {
    if (this.#families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} twice`);
    this.#families.push(family as unknown as Family<Child>);
    return family;
  }
}

/** A family that is not in any registry: for values computed at scrape time. */
export function scrapeGauge(
  name: string,
  help: string,
  labelNames: readonly string[] = [],
): Family<GaugeChild> {
  return new Family(name, help, "gauge", labelNames, () => new GaugeChild());
}

const braces = (labels: readonly string[]) => (labels.length ? `{${labels.join(",")}}` : "");

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** Exposition format: in HELP, backslash and line feed are escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** In label values, backslash, double quote and line feed. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
