/** Stable codes of {@link QuantizeError}. */
export type QuantizeErrorCode =
  /** The bytes are not an ONNX model. */
  | 'invalid_model'
  /** The model uses something the quantizer cannot rewrite (named in the message). */
  | 'unsupported_model'
  /** An option or the calibration data is wrong (named in the message). */
  | 'invalid_option'
  /** Running the model on the calibration data failed. */
  | 'calibration_failed';

/** A failure of model quantization or of its evaluation. */
export class QuantizeError extends Error {
  public readonly code: QuantizeErrorCode;

  public constructor(code: QuantizeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QuantizeError';
    this.code = code;
  }
}
