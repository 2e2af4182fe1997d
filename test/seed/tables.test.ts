/**
 * The seed's five tables, reproduced by graphc's compiler and runtime: every printed value within
 * ±1.5e-6 of what the seed printed (its own two runs differ by 1 in the 6th decimal).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import toy from '../../graphs/toy.ts';
import diabetes from '../../graphs/diabetes.ts';
import classifier from '../../graphs/binary-classifier.ts';
import { fitModel as fit } from '../../runtime/train.ts';
import { parseCsv } from '../../runtime/data.ts';
import { fileURLToPath } from 'node:url';
import { TOL, table1, table2, table3, table4, table5, diabetesAccuracy, diabetesCsv, toyTrained } from '../support/seed.ts';

const toyData = parseCsv(readFileSync(fileURLToPath(toy.spec.data as URL), 'utf8'));
const costs = (log: { cost: number }[]) => log.map((e) => e.cost);

function expectTable(actual: number[], expected: number[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]), `entry ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(TOL));
}

describe('seed toy set', () => {
  it('table 1: manual cost formula, 1000 epochs', () => {
    const r = fit(toy.build({ loss: 'manual' }), toyData, toy.train);
    expect(r.log.map((e) => e.epoch)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expectTable(costs(r.log), table1);
    // PyTorch's trained parameters (to the 6 decimals the reference gives, float32 drift allowed)
    r.params.get('W').forEach((w, i) => expect(w).toBeCloseTo(toyTrained.W[i], 4));
    expect(r.params.get('b')[0]).toBeCloseTo(toyTrained.b[0], 4);
  });
  it('table 2: the BCE op', () => {
    expectTable(costs(fit(toy.build({ loss: 'bce' }), toyData, toy.train).log), table2);
  });
});

describe('seed diabetes set', () => {
  const data = parseCsv(readFileSync(diabetesCsv, 'utf8'));
  it('reads the CSV like np.loadtxt', () => {
    expect([data.rows, data.features]).toEqual([759, 8]);
    expect(data.x[0]).toBeCloseTo(-0.294118, 6);
    expect(Array.from(data.y.slice(0, 5))).toEqual([0, 1, 0, 1, 0]);
  });
  it('table 3: manual cost formula, and the trained accuracy 76.68%', () => {
    const r = fit(diabetes.build({ loss: 'manual' }), data, diabetes.train);
    expectTable(costs(r.log), table3);
    expect((r.finalAccuracy! * 100).toFixed(2)).toBe(diabetesAccuracy.toFixed(2));
  });
  it('table 4: the BCE op', () => {
    expectTable(costs(fit(diabetes.build({ loss: 'bce' }), data, diabetes.train).log), table4);
  });
  it('table 5: Linear(8, 1) + sigmoid after manual_seed(1), cost and accuracy', () => {
    const r = fit(classifier.build(), data, classifier.train);
    expectTable(costs(r.log), table5.cost);
    expect(r.log.map((e) => (e.accuracy! * 100).toFixed(2))).toEqual(table5.accuracy.map((a) => a.toFixed(2)));
  });
});
