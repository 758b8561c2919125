/**
 * Statistical disclosure control of published counts. Pure.
 *
 * The published counts are cells linked by additive relations (a total is the sum of its parts); the
 * tables of one publication share their margins, so the relations of every table form one system.
 *
 * - Primary suppression: every count from 1 to 10 is withheld (0 and 11 or more are published).
 * - Secondary suppression: a reader who knows the published counts, the relations, and that counts
 *   are non-negative integers must not be able to work out any withheld count exactly. The attacker
 *   below tries two ways, repeatedly, each feeding the other: interval reasoning on each relation
 *   (bounds), and linear elimination over all relations (Gauss-Jordan). While it recovers a cell, the
 *   smallest published count that shares a relation with it, preferring the relation where it has the
 *   fewest withheld companions, is withheld too (a 0 only if no total of its relations is 0: a total
 *   of 0 gives its parts away). The loop ends: each round withholds one more count.
 *
 * The publication flags every withheld count alike and never says which ones are primary: knowing that
 * a withheld cell lies between 1 and 10 would let interval reasoning narrow it down again.
 */

export const SMALL_COUNT = Object.freeze({ min: 1, max: 10 });

/** total = sum of parts, every member being the id of a count. */
export interface AdditiveRelation {
  total: string;
  parts: readonly string[];
}

const EPSILON = 1e-9;

interface Equation {
  /** Coefficient per unknown id. */
  terms: Map<string, number>;
  constant: number;
}

/** The relations as equations over the unknown cells: sum(coefficient * unknown) = constant. */
function equationsOf(known: ReadonlyMap<string, number>, relations: readonly AdditiveRelation[]): Equation[] {
  return relations.map((relation) => {
    const terms = new Map<string, number>();
    let constant = 0;
    const add = (id: string, coefficient: number) => {
      const value = known.get(id);
      if (value !== undefined) constant -= coefficient * value;
      else terms.set(id, (terms.get(id) ?? 0) + coefficient);
    };
    add(relation.total, 1);
    for (const part of relation.parts) add(part, -1);
    return { terms, constant };
  });
}

/** Tightens [lo, hi] of every unknown from each equation until nothing moves; fixes those with lo = hi. */
function propagateBounds(equations: Equation[], bounds: Map<string, { lo: number; hi: number }>): Map<string, number> {
  for (let changed = true, round = 0; changed && round < 10_000; round++) {
    changed = false;
    for (const { terms, constant } of equations) {
      for (const [id, coefficient] of terms) {
        let restMin = 0;
        let restMax = 0;
        for (const [other, c] of terms) {
          if (other === id) continue;
          const { lo, hi } = bounds.get(other)!;
          restMin += Math.min(c * lo, c * hi);
          restMax += Math.max(c * lo, c * hi);
        }
        // coefficient * x = constant - rest
        const a = (constant - restMax) / coefficient;
        const b = (constant - restMin) / coefficient;
        const own = bounds.get(id)!;
        const lo = Math.max(own.lo, Math.ceil(Math.min(a, b) - EPSILON));
        const hi = Math.min(own.hi, Math.floor(Math.max(a, b) + EPSILON));
        if (lo > own.lo || hi < own.hi) {
          bounds.set(id, { lo, hi });
          changed = true;
        }
      }
    }
  }
  const fixed = new Map<string, number>();
  for (const [id, { lo, hi }] of bounds) if (lo === hi) fixed.set(id, lo);
  return fixed;
}

/** Unknowns that the equations determine alone: a row of the reduced echelon form with one term. */
function solveLinear(equations: Equation[], unknowns: string[]): Map<string, number> {
  const column = new Map(unknowns.map((id, index) => [id, index]));
  const width = unknowns.length;
  const rows = equations
    .filter((e) => e.terms.size > 0)
    .map((e) => {
      const row = new Array<number>(width + 1).fill(0);
      for (const [id, coefficient] of e.terms) row[column.get(id)!] = coefficient;
      row[width] = e.constant;
      return row;
    });
  let pivotRow = 0;
  for (let col = 0; col < width && pivotRow < rows.length; col++) {
    let best = pivotRow;
    for (let r = pivotRow + 1; r < rows.length; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[best]![col]!)) best = r;
    if (Math.abs(rows[best]![col]!) < EPSILON) continue;
    [rows[pivotRow], rows[best]] = [rows[best]!, rows[pivotRow]!];
    const pivot = rows[pivotRow]!;
    const scale = pivot[col]!;
    for (let c = col; c <= width; c++) pivot[c]! /= scale;
    for (let r = 0; r < rows.length; r++) {
      if (r === pivotRow) continue;
      const row = rows[r]!;
      const factor = row[col]!;
      if (Math.abs(factor) < EPSILON) continue;
      for (let c = col; c <= width; c++) row[c]! -= factor * pivot[c]!;
    }
    pivotRow++;
  }
  const fixed = new Map<string, number>();
  for (const row of rows.slice(0, pivotRow)) {
    const nonZero = row.slice(0, width).flatMap((v, index) => (Math.abs(v) > EPSILON ? [index] : []));
    if (nonZero.length === 1) fixed.set(unknowns[nonZero[0]!]!, Math.round(row[width]! / row[nonZero[0]!]!));
  }
  return fixed;
}

/**
 * The withheld counts (null) that a reader can work out exactly from the published ones and the
 * relations, with the value they would find.
 */
export function recoverableCounts(published: ReadonlyMap<string, number | null>, relations: readonly AdditiveRelation[]): Map<string, number> {
  const known = new Map<string, number>();
  const bounds = new Map<string, { lo: number; hi: number }>();
  for (const [id, value] of published) {
    if (value === null) bounds.set(id, { lo: 0, hi: Number.POSITIVE_INFINITY });
    else known.set(id, value);
  }
  const recovered = new Map<string, number>();
  for (;;) {
    const equations = equationsOf(known, relations);
    const found = propagateBounds(equations, bounds);
    for (const [id, value] of solveLinear(equations, [...bounds.keys()])) found.set(id, value);
    if (found.size === 0) return recovered;
    for (const [id, value] of found) {
      recovered.set(id, value);
      known.set(id, value);
      bounds.delete(id);
    }
  }
}

function isSmall(value: number): boolean {
  return value >= SMALL_COUNT.min && value <= SMALL_COUNT.max;
}

/**
 * The smallest count (a 0 too: withholding it costs the least information and still hides how the
 * total splits), then by id so that the choice is reproducible.
 */
function cheapest(ids: string[], values: ReadonlyMap<string, number>): string | undefined {
  return [...ids].sort((x, y) => values.get(x)! - values.get(y)! || (x < y ? -1 : x > y ? 1 : 0))[0];
}

/** What an earlier pass settled, for a pass over more tables (the efficacy tables, report.ts). */
export interface SuppressionOptions {
  /**
   * Counts that no table shows but that a reader knows to exist in a relation (the orientations of one
   * permit family still too recent for the efficacy tables): never published, the attacker reasons
   * with them as unknowns, and working one of them out is no disclosure in itself (it is a difference
   * of counts, not a cell); it only matters for what it leads to.
   */
  unpublished?: ReadonlySet<string>;
  /** Counts an earlier pass withheld: withheld here too, and protected like the others. */
  withheld?: ReadonlySet<string>;
  /** Counts an earlier pass published: they stay published; others are withheld to protect a cell. */
  published?: ReadonlySet<string>;
}

/**
 * The ids of the counts to withhold: primary (1 to 10) and secondary, so that no withheld count can be
 * recovered by the attacker of recoverableCounts.
 */
export function suppressCounts(values: ReadonlyMap<string, number>, relations: readonly AdditiveRelation[], options: SuppressionOptions = {}): Set<string> {
  const unpublished = options.unpublished ?? new Set<string>();
  const fixed = options.published ?? new Set<string>();
  const suppressed = new Set([...values].filter(([id, value]) => (isSmall(value) && !fixed.has(id)) || unpublished.has(id) || options.withheld?.has(id)).map(([id]) => id));
  const relationsOf = new Map<string, AdditiveRelation[]>();
  for (const relation of relations) {
    for (const id of [relation.total, ...relation.parts]) relationsOf.set(id, [...(relationsOf.get(id) ?? []), relation]);
  }
  // A 0 that is a total, or a part of a total of 0, gives itself away (a total of 0 has parts of 0).
  const canHide = (id: string) => !fixed.has(id) && (values.get(id)! > 0 || (relationsOf.get(id) ?? []).every((relation) => values.get(relation.total)! > 0));
  for (;;) {
    const published = new Map<string, number | null>([...values].map(([id, value]) => [id, suppressed.has(id) ? null : value]));
    const recovered = new Map([...recoverableCounts(published, relations)].filter(([id]) => !unpublished.has(id)));
    if (recovered.size === 0) return new Set([...suppressed].filter((id) => !unpublished.has(id)));
    let added = 0;
    for (const id of recovered.keys()) {
      const members = (relation: AdditiveRelation) => [relation.total, ...relation.parts];
      // The relation where the cell is most exposed (fewest withheld members) first.
      const candidates = [...(relationsOf.get(id) ?? [])]
        .sort((x, y) => members(x).filter((m) => suppressed.has(m)).length - members(y).filter((m) => suppressed.has(m)).length)
        .map((relation) => cheapest(members(relation).filter((m) => !suppressed.has(m) && canHide(m)), values))
        .filter((m): m is string => m !== undefined);
      if (candidates[0] !== undefined) {
        suppressed.add(candidates[0]);
        added++;
      }
    }
    if (added === 0) {
      // Every neighbour is already withheld and still the cell is recovered: widen to any published count.
      const any = cheapest([...values.keys()].filter((id) => !suppressed.has(id) && !fixed.has(id)), values);
      if (any === undefined) return new Set([...suppressed].filter((id) => !unpublished.has(id)));
      suppressed.add(any);
    }
  }
}
