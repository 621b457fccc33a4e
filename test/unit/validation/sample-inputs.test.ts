import { DATATYPES, type TensorSpec } from '../../../functions/core/tensors/datatypes';
import { fromFloat16Bits } from '../../../functions/core/tensors/float16';
import { MAX_SAMPLE_ELEMENTS, sampleFeeds, sampleShapes } from '../../../functions/core/validation';

describe('sampleShapes', () => {
  it('keeps fixed sizes, makes a leading dynamic dimension 1 and the others 32', () => {
    const shapes = sampleShapes(
      [
        { name: 'image', datatype: 'FP32', shape: [-1, 3, -1, -1] },
        { name: 'scale', datatype: 'FP32', shape: [] },
        { name: 'ids', datatype: 'INT64', shape: [-1] },
      ],
      {},
    );

    expect(shapes).toEqual({ image: [1, 3, 32, 32], scale: [], ids: [1] });
  });

  it('gives dimensions of the same name the same size, the size of their first use', () => {
    const shapes = sampleShapes(
      [
        { name: 'tokens', datatype: 'INT64', shape: [-1] },
        { name: 'mask', datatype: 'BOOL', shape: [1, -1] },
        { name: 'other', datatype: 'FP32', shape: [-1, -1] },
      ],
      { tokens: ['seq'], mask: [undefined, 'seq'], other: ['batch', 'width'] },
    );

    expect(shapes).toEqual({ tokens: [1], mask: [1, 1], other: [1, 32] });
  });

  it('uses smaller sizes when 32 would make an input larger than the bound', () => {
    const dynamic = (rank: number): TensorSpec => ({
      name: `rank${rank}`,
      datatype: 'FP32',
      shape: new Array<number>(rank).fill(-1),
    });

    expect(sampleShapes([dynamic(5)], {}).rank5).toEqual([1, 32, 32, 32, 32]); // 2^20 elements: at the bound
    expect(sampleShapes([dynamic(6)], {}).rank6).toEqual([1, 8, 8, 8, 8, 8]);
    expect(sampleShapes([dynamic(9)], {}).rank9).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(32 ** 4).toBe(MAX_SAMPLE_ELEMENTS);
  });
});

describe('sampleFeeds', () => {
  const inputs: TensorSpec[] = DATATYPES.map((datatype) => ({ name: datatype, datatype, shape: [-1, 4] }));
  const shapes = sampleShapes(inputs, {});

  it('makes data of the right typed array and sensible values for every datatype', () => {
    const [feeds] = sampleFeeds(inputs, shapes, { count: 1, seed: 7 });

    const data = (name: string) => feeds?.[name]?.data;
    expect(feeds?.FP32).toMatchObject({ datatype: 'FP32', shape: [1, 4] });
    for (const name of ['FP32', 'FP64']) {
      const values = Array.from(data(name) as Float32Array);
      expect(values.every((v) => v >= -1 && v <= 1)).toBe(true);
      expect(new Set(values).size).toBeGreaterThan(1);
    }
    expect(Array.from(data('FP16') as Uint16Array, fromFloat16Bits).every((v) => v >= -1 && v <= 1)).toBe(
      true,
    );
    for (const name of ['UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32']) {
      expect(Array.from(data(name) as Int32Array).every((v) => Number.isInteger(v) && v >= 0 && v < 4)).toBe(
        true,
      );
    }
    expect(data('INT64')).toBeInstanceOf(BigInt64Array);
    expect(data('UINT64')).toBeInstanceOf(BigUint64Array);
    expect(Array.from(data('BOOL') as Uint8Array).every((v) => v === 0 || v === 1)).toBe(true);
    expect((data('BYTES') as string[]).every((v) => typeof v === 'string' && v.length > 0)).toBe(true);
    expect(data('FP16')).toBeInstanceOf(Uint16Array);
  });

  it('is reproducible: the same seed gives the same samples, sample i whatever the count', () => {
    const one = sampleFeeds(inputs, shapes, { count: 1, seed: 42 });
    const many = sampleFeeds(inputs, shapes, { count: 5, seed: 42 });
    const other = sampleFeeds(inputs, shapes, { count: 1, seed: 43 });

    expect(many).toHaveLength(5);
    expect(many[0]).toEqual(one[0]);
    expect(many[1]).not.toEqual(many[0]);
    expect(other[0]).not.toEqual(one[0]);
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => sampleFeeds(inputs, shapes, { count: 0, seed: 1 })).toThrow(
      /count must be a positive integer/,
    );
  });
});
