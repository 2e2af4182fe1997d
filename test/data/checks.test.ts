/**
 * Training data checked before any step, as PyTorch checks it (F.cross_entropy raises "Target 7 is out
 * of bounds" and refuses targets that are not integers; F.binary_cross_entropy requires targets in
 * [0, 1]), and every value finite; each failure names the file, its line and the column. Data that
 * passes still trains.
 */
import { describe, expect, it } from 'vitest';
import zoo from '../../graphs/zoo-softmax.ts';
import toy from '../../graphs/toy.ts';
import { fitModel as fit } from '../../runtime/train.ts';
import { parseCsv, DataError } from '../../runtime/data.ts';

const zooRow = (label: string) => Array.from({ length: 16 }, (_, i) => String(i % 2)).join(',') + ',' + label;
const zooCsv = (label: string) => `# zoo rows\n${zooRow('0')}\n\n${zooRow('6')}\n${zooRow(label)}\n`;
const cfg = { epochs: 2, lr: 0.1, logEvery: 1, logAccuracy: false };
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  return 'trained';
};

describe('class indices (CrossEntropy)', () => {
  const train = (label: string) => refusal(() => fit(zoo.build(), parseCsv(zooCsv(label), 'zoo.csv'), cfg));
  it('in range and integer: trains', () => expect(train('3')).toBe('trained'));
  it('7 of 7 classes', () => expect(train('7')).toBe('zoo.csv:5: column 17: class index 7 is out of range (CrossEntropy over 7 classes takes 0 to 6)'));
  it('-1', () => expect(train('-1')).toMatch(/^zoo\.csv:5: column 17: class index -1 is out of range/));
  it('2.5', () => expect(train('2.5')).toBe('zoo.csv:5: column 17: 2.5 is not a class index (CrossEntropy takes integers 0 to 6)'));
});

describe('BCE targets', () => {
  const train = (text: string) => refusal(() => fit(toy.build({ loss: 'bce' }), parseCsv(text, 'toy.csv'), cfg));
  it('0 and 1: trains', () => expect(train('1,2,0\n4,3,1\n')).toBe('trained'));
  it('1.5', () => expect(train('1,2,0\r\n4,3,1.5\r\n')).toBe('toy.csv:2: column 3: target 1.5 is outside [0, 1] (BCE takes probabilities)'));
  it('-0.25 after comments', () => expect(train('#a\n#b\n1,2,0\n4,3,-0.25\n')).toMatch(/^toy\.csv:4: column 3: target -0\.25 is outside/));
  it('the manual loss (no BCE op) is not checked for range', () => expect(refusal(() => fit(toy.build({ loss: 'manual' }), parseCsv('1,2,0\n4,3,0.5\n'), cfg))).toBe('trained'));
});

describe('every value finite', () => {
  const train = (text: string) => refusal(() => fit(toy.build({ loss: 'bce' }), parseCsv(text, 'toy.csv'), cfg));
  it('1e400 (Infinity)', () => expect(train('1,2,0\n1e400,3,1\n')).toBe('toy.csv:2: column 1: Infinity is not a finite number (the data must hold finite values)'));
  it('-inf', () => expect(train('1,2,0\n4,-inf,1\n')).toMatch(/^toy\.csv:2: column 2: -Infinity is not a finite number/));
  it('nan as a target', () => expect(train('1,2,0\n\n4,3,nan\n')).toMatch(/^toy\.csv:3: column 3: NaN is not a finite number/));
});
