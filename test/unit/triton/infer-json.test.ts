import {
  parseInferJson,
  stringifyInferRequest,
  stringifyInferResponse,
} from '../../../functions/core/triton/infer-json';

describe('Triton JSON, exact over 64-bit integers', () => {
  it('writes 64-bit integers digit for digit and the rest as the platform codec does', () => {
    const text = stringifyInferRequest({
      id: 'r"1',
      inputs: [
        {
          name: 'ids',
          tensor: { datatype: 'INT64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 7n]) },
        },
        {
          name: 'big',
          tensor: { datatype: 'UINT64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
        },
        { name: 'x', tensor: { datatype: 'FP32', shape: [1, 2], data: new Float32Array([0.5, Number.NaN]) } },
        { name: 'ok', tensor: { datatype: 'BOOL', shape: [1], data: new Uint8Array([1]) } },
        { name: 's', tensor: { datatype: 'BYTES', shape: [1], data: ['12345678901234567890'] } },
      ],
      outputNames: ['y'],
    });

    expect(text).toBe(
      '{"id":"r\\"1","inputs":[' +
        '{"name":"ids","datatype":"INT64","shape":[2],"data":[-9223372036854775808,7]},' +
        '{"name":"big","datatype":"UINT64","shape":[1],"data":[18446744073709551615]},' +
        '{"name":"x","datatype":"FP32","shape":[1,2],"data":[0.5,"NaN"]},' +
        '{"name":"ok","datatype":"BOOL","shape":[1],"data":[true]},' +
        '{"name":"s","datatype":"BYTES","shape":[1],"data":["12345678901234567890"]}' +
        '],"outputs":[{"name":"y"}]}',
    );
  });

  it('reads long integers of 64-bit data as decimal strings and leaves every other value as JSON has it', () => {
    const parsed = parseInferJson(
      '{"model_name":"m","model_version":"1","outputs":[' +
        '{"name":"u","datatype":"UINT64","shape":[3],"data":[18446744073709551615, 1, -9007199254740993]},' +
        '{"name":"f","datatype":"FP64","shape":[3],"data":[12345678901234568,1.2345678901234567e+30,0.12345678901234568]},' +
        '{"name":"s","datatype":"BYTES","shape":[1],"data":["99999999999999999999"]},' +
        '{"name":"n","datatype":"INT64","shape":[1,1],"data":[[1234567890123456789]]}' +
        ']}',
    );

    expect(parsed).toEqual({
      model_name: 'm',
      model_version: '1',
      outputs: [
        { name: 'u', datatype: 'UINT64', shape: [3], data: ['18446744073709551615', 1, '-9007199254740993'] },
        {
          name: 'f',
          datatype: 'FP64',
          shape: [3],
          data: [12345678901234568, 1.2345678901234567e30, 0.12345678901234568],
        },
        { name: 's', datatype: 'BYTES', shape: [1], data: ['99999999999999999999'] },
        { name: 'n', datatype: 'INT64', shape: [1, 1], data: [['1234567890123456789']] },
      ],
    });
  });

  it('round-trips a response it wrote', () => {
    const text = stringifyInferResponse({
      modelName: 'm',
      modelVersion: '1',
      id: 'a',
      outputs: [
        { name: 'y', tensor: { datatype: 'INT64', shape: [1], data: new BigInt64Array([2n ** 62n + 1n]) } },
      ],
    });

    expect(parseInferJson(text)).toEqual({
      model_name: 'm',
      model_version: '1',
      id: 'a',
      outputs: [{ name: 'y', datatype: 'INT64', shape: [1], data: ['4611686018427387905'] }],
    });
    expect(() => parseInferJson('{"outputs": [')).toThrow(SyntaxError);
  });
});
