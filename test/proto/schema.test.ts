/**
 * src/proto/schema.ts (the message and field table the codec runs on) against ONNX's own schema: protobufjs parses
 * onnx-ml.proto as the ONNX project publishes it (test/proto/onnx/, see its README) and every message and field that
 * schema.ts declares must have the proto's number, name, type, label and packing. Fields and messages of onnx-ml.proto
 * that schema.ts lacks fail the test unless listed in NOT_MODELED with the reason. The IR's enums (DataType, AttrType)
 * are checked against the proto's the same way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { AttrType } from '../../src/ir/attribute.js';
import { DataType } from '../../src/ir/dtypes.js';
import type { MessageName } from '../../src/proto/messages.js';
import { type FieldDef, MESSAGES } from '../../src/proto/schema.js';

const PROTO_FILE = path.join(import.meta.dirname, 'onnx', 'onnx-ml.proto');
const root = protobuf.parse(readFileSync(PROTO_FILE, 'utf8'), { keepCase: true }).root.resolveAll();
const onnx = root.lookup('onnx') as protobuf.Namespace;

/** Fields of onnx-ml.proto that schema.ts deliberately leaves out, with the reason ("Message.field"). */
const NOT_MODELED: Record<string, string> = {};

/** Every message type of the proto, nested ones included, by their name inside the package ('TensorProto.Segment'). */
function protoMessages(ns: protobuf.NamespaceBase, prefix = ''): Map<string, protobuf.Type> {
  const out = new Map<string, protobuf.Type>();
  for (const item of ns.nestedArray) {
    if (!(item instanceof protobuf.Type)) continue;
    const name = prefix + item.name;
    out.set(name, item);
    for (const [nestedName, nested] of protoMessages(item, `${name}.`)) out.set(nestedName, nested);
  }
  return out;
}

const PROTO_MESSAGES = protoMessages(onnx);

const SCALAR_TYPES = new Set(['int32', 'int64', 'uint64', 'float', 'double', 'string', 'bytes']);

/** A field as schema.ts should declare it, from the proto alone. */
function expectedField(
  field: protobuf.Field,
): Omit<FieldDef, 'repeated' | 'packed' | 'message'> & { repeated: boolean; packed: boolean; message?: string } {
  const resolved = field.resolvedType;
  let kind: FieldDef['kind'];
  let message: string | undefined;
  if (resolved instanceof protobuf.Type) {
    kind = 'message';
    message = resolved.fullName.replace(/^\.onnx\./, '');
  } else if (resolved instanceof protobuf.Enum) {
    kind = 'int32'; // enums are int32 varints on the wire
  } else if (SCALAR_TYPES.has(field.type)) {
    kind = field.type as FieldDef['kind'];
  } else {
    throw new Error(`${field.fullName}: proto type ${field.type} has no counterpart in schema.ts`);
  }
  return { no: field.id, name: field.name, kind, ...(message ? { message } : {}), repeated: field.repeated, packed: field.packed };
}

function declared(field: FieldDef): ReturnType<typeof expectedField> {
  return {
    no: field.no,
    name: field.name,
    kind: field.kind,
    ...(field.message ? { message: field.message } : {}),
    repeated: field.repeated === true,
    packed: field.packed === true,
  };
}

describe('src/proto/schema.ts against onnx-ml.proto (onnx 1.20, IR version 13)', () => {
  it('reads the proto it is meant to', () => {
    expect(root.lookupEnum('onnx.Version').values.IR_VERSION).toBe(13);
    expect(PROTO_MESSAGES.size).toBeGreaterThanOrEqual(28);
  });

  it('declares only messages that the proto has', () => {
    expect([...MESSAGES.keys()].filter((name) => !PROTO_MESSAGES.has(name))).toEqual([]);
  });

  it('declares every message of the proto', () => {
    expect([...PROTO_MESSAGES.keys()].filter((name) => !MESSAGES.has(name)).sort()).toEqual([]);
  });

  for (const [name, def] of MESSAGES) {
    it(`${name}: every declared field has the proto's number, name, type, label and packing`, () => {
      const type = PROTO_MESSAGES.get(name)!;
      for (const field of def.fields) {
        const protoField = type.fieldsById[field.no];
        expect(protoField, `${name} field ${field.no} (${field.name}) is not in onnx-ml.proto`).toBeDefined();
        expect(declared(field), `${name}.${field.name}`).toEqual(expectedField(protoField!));
        // proto2 `required` would need a presence check on decode; ONNX has none, schema.ts cannot say it.
        expect(protoField!.required, `${name}.${field.name} is required in the proto`).toBe(false);
      }
    });
  }

  it('lacks no field of the proto, except those listed with a reason', () => {
    const missing: string[] = [];
    for (const [name, type] of PROTO_MESSAGES) {
      const def = MESSAGES.get(name);
      for (const field of type.fieldsArray) {
        const key = `${name}.${field.name}`;
        if (!def?.byNumber.has(field.id) && !(key in NOT_MODELED)) missing.push(`${key} = ${field.id}`);
      }
    }
    expect(missing).toEqual([]);
    // A listed field that schema.ts has after all is a stale entry.
    const declaredNames = new Set([...MESSAGES].flatMap(([name, def]) => def.fields.map((f) => `${name}.${f.name}`)));
    expect(Object.keys(NOT_MODELED).filter((key) => declaredNames.has(key))).toEqual([]);
  });

  it("uses none of the proto's reserved field numbers", () => {
    for (const [name, def] of MESSAGES) {
      const type = PROTO_MESSAGES.get(name)!;
      for (const field of def.fields) expect(type.isReservedId(field.no), `${name}.${field.name} = ${field.no}`).toBe(false);
    }
  });
});

/** Names and numbers of a TypeScript numeric enum. */
function enumEntries(e: Record<string, string | number>): [string, number][] {
  return Object.entries(e)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .sort((a, b) => a[1] - b[1]);
}

function protoEnumEntries(fullName: string): [string, number][] {
  return Object.entries(root.lookupEnum(fullName).values).sort((a, b) => a[1] - b[1]);
}

describe("the IR's enums against onnx-ml.proto", () => {
  it('DataType is TensorProto.DataType, name for name and number for number', () => {
    expect(enumEntries(DataType)).toEqual(protoEnumEntries('onnx.TensorProto.DataType'));
  });

  it('AttrType is AttributeProto.AttributeType', () => {
    expect(enumEntries(AttrType)).toEqual(protoEnumEntries('onnx.AttributeProto.AttributeType'));
  });
});

/** The messages src/proto/messages.ts types: the compiler holds this list to exactly its MessageName. */
const TYPED_MESSAGES: Record<MessageName, true> = {
  ModelProto: true,
  DeviceConfigurationProto: true,
  StringStringEntryProto: true,
  OperatorSetIdProto: true,
  TrainingInfoProto: true,
  GraphProto: true,
  TensorAnnotation: true,
  NodeProto: true,
  NodeDeviceConfigurationProto: true,
  ShardingSpecProto: true,
  IntIntListEntryProto: true,
  ShardedDimProto: true,
  SimpleShardedDimProto: true,
  AttributeProto: true,
  ValueInfoProto: true,
  TensorProto: true,
  'TensorProto.Segment': true,
  SparseTensorProto: true,
  TensorShapeProto: true,
  'TensorShapeProto.Dimension': true,
  TypeProto: true,
  'TypeProto.Tensor': true,
  'TypeProto.Sequence': true,
  'TypeProto.Map': true,
  'TypeProto.Optional': true,
  'TypeProto.SparseTensor': true,
  'TypeProto.Opaque': true,
  FunctionProto: true,
};

describe('src/proto/messages.ts against src/proto/schema.ts', () => {
  it('types every message of the schema, and no other', () => {
    expect(Object.keys(TYPED_MESSAGES).sort()).toEqual([...MESSAGES.keys()].sort());
  });
});
