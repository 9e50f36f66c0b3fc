/** In-memory serialization, for small models (tests, handing a model to ONNX Runtime). External data is inlined. */
import type { Model } from '../ir/model.js';
import { encode } from '../proto/codec.js';
import { serializeModel } from '../proto/serde.js';

export function modelToBytes(model: Model): Uint8Array {
  return encode(serializeModel(model));
}
