/**
 * How ONNX's Resize (opsets 10 to 19) and Upsample (7 to 10) read as graphc's Resize op (resize.ts). The
 * output shape is fixed at import: scales and sizes must be known then (a graph input holding them
 * specialises the model). Opsets 7 to 10 transform coordinates asymmetrically and round nearest down when
 * growing and up when shrinking (onnxruntime's reading of their unspecified rounding). From opset 11 every
 * coordinate transformation (half_pixel_symmetric from 19) and nearest mode of the schema is read; from
 * 18, `axes`; `antialias` 1 and a `keep_aspect_ratio_policy` other than stretch are refused by name.
 */
import { Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { UnsupportedError, needStatic, onnxRule, type OnnxImportCtx, type OnnxImporter } from './op.ts';

const refuse = (what: string): never => {
  throw new UnsupportedError(what);
};

const MODES = ['nearest', 'linear', 'cubic'];
const COORDS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

function oneOf(name: string, v: string, allowed: readonly string[]): string {
  if (!allowed.includes(v)) refuse(`attribute '${name}' '${v}' is not supported (graphc reads ${allowed.join(', ')})`);
  return v;
}

interface Form { mode: string; coord: string; nearest: string; cubicA: number; exclude: boolean; extrapolation: number; roi?: number[] }

/** The Resize node for per-axis scales or sizes (exactly one given), over the axes of `axes` (all by default). */
function resize(x: Node, form: Form, scalesIn: number[] | null, sizesIn: Dim[] | null, axes: number[] | null): Node {
  const r = x.shape.length, ax = axes ?? [...Array(r).keys()];
  const given = scalesIn ?? sizesIn!;
  if (given.length !== ax.length) refuse(`${given.length} ${scalesIn ? 'scales' : 'sizes'} for ${ax.length} axes of an input ${shapeStr(x.shape)}`);
  const scales: number[] = x.shape.map(() => 1);
  const shape: Dim[] = [...x.shape];
  ax.forEach((axis, k) => {
    const n = x.shape[axis];
    const v = given[k];
    if (scalesIn) {
      // a scale is a float32 in the file; the output dim is floor(n · scale), the product rounded to float32
      // as onnxruntime computes it (1.4 · 5 is 7, not 6.99999988)
      const s = Math.fround(v as number);
      if (!(s > 0) || !Number.isFinite(s)) refuse(`scale ${v} on axis ${axis}`);
      if (typeof n !== 'number') {
        if (s !== 1) needStatic(`Resize: scale ${v} on the symbolic axis ${axis} (${n}) of ${shapeStr(x.shape)}`, [n]);
        return;
      }
      scales[axis] = s;
      shape[axis] = Math.floor(Math.fround(n * s));
    } else {
      // a symbolic size (the batch, from Shape(x)) is the input's own dim: kept
      if (typeof v === 'string' && v === n) return;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) refuse(`size ${v} on axis ${axis}`);
      if (typeof n !== 'number') needStatic(`Resize: a size on the symbolic axis ${axis} (${n}) of ${shapeStr(x.shape)}`, [n]);
      scales[axis] = (v as number) / (n as number);
      shape[axis] = v;
    }
    if ((shape[axis] as number) < 1) refuse(`axis ${axis} of ${shapeStr(x.shape)} resized to ${shape[axis]} elements`);
  });
  let roi = form.roi;
  if (roi) {
    if (roi.length !== 2 * ax.length) refuse(`roi of ${roi.length} values for ${ax.length} axes`);
    const full = [...Array(r).fill(0), ...Array(r).fill(1)];
    ax.forEach((axis, k) => { full[axis] = roi![k]; full[axis + r] = roi![k + ax.length]; });
    roi = full;
  }
  const attrs = { mode: form.mode, coord: form.coord, nearest: form.nearest, cubicA: form.cubicA, exclude: form.exclude, scales, shape: shape as number[], sizes: !scalesIn, ...(roi ? { roi, extrapolation: form.extrapolation } : {}) };
  return Node.mk('Resize', [x], attrs);
}

const input = (c: OnnxImportCtx): Node => c.inputs[0] ?? refuse('input 0 is missing');

/** Opsets 7 to 10 (Upsample, and Resize 10): nearest or linear, asymmetric coordinates. */
function legacy(c: OnnxImportCtx, scales: number[]): Node {
  const mode = oneOf('mode', c.attrString('mode', 'nearest'), ['nearest', 'linear']);
  return resize(input(c), { mode, coord: 'asymmetric', nearest: 'simple', cubicA: -0.75, exclude: false, extrapolation: 0 }, scales, null, null);
}

const resizeRule = onnxRule([10, 11, 13, 18, 19], (c) => {
  const x = input(c);
  if (c.opset < 11) return legacy(c, c.known(1, 'the scales decide the output\'s shape'));
  const mode = oneOf('mode', c.attrString('mode', 'nearest'), MODES);
  const coord = oneOf('coordinate_transformation_mode', c.attrString('coordinate_transformation_mode', 'half_pixel'), c.opset < 13 ? [...COORDS, 'tf_half_pixel_for_nn'] : c.opset >= 19 ? [...COORDS, 'half_pixel_symmetric'] : COORDS);
  const nearest = oneOf('nearest_mode', c.attrString('nearest_mode', 'round_prefer_floor'), NEAREST);
  const form: Form = { mode, coord, nearest, cubicA: c.attrFloat('cubic_coeff_a', -0.75), exclude: c.attrInt('exclude_outside', 0) === 1, extrapolation: c.attrFloat('extrapolation_value', 0) };
  let axes: number[] | null = null;
  if (c.opset >= 18) {
    const aa = c.attrInt('antialias', 0);
    if (aa !== 0) refuse(`attribute 'antialias' ${aa} is not supported (graphc resizes without an antialiasing filter)`);
    const policy = c.attrString('keep_aspect_ratio_policy', 'stretch');
    if (policy !== 'stretch') refuse(`attribute 'keep_aspect_ratio_policy' '${policy}' is not supported (graphc reads stretch)`);
    const given = c.attrInts('axes');
    if (given) {
      const r = x.shape.length;
      axes = given.map((a) => (a < -r || a >= r ? refuse(`attribute 'axes' [${given}] for an input of rank ${r}`) : a < 0 ? a + r : a));
      if (new Set(axes).size !== axes.length) refuse(`attribute 'axes' [${given}] repeats an axis`);
    }
  }
  // the region of interest is read by tf_crop_and_resize only (ONNX ignores it otherwise)
  if (coord === 'tf_crop_and_resize') form.roi = c.known(1, 'the region of interest decides the taps');
  else void c.inputs[1];
  const scales = c.has(2) ? c.known(2, 'the scales decide the output\'s shape') : [];
  // sizes may name symbolic dims (PyTorch writes Concat(Shape(x)[:2], [h, w])): each must be x's own there
  const sizes: Dim[] = c.has(3) ? [...(c.intConst(3)?.values ?? c.known(3, 'the sizes decide the output\'s shape'))] : [];
  if ((scales.length > 0) === (sizes.length > 0)) refuse(`${scales.length ? 'both' : 'neither'} scales and sizes given (exactly one expected)`);
  return resize(x, form, scales.length ? scales : null, sizes.length ? sizes : null, axes);
});

const upsampleRule = onnxRule([7, 9, 10], (c) => (c.opset < 9 ? legacy(c, c.attrFloats('scales') ?? refuse("attribute 'scales' is missing")) : legacy(c, c.known(1, 'the scales decide the output\'s shape'))));

export const resizeImporters: Readonly<Record<string, OnnxImporter>> = { Resize: resizeRule, Upsample: upsampleRule };
