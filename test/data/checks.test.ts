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
  // a number float32 cannot hold is said as written, not as the Infinity float32 makes of it
  it('1e39 (beyond float32)', () => expect(train('1,2,0\n1e39,3,1\n')).toBe("toy.csv:2: column 1: 1e39 is outside float32's range (±3.4e38)"));
  it('-1e400 (beyond float64 too), blanks around it', () => expect(train('1,2,0\n# c\n4, -1e400 ,1\n')).toBe("toy.csv:3: column 2: -1e400 is outside float32's range (±3.4e38)"));
  it('the first one that is not finite, when an earlier row of its column holds NaN', () => expect(train('1,nan,0\n4,1e39,1\n')).toMatch(/^toy\.csv:1: column 2: NaN is not a finite number/));
  // at the edge, as numpy.float32 rounds: 3.4028235677973362e38 to its largest value, ...366e38 to inf
  it('float32\'s largest value is in range, the least number past it is not', () => {
    expect(train('1,2,0\n3.4028235677973362e38,3,1\n')).toBe('trained');
    expect(train('1,2,0\n-3.4028235677973366e38,3,1\n')).toBe("toy.csv:2: column 1: -3.4028235677973366e38 is outside float32's range (±3.4e38)");
  });
  it('inf as written is Infinity', () => expect(train('1,2,0\n4,inf,1\n')).toBe('toy.csv:2: column 2: Infinity is not a finite number (the data must hold finite values)'));
  it('-inf', () => expect(train('1,2,0\n4,-inf,1\n')).toMatch(/^toy\.csv:2: column 2: -Infinity is not a finite number/));
  it('nan as a target', () => expect(train('1,2,0\n\n4,3,nan\n')).toMatch(/^toy\.csv:3: column 3: NaN is not a finite number/));
});

describe('a cell that is not a number, as the error shows it', () => {
  const read = (text: string) => refusal(() => parseCsv(text, 'f.csv'));
  it('a byte-order mark is named and shown escaped (numpy.loadtxt refuses it too)', () =>
    expect(read('\ufeff1,2,0\n3,4,1\n')).toBe("f.csv:1: column 1 is not a number: '\\ufeff1' (the file starts with a byte-order mark: save it as UTF-8 without one)"));
  it('tabs and control bytes are escaped, not sent to the terminal', () => expect(read('1\t2\u001b[2J\t0\n')).toBe("f.csv:1: column 1 is not a number: '1\\u00092\\u001b[2J\\u00090'"));
  it('a long cell is cut at 40 characters', () => expect(read(`${'x'.repeat(100)},1\n`)).toBe(`f.csv:1: column 1 is not a number: '${'x'.repeat(40)}…'`));
});

describe('training counts', () => {
  const train = (over: object) => {
    try {
      fit(toy.build({ loss: 'bce' }), parseCsv('1,2,0\n4,3,1\n', 'toy.csv'), { ...cfg, ...over });
    } catch (e) {
      return (e as Error).message;
    }
    return 'trained';
  };
  it('logEvery 0 is refused, not a log of the last epoch only', () => expect(train({ logEvery: 0 })).toBe('model toy.train: training logEvery must be an integer 1 or more, got 0'));
  it('batchSize 0 and -1 are refused, not taken as the whole set', () => {
    expect(train({ batchSize: 0 })).toBe('model toy.train: training batchSize must be an integer 1 or more, got 0');
    expect(train({ batchSize: -1 })).toMatch(/batchSize must be an integer 1 or more, got -1/);
  });
  it('epochs -1 and 2.5, holdout 1 are refused', () => {
    expect(train({ epochs: -1 })).toMatch(/epochs must be an integer 0 or more, got -1/);
    expect(train({ epochs: 2.5 })).toMatch(/epochs must be an integer 0 or more, got 2\.5/);
    expect(train({ holdout: 1 })).toMatch(/holdout must be a fraction in \[0, 1\), got 1/);
  });
  it('epochs 0 (the one step of epoch 0) and batchSize 1 train', () => expect([train({ epochs: 0 }), train({ batchSize: 1 })]).toEqual(['trained', 'trained']));
});
