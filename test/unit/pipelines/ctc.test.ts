import { ctcGreedyDecode, type CtcOptions } from '../../../functions/core/pipelines/ctc';

/** One-hot rows (probabilities) of the classes named by index. */
function steps(classes: number, ...best: number[]): Float32Array {
  const data = new Float32Array(best.length * classes);
  best.forEach((c, t) => (data[t * classes + c] = 1));
  return data;
}

const VOCABULARY = ['', 'a', 'b', ' '];
const OPTIONS: CtcOptions = { vocabulary: VOCABULARY, blankIndex: 0, scores: 'probabilities', trim: true };

describe('ctcGreedyDecode', () => {
  it('merges repeats and drops blanks', () => {
    expect(ctcGreedyDecode(steps(4, 1, 1, 0, 2, 2, 2, 0), 7, OPTIONS).text).toBe('ab');
  });

  it('keeps a repeated character separated by a blank', () => {
    expect(ctcGreedyDecode(steps(4, 1, 0, 1, 1, 2), 5, OPTIONS).text).toBe('aab');
  });

  it('trims whitespace at the ends only when asked to', () => {
    const data = steps(4, 3, 1, 3, 2, 3);

    expect(ctcGreedyDecode(data, 5, OPTIONS).text).toBe('a b');
    expect(ctcGreedyDecode(data, 5, { ...OPTIONS, trim: false }).text).toBe(' a b ');
  });

  it('answers the mean probability of the emitted characters as the confidence', () => {
    // Steps: a (0.9), a again (0.6, merged), blank, b (0.5).
    const data = Float32Array.of(0.1, 0.9, 0, 0, 0.4, 0.6, 0, 0, 0.8, 0.1, 0.1, 0, 0.2, 0.1, 0.5, 0.2);

    const result = ctcGreedyDecode(data, 4, OPTIONS);

    expect(result.text).toBe('ab');
    expect(result.confidence).toBeCloseTo((0.9 + 0.5) / 2, 6);
  });

  it('answers an empty text with confidence 0 when every step is blank', () => {
    expect(ctcGreedyDecode(steps(4, 0, 0, 0), 3, OPTIONS)).toEqual({ text: '', confidence: 0 });
  });

  it('honours a blank at another index', () => {
    const options: CtcOptions = { ...OPTIONS, vocabulary: ['a', 'b', '-'], blankIndex: 2 };

    expect(ctcGreedyDecode(steps(3, 0, 2, 0, 1), 4, options).text).toBe('aab');
  });

  it('takes the softmax of logits for the confidence, not for the choice', () => {
    const data = Float64Array.of(0, Math.log(3), 0, 0);

    const result = ctcGreedyDecode(data, 1, { ...OPTIONS, scores: 'logits' });

    expect(result.text).toBe('a');
    expect(result.confidence).toBeCloseTo(3 / 6, 12);
  });

  it('picks the lowest class on a tie', () => {
    expect(ctcGreedyDecode(Float32Array.of(0, 0.5, 0.5, 0), 1, OPTIONS).text).toBe('a');
  });

  it('refuses data that is not steps × classes', () => {
    expect(() => ctcGreedyDecode(new Float32Array(7), 2, OPTIONS)).toThrow(RangeError);
  });
});
