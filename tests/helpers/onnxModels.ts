// Tiny ONNX graphs built in the test with onnx-proto, standing in for a user's reward model.
import onnxProto from 'onnx-proto';

const { ModelProto, GraphProto, NodeProto, ValueInfoProto, TensorProto, TypeProto, TensorShapeProto, OperatorSetIdProto, AttributeProto } = onnxProto.onnx;

function tensorInfo(name: string, elemType: number, dims: (number | string)[]) {
  const dim = dims.map((d) => (typeof d === 'number' ? TensorShapeProto.Dimension.create({ dimValue: d }) : TensorShapeProto.Dimension.create({ dimParam: d })));
  return ValueInfoProto.create({ name, type: TypeProto.create({ tensorType: TypeProto.Tensor.create({ elemType, shape: TensorShapeProto.create({ dim }) }) }) });
}

/**
 * score (outputs) = the mean of input_ids as floats, reduced over the sequence: a "reward model"
 * whose answer a test can compute by hand. extraInput adds a second input it would need.
 */
export function meanIdRewardModel({ outputs = 1, extraInput }: { outputs?: number; extraInput?: string } = {}): Uint8Array {
  const { INT64, FLOAT } = TensorProto.DataType;
  const nodes = [
    NodeProto.create({ opType: 'Cast', input: ['input_ids'], output: ['ids_f'], attribute: [AttributeProto.create({ name: 'to', type: AttributeProto.AttributeType.INT, i: FLOAT })] }),
    NodeProto.create({
      opType: 'ReduceMean',
      input: ['ids_f'],
      output: [outputs === 1 ? 'score' : 'mean'],
      attribute: [AttributeProto.create({ name: 'axes', type: AttributeProto.AttributeType.INTS, ints: [1] }), AttributeProto.create({ name: 'keepdims', type: AttributeProto.AttributeType.INT, i: 0 })],
    }),
  ];
  if (outputs !== 1) {
    nodes.push(NodeProto.create({ opType: 'Concat', input: Array.from({ length: outputs }, () => 'mean'), output: ['score'], attribute: [AttributeProto.create({ name: 'axis', type: AttributeProto.AttributeType.INT, i: 0 })] }));
  }
  const inputs = [tensorInfo('input_ids', INT64, [1, 'L'])];
  if (extraInput) inputs.push(tensorInfo(extraInput, FLOAT, [1, 3]));
  const graph = GraphProto.create({ name: 'mean_id', node: nodes, input: inputs, output: [tensorInfo('score', FLOAT, [outputs])] });
  const model = ModelProto.create({ irVersion: 7, opsetImport: [OperatorSetIdProto.create({ domain: '', version: 13 })], graph });
  return ModelProto.encode(model).finish();
}
