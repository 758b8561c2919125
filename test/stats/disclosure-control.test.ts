import { expect } from 'chai';
import fc from 'fast-check';
import { recoverableCounts, suppressCounts, type AdditiveRelation } from '../../src/stats/disclosure-control.js';
import { exactlyRecoverable } from '../fixtures/disclosure-checker.js';

/** A two-way table with its margins: ids `name:r,c`, `name:r,T`, `name:T,c`, `name:T,T` (T = total). */
function table(name: string, grid: number[][], shareRowTotalsWith?: string): { values: Map<string, number>; relations: AdditiveRelation[] } {
  const values = new Map<string, number>();
  const relations: AdditiveRelation[] = [];
  const rows = grid.length;
  const cols = grid[0]!.length;
  // Row totals may be shared with another table (the same quantity published twice).
  const rowTotal = (r: number) => `${shareRowTotalsWith ?? name}:${r},T`;
  const grand = `${shareRowTotalsWith ?? name}:T,T`;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) values.set(`${name}:${r},${c}`, grid[r]![c]!);
    values.set(rowTotal(r), grid[r]!.reduce((a, b) => a + b, 0));
    relations.push({ total: rowTotal(r), parts: grid[r]!.map((_, c) => `${name}:${r},${c}`) });
  }
  for (let c = 0; c < cols; c++) {
    values.set(`${name}:T,${c}`, grid.reduce((sum, row) => sum + row[c]!, 0));
    relations.push({ total: `${name}:T,${c}`, parts: grid.map((_, r) => `${name}:${r},${c}`) });
  }
  values.set(grand, grid.flat().reduce((a, b) => a + b, 0));
  relations.push({ total: grand, parts: grid.map((_, r) => rowTotal(r)) });
  relations.push({ total: grand, parts: grid[0]!.map((_, c) => `${name}:T,${c}`) });
  return { values, relations };
}

function publish(values: Map<string, number>, suppressed: Set<string>): Map<string, number | null> {
  return new Map([...values].map(([id, v]) => [id, suppressed.has(id) ? null : v]));
}

describe('stats/disclosure-control', () => {
  describe('recoverableCounts (the attacker the suppression defends against)', () => {
    it('recovers the only withheld count of a relation from its published total', () => {
      const { values, relations } = table('t', [[3, 20], [15, 30]]);
      const recovered = recoverableCounts(publish(values, new Set(['t:0,0'])), relations);
      expect([...recovered]).to.deep.equal([['t:0,0', 3]]);
    });

    it('recovers nothing from a rectangle of four withheld counts whose totals are all published', () => {
      const { values, relations } = table('t', [[3, 20], [15, 30]]);
      expect(recoverableCounts(publish(values, new Set(['t:0,0', 't:0,1', 't:1,0', 't:1,1'])), relations).size).to.equal(0);
    });

    it('recovers withheld counts by bounds: parts of a published total of 0 are all 0', () => {
      const relations = [{ total: 'n', parts: ['a', 'b'] }];
      expect([...recoverableCounts(new Map([['n', 0], ['a', null], ['b', null]]), relations)].sort()).to.deep.equal([['a', 0], ['b', 0]]);
    });

    it('recovers withheld counts by elimination where bounds alone learn nothing (a + b = b + c = a + c = 20)', () => {
      const relations = [
        { total: 'x', parts: ['a', 'b'] },
        { total: 'y', parts: ['b', 'c'] },
        { total: 'z', parts: ['a', 'c'] },
      ];
      const published = new Map<string, number | null>([['x', 20], ['y', 20], ['z', 20], ['a', null], ['b', null], ['c', null]]);
      expect(new Map(recoverableCounts(published, relations))).to.deep.equal(new Map([['a', 10], ['b', 10], ['c', 10]]));
    });
  });

  describe('the exhaustive checker of these tests', () => {
    it('finds the counts that primary suppression alone leaves recoverable', () => {
      const { values, relations } = table('t', [[3, 20, 12], [15, 30, 4], [50, 60, 70]]);
      const primaryOnly = new Set([...values].filter(([, v]) => v >= 1 && v <= 10).map(([id]) => id));
      expect(exactlyRecoverable(publish(values, primaryOnly), relations, values).sort()).to.deep.equal(['t:0,0', 't:1,2']);
    });
  });

  describe('suppressCounts', () => {
    it('withholds every count from 1 to 10 and nothing else when that is enough', () => {
      const { values, relations } = table('t', [[3, 4], [5, 6]]);
      const suppressed = suppressCounts(values, relations);
      // Every interior count is small; the margins 7, 11, 8, 10, 18: 7, 8 and 10 are small too.
      for (const [id, v] of values) if (v >= 1 && v <= 10) expect(suppressed.has(id), id).to.equal(true);
      expect(exactlyRecoverable(publish(values, suppressed), relations, values)).to.deep.equal([]);
    });

    it('adds the smallest published count of the row when a row has one withheld count (secondary suppression)', () => {
      const { values, relations } = table('t', [[3, 20, 40], [15, 30, 45], [50, 60, 70]]);
      const suppressed = suppressCounts(values, relations);
      expect(suppressed.has('t:0,0')).to.equal(true);
      expect(suppressed.size).to.be.greaterThan(1);
      // 15 (its column) and 20 (its row) are the cheapest partners; 70 is never needed.
      expect(suppressed.has('t:2,2')).to.equal(false);
      expect(exactlyRecoverable(publish(values, suppressed), relations, values)).to.deep.equal([]);
    });

    it('publishes 0 and counts of 11 or more untouched when nothing is small', () => {
      const { values, relations } = table('t', [[0, 11], [12, 0]]);
      expect(suppressCounts(values, relations).size).to.equal(0);
    });

    it('protects tables that share their margins as one system', () => {
      const a = table('a', [[2, 30], [40, 50]]);
      const b = table('b', [[12, 20], [45, 45]], 'a');
      const values = new Map([...a.values, ...b.values]);
      const relations = [...a.relations, ...b.relations];
      const suppressed = suppressCounts(values, relations);
      expect(exactlyRecoverable(publish(values, suppressed), relations, values)).to.deep.equal([]);
    });

    it('leaves no withheld count recoverable by exhaustive search, on random tables (property)', function () {
      this.timeout(120_000);
      const count = fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 10 }), weight: 3 }, { arbitrary: fc.integer({ min: 11, max: 30 }), weight: 3 });
      const grid = fc.integer({ min: 2, max: 3 }).chain((rows) => fc.integer({ min: 2, max: 4 }).chain((cols) => fc.array(fc.array(count, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows })));
      fc.assert(
        fc.property(grid, fc.boolean(), (cells, linked) => {
          let { values, relations } = table('t', cells);
          if (linked) {
            // A second breakdown of the same row totals, as the report's tables share theirs.
            const other = table('u', cells.map((row) => [row.slice(0, 1).reduce((x, y) => x + y, 0), row.slice(1).reduce((x, y) => x + y, 0)]), 't');
            values = new Map([...values, ...other.values]);
            relations = [...relations, ...other.relations];
          }
          const suppressed = suppressCounts(values, relations);
          for (const [id, v] of values) if (v >= 1 && v <= 10) expect(suppressed.has(id), `${id} = ${v} published`).to.equal(true);
          expect(exactlyRecoverable(publish(values, suppressed), relations, values)).to.deep.equal([]);
        }),
        { numRuns: 150, seed: 20261127 },
      );
    });
  });

  describe('options of the efficacy tables', () => {
    const relations: AdditiveRelation[] = [{ total: 'T', parts: ['A', 'B'] }];
    const values = new Map([['T', 25], ['A', 5], ['B', 20]]);

    it('withholds the smaller neighbour by default; a count published by an earlier pass stays published, another is withheld', () => {
      expect([...suppressCounts(values, relations)].sort()).to.deep.equal(['A', 'B']);
      // A second pass adds C = A + D to the same A: B stays, D is withheld beside A.
      const more = new Map([...values, ['C', 30], ['D', 25]]);
      const wider: AdditiveRelation[] = [...relations, { total: 'C', parts: ['A', 'D'] }];
      const second = suppressCounts(more, wider, { withheld: new Set(['A', 'B']), published: new Set(['T']) });
      expect(second.has('T')).to.equal(false);
      expect(second.has('A') && second.has('B')).to.equal(true);
      expect(second.has('C') || second.has('D')).to.equal(true);
      expect(exactlyRecoverable(publish(more, second), wider, more)).to.deep.equal([]);
    });

    it('never publishes an unpublished count, and withholds nothing for working one out alone', () => {
      const withUnknown: AdditiveRelation[] = [{ total: 'T', parts: ['A', 'U'] }];
      const counts = new Map([['T', 50], ['A', 20], ['U', 30]]);
      expect([...suppressCounts(counts, withUnknown, { unpublished: new Set(['U']) })]).to.deep.equal([]);
      // But what it leads to counts: with U known to be the sum of two parts, one of them small, both are protected.
      const chained: AdditiveRelation[] = [...withUnknown, { total: 'U', parts: ['P', 'Q'] }];
      const more = new Map([...counts, ['P', 4], ['Q', 26]]);
      const withheld = suppressCounts(more, chained, { unpublished: new Set(['U']) });
      expect(withheld.has('P')).to.equal(true);
      expect(withheld.has('U')).to.equal(false);
      // P = (T - A) - Q: one more of them is withheld.
      expect(['T', 'A', 'Q'].filter((id) => withheld.has(id))).to.have.length(1);
    });
  });
});
