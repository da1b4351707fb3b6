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

/**
 * A "refusal classifier" whose answer a test can compute by hand: logit = 8 · (how many times
 * `tokenId` is among input_ids) − 4, so a text holding that token once or more has P(refusal) ≥
 * sigmoid(4). classes 1: that logit alone; 2: [0, logit] (class 1 the refusal), or [logit, 0]
 * with refusalFirst.
 */
export function tokenRefusalClassifier(tokenId: number, { classes = 1, refusalFirst = false }: { classes?: 1 | 2 | 3; refusalFirst?: boolean } = {}): Uint8Array {
  const { INT64, FLOAT } = TensorProto.DataType;
  const constant = (name: string, dataType: number, values: number[]) =>
    NodeProto.create({
      opType: 'Constant',
      output: [name],
      attribute: [
        AttributeProto.create({
          name: 'value',
          type: AttributeProto.AttributeType.TENSOR,
          t: TensorProto.create({ dataType, dims: [], ...(dataType === INT64 ? { int64Data: values } : { floatData: values }) }),
        }),
      ],
    });
  const nodes = [
    constant('token', INT64, [tokenId]),
    constant('scale', FLOAT, [8]),
    constant('offset', FLOAT, [4]),
    NodeProto.create({ opType: 'Equal', input: ['input_ids', 'token'], output: ['hit'] }),
    NodeProto.create({ opType: 'Cast', input: ['hit'], output: ['hit_f'], attribute: [AttributeProto.create({ name: 'to', type: AttributeProto.AttributeType.INT, i: FLOAT })] }),
    NodeProto.create({
      opType: 'ReduceSum',
      input: ['hit_f'],
      output: ['hits'],
      attribute: [AttributeProto.create({ name: 'keepdims', type: AttributeProto.AttributeType.INT, i: 1 })],
    }),
    NodeProto.create({ opType: 'Mul', input: ['hits', 'scale'], output: ['scaled'] }),
    NodeProto.create({ opType: 'Sub', input: ['scaled', 'offset'], output: [classes === 1 ? 'logits' : 'logit'] }),
  ];
  if (classes !== 1) {
    nodes.push(NodeProto.create({ opType: 'Sub', input: ['logit', 'logit'], output: ['zero'] }));
    const parts = refusalFirst ? ['logit', ...Array<string>(classes - 1).fill('zero')] : ['zero', 'logit', ...Array<string>(classes - 2).fill('zero')];
    nodes.push(NodeProto.create({ opType: 'Concat', input: parts, output: ['logits'], attribute: [AttributeProto.create({ name: 'axis', type: AttributeProto.AttributeType.INT, i: 1 })] }));
  }
  const graph = GraphProto.create({ name: 'token_refusal', node: nodes, input: [tensorInfo('input_ids', INT64, [1, 'L'])], output: [tensorInfo('logits', FLOAT, [1, classes])] });
  const model = ModelProto.create({ irVersion: 7, opsetImport: [OperatorSetIdProto.create({ domain: '', version: 13 })], graph });
  return ModelProto.encode(model).finish();
}
