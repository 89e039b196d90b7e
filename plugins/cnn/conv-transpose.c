/* conv-transpose.c: 2-D transposed convolution, as PyTorch's ConvTranspose2d and ONNX ConvTranspose
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv-transpose weights=w.npy bias=b.npy stride=2 padding=1 output-padding=1' -o out/ in/
 *
 * weights are (C_in, C_out/groups, kh, kw), bias (C_out). Each input value
 * adds its kernel, times itself, to the output at stride spacing (input row
 * i, kernel row k: full output row i·stride + k·dilation); padding takes
 * rows off the full output's two ends and output padding adds rows at its
 * bottom (PyTorch's padding and output_padding). An output size (ONNX's
 * output_shape) or auto-pad=same-* (output = input × stride) sets the
 * padding instead, as the ONNX spec says: the total split in halves, the
 * odd row at the end for same-upper, at the start otherwise.
 *
 * Two paths give the same result up to float rounding (the tests hold them
 * to 1e-4 relative): auto, oneDNN's deconvolution (conv-transpose-onednn.c)
 * wherever it takes the geometry, else the plain loops; reference, the
 * plain loops: each output value gathers the input values that reach it,
 * as conv-transpose.cl does on OpenCL devices.
 *
 * ONNX: ConvTranspose 1 and 11, 2-D (inputs of rank 4; 1-D and 3-D ones are
 * refused), weights and bias constant; kernel_shape must restate the
 * weights'.
 */
#include "conv-transpose.h"

typedef struct {
  CnnfiltOp parent_instance;
  CnnfiltTensor *weights;
  CnnfiltTensor *bias;
  gint groups;
  gint stride_h, stride_w;
  gint dilation_h, dilation_w;
  gint pad_top, pad_left, pad_bottom, pad_right;
  gint output_padding_h, output_padding_w;
  guint output_height, output_width;
  gint auto_pad;
  gint algorithm;
  /* oneDNN's plan for the input shape last seen */
  OnednnConvTranspose *onednn;
} CnnfiltConvTranspose;

typedef CnnfiltOpClass CnnfiltConvTransposeClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltConvTranspose, cnnfilt_conv_transpose, CNNFILT_TYPE_OP)

#define FIELD(field) CNNFILT_OP_PROP_FIELD (CnnfiltConvTranspose, field)
#define SIDE_MAX (1 << 24)

static const CnnfiltOpProp conv_transpose_props[] = {
  { "weights", "Kernels, C_in×(C_out/groups)×kh×kw (.npy)", CNNFILT_OP_PROP_TENSOR,
    FIELD (weights), 0, 0, 0, NULL, { 0 }, NULL, 0 },
  { "bias", "Added to each output channel, C_out values (.npy); optional", CNNFILT_OP_PROP_TENSOR,
    FIELD (bias), 0, 0, 0, NULL, { 0 }, NULL, 0 },
  { "groups", "Channel groups: input and output channels split in this many independent "
    "transposed convolutions", CNNFILT_OP_PROP_INT, FIELD (groups), 1, 1 << 20, 1, NULL, { 0 },
    NULL, 0 },
  { "stride-h", "Output rows between the rows two neighbouring input rows start at",
    CNNFILT_OP_PROP_INT, FIELD (stride_h), 1, 1 << 16, 1, NULL, { 0 }, NULL, 0 },
  { "stride-w", "Output columns between the columns two neighbouring input columns start at",
    CNNFILT_OP_PROP_INT, FIELD (stride_w), 1, 1 << 16, 1, NULL, { 0 }, NULL, 0 },
  { "stride", "Shorthand: sets stride-h and stride-w", CNNFILT_OP_PROP_SHORTHAND, 0, 1, 1 << 16,
    1, NULL, { FIELD (stride_h), FIELD (stride_w), -1 }, NULL, 0 },
  { "dilation-h", "Vertical spacing of the kernel taps", CNNFILT_OP_PROP_INT, FIELD (dilation_h),
    1, 1 << 16, 1, NULL, { 0 }, NULL, 0 },
  { "dilation-w", "Horizontal spacing of the kernel taps", CNNFILT_OP_PROP_INT, FIELD (dilation_w),
    1, 1 << 16, 1, NULL, { 0 }, NULL, 0 },
  { "dilation", "Shorthand: sets dilation-h and dilation-w", CNNFILT_OP_PROP_SHORTHAND, 0, 1,
    1 << 16, 1, NULL, { FIELD (dilation_h), FIELD (dilation_w), -1 }, NULL, 0 },
  { "pad-top", "Rows taken off the top of the full output", CNNFILT_OP_PROP_INT, FIELD (pad_top),
    0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },
  { "pad-left", "Columns taken off the left of the full output", CNNFILT_OP_PROP_INT,
    FIELD (pad_left), 0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },
  { "pad-bottom", "Rows taken off the bottom of the full output", CNNFILT_OP_PROP_INT,
    FIELD (pad_bottom), 0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },
  { "pad-right", "Columns taken off the right of the full output", CNNFILT_OP_PROP_INT,
    FIELD (pad_right), 0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },
  { "padding", "Shorthand: sets all four pad-* sides", CNNFILT_OP_PROP_SHORTHAND, 0, 0, 1 << 16, 0,
    NULL, { FIELD (pad_top), FIELD (pad_left), FIELD (pad_bottom), FIELD (pad_right) }, NULL, 0 },
  { "output-padding-h", "Rows added at the bottom (PyTorch's and ONNX's output_padding): the "
    "input size a strided convolution came from", CNNFILT_OP_PROP_INT, FIELD (output_padding_h),
    0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },
  { "output-padding-w", "Columns added on the right", CNNFILT_OP_PROP_INT,
    FIELD (output_padding_w), 0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },
  { "output-padding", "Shorthand: sets output-padding-h and output-padding-w",
    CNNFILT_OP_PROP_SHORTHAND, 0, 0, 1 << 16, 0, NULL,
    { FIELD (output_padding_h), FIELD (output_padding_w), -1 }, NULL, 0 },
  { "output-height", "Output rows (ONNX's output_shape): the padding follows from it, pad-* are "
    "ignored; 0: from the padding", CNNFILT_OP_PROP_UINT, FIELD (output_height), 0, SIDE_MAX, 0,
    NULL, { 0 }, NULL, 0 },
  { "output-width", "Output columns; 0: from the padding", CNNFILT_OP_PROP_UINT,
    FIELD (output_width), 0, SIDE_MAX, 0, NULL, { 0 }, NULL, 0 },
  { "auto-pad", "same-upper, same-lower: an output of input × stride, the padding split with the "
    "odd row at the end (upper) or the start (lower); valid: no padding; notset: pad-*",
    CNNFILT_OP_PROP_ENUM, FIELD (auto_pad), 0, 0, CNNFILT_AUTO_PAD_NOTSET,
    cnnfilt_auto_pad_get_type, { 0 }, NULL, 0 },
  LAYER_ALGORITHM_PROP (CnnfiltConvTranspose),
};

#undef FIELD

static gboolean
cnnfilt_conv_transpose_validate (CnnfiltOp *op, GError **error)
{
  CnnfiltConvTranspose *self = (CnnfiltConvTranspose *) op;
  if (!layer_require_tensor (op, self->weights, "weights", error))
    return FALSE;
  guint c = cnnfilt_tensor_get_n (self->weights);
  guint o = cnnfilt_tensor_get_c (self->weights) * self->groups;
  if (c % self->groups != 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv-transpose: %u input channels (weights) do not split into groups=%d", c,
                   self->groups);
      return FALSE;
    }
  if (self->bias != NULL && cnnfilt_tensor_get_size (self->bias) != o)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv-transpose: bias has %" G_GSIZE_FORMAT " values, the weights make %u "
                   "output channels (%u per group × groups=%d)", cnnfilt_tensor_get_size (self->bias),
                   o, cnnfilt_tensor_get_c (self->weights), self->groups);
      return FALSE;
    }
  return TRUE;
}

/* x / 2 rounded down, for negative totals too */
static gint64
half_down (gint64 x)
{
  return x >= 0 ? x / 2 : -((-x + 1) / 2);
}

/* One axis: the output size and the two pads. */
static gboolean
axis_plan (CnnfiltConvTranspose *self, const gchar *rows, guint in, gint k, gint s, gint d,
           gint pad_begin, gint pad_end, gint output_padding, guint wanted, gint *begin, gint *end,
           guint *out, GError **error)
{
  gint64 full = (gint64) s * (in - 1) + (gint64) d * (k - 1) + 1, o, b;
  if (full > SIDE_MAX)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv-transpose: %u input %s spread over %" G_GINT64_FORMAT " %s; at most %d "
                   "are possible", in, rows, full, rows, SIDE_MAX);
      return FALSE;
    }
  if (wanted != 0 || self->auto_pad == CNNFILT_AUTO_PAD_SAME_UPPER ||
      self->auto_pad == CNNFILT_AUTO_PAD_SAME_LOWER)
    {
      o = wanted != 0 ? wanted : (gint64) in * s;
      gint64 total = full + output_padding - o;
      b = self->auto_pad == CNNFILT_AUTO_PAD_SAME_UPPER ? half_down (total)
                                                        : total - half_down (total);
    }
  else if (self->auto_pad == CNNFILT_AUTO_PAD_VALID)
    b = 0, o = full + output_padding;
  else
    b = pad_begin, o = full + output_padding - pad_begin - pad_end;
  if (o < 1 || o > SIDE_MAX)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv-transpose: %u input %s make %" G_GINT64_FORMAT " output %s; 1 to %d "
                   "are possible", in, rows, o, rows, SIDE_MAX);
      return FALSE;
    }
  *begin = (gint) b;
  *end = (gint) (full - b - o);
  *out = (guint) o;
  return TRUE;
}

static gboolean
conv_transpose_plan (CnnfiltConvTranspose *self, const CnnfiltShape *in, ConvTransposePlan *p,
                     GError **error)
{
  if (self->weights == NULL)
    return layer_require_tensor (CNNFILT_OP (self), self->weights, "weights", error);
  guint c = cnnfilt_tensor_get_n (self->weights);
  if (in->c != c)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv-transpose: the input has %u channels, the weights expect %u", in->c, c);
      return FALSE;
    }
  *p = (ConvTransposePlan) {
    .in_h = in->h, .in_w = in->w,
    .kernel_h = cnnfilt_tensor_get_h (self->weights), .kernel_w = cnnfilt_tensor_get_w (self->weights),
    .stride_h = self->stride_h, .stride_w = self->stride_w,
    .dilation_h = self->dilation_h, .dilation_w = self->dilation_w,
  };
  return axis_plan (self, "rows", in->h, p->kernel_h, p->stride_h, p->dilation_h, self->pad_top,
                    self->pad_bottom, self->output_padding_h, self->output_height, &p->pad_top,
                    &p->pad_bottom, &p->out_h, error) &&
         axis_plan (self, "columns", in->w, p->kernel_w, p->stride_w, p->dilation_w,
                    self->pad_left, self->pad_right, self->output_padding_w, self->output_width,
                    &p->pad_left, &p->pad_right, &p->out_w, error);
}

static gboolean
cnnfilt_conv_transpose_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                              CnnfiltShape *output, GError **error)
{
  CnnfiltConvTranspose *self = (CnnfiltConvTranspose *) op;
  ConvTransposePlan p;
  if (!conv_transpose_plan (self, &inputs[0], &p, error))
    return FALSE;
  *output = (CnnfiltShape) { inputs[0].n, cnnfilt_tensor_get_c (self->weights) * self->groups,
                             p.out_h, p.out_w };
  return TRUE;
}

static ConvTransposeParams
conv_transpose_params (const CnnfiltConvTranspose *self)
{
  return (ConvTransposeParams) { self->weights, self->bias, self->groups };
}

/* The plain loops: each output value, the bias plus the input values that
 * reach it times their kernel taps (conv-transpose.cl sums in the same
 * order), planes shared among the threads. */
static void
conv_transpose_reference (const ConvTransposeParams *cp, const ConvTransposePlan *p,
                          const gfloat *in, const CnnfiltShape *s, gfloat *out, guint o,
                          guint n_threads)
{
  const gfloat *w = cnnfilt_tensor_get_data (cp->weights, NULL);
  const gfloat *bias = cp->bias ? cnnfilt_tensor_get_data (cp->bias, NULL) : NULL;
  const guint cg = s->c / cp->groups, og = o / cp->groups;
  const gsize planes = (gsize) s->n * o, kernel = (gsize) p->kernel_h * p->kernel_w;
  const gboolean parallel = n_threads > 1 && planes * p->out_h * p->out_w * cg * kernel >= 1u << 18;
#pragma omp parallel for num_threads (n_threads) if (parallel) schedule (static)
  for (gsize plane = 0; plane < planes; plane++)
    {
      const guint img = plane / o, oc = plane % o, g = oc / og, ocg = oc % og;
      gfloat *dst = out + plane * p->out_h * p->out_w;
      for (guint y = 0; y < p->out_h; y++)
        for (guint x = 0; x < p->out_w; x++)
          {
            gfloat sum = bias ? bias[oc] : 0.0f;
            for (guint icg = 0; icg < cg; icg++)
              {
                const guint ic = g * cg + icg;
                const gfloat *src = in + ((gsize) img * s->c + ic) * s->h * s->w;
                const gfloat *k = w + ((gsize) ic * og + ocg) * kernel;
                for (gint ky = 0; ky < p->kernel_h; ky++)
                  {
                    gint fy = (gint) y + p->pad_top - ky * p->dilation_h;
                    if (fy < 0 || fy % p->stride_h != 0 || fy / p->stride_h >= (gint) s->h)
                      continue;
                    const gfloat *row = src + (gsize) (fy / p->stride_h) * s->w;
                    for (gint kx = 0; kx < p->kernel_w; kx++)
                      {
                        gint fx = (gint) x + p->pad_left - kx * p->dilation_w;
                        if (fx < 0 || fx % p->stride_w != 0 || fx / p->stride_w >= (gint) s->w)
                          continue;
                        sum += row[fx / p->stride_w] * k[ky * p->kernel_w + kx];
                      }
                  }
              }
            dst[(gsize) y * p->out_w + x] = sum;
          }
    }
}

static gboolean
cnnfilt_conv_transpose_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                            guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltConvTranspose *self = (CnnfiltConvTranspose *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  ConvTransposePlan p;
  if (!conv_transpose_plan (self, &in, &p, error))
    return FALSE;
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  const ConvTransposeParams cp = conv_transpose_params (self);
  if (self->algorithm == LAYER_ALGORITHM_AUTO)
    {
      onednn_set_threads (ctx);
      if (onednn_conv_transpose_ensure (&self->onednn, &cp, &in, &p))
        return onednn_conv_transpose_run (self->onednn, src, dst, error);
    }
  conv_transpose_reference (&cp, &p, src, &in, dst, cnnfilt_tensor_get_c (output), ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_conv_transpose_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                               CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                               GError **error)
{
  CnnfiltConvTranspose *self = (CnnfiltConvTranspose *) op;
  const gchar *source =
      cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/conv-transpose.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape s, d;
  cnnfilt_tensor_get_shape (inputs[0], &s);
  cnnfilt_tensor_get_shape (output, &d);
  ConvTransposePlan p;
  if (!conv_transpose_plan (self, &s, &p, error))
    return FALSE;
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_IN (self->weights),
    CNNFILT_KERNEL_IN (self->bias ? self->bias : self->weights), CNNFILT_KERNEL_OUT (output),
    CNNFILT_KERNEL_INT (s.c), CNNFILT_KERNEL_INT (s.h), CNNFILT_KERNEL_INT (s.w),
    CNNFILT_KERNEL_INT (d.c), CNNFILT_KERNEL_INT (d.h), CNNFILT_KERNEL_INT (d.w),
    CNNFILT_KERNEL_INT (s.c / self->groups), CNNFILT_KERNEL_INT (d.c / self->groups),
    CNNFILT_KERNEL_INT (p.kernel_h), CNNFILT_KERNEL_INT (p.kernel_w),
    CNNFILT_KERNEL_INT (p.stride_h), CNNFILT_KERNEL_INT (p.stride_w),
    CNNFILT_KERNEL_INT (p.dilation_h), CNNFILT_KERNEL_INT (p.dilation_w),
    CNNFILT_KERNEL_INT (p.pad_top), CNNFILT_KERNEL_INT (p.pad_left),
    CNNFILT_KERNEL_INT (self->bias != NULL),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "conv_transpose", 3,
                                 { d.w, d.h, (gsize) d.n * d.c } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

/* 2·kh·kw·(C_out/groups) per input value, and one per output value for the bias */
static guint64
cnnfilt_conv_transpose_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                              const CnnfiltShape *output)
{
  CnnfiltConvTranspose *self = (CnnfiltConvTranspose *) op;
  if (self->weights == NULL || n_inputs == 0)
    return 0;
  guint64 per_input = cnnfilt_tensor_get_size (self->weights) / MAX (inputs[0].c, 1);
  return 2 * cnnfilt_shape_get_size (&inputs[0]) * per_input +
         (self->bias != NULL ? cnnfilt_shape_get_size (output) : 0);
}

/* new weights or geometry: the plan and its packed weights go */
static void
cnnfilt_conv_transpose_changed (CnnfiltOp *op)
{
  g_clear_pointer (&((CnnfiltConvTranspose *) op)->onednn, onednn_conv_transpose_free);
}

static void
cnnfilt_conv_transpose_finalize (GObject *object)
{
  cnnfilt_conv_transpose_changed (CNNFILT_OP (object));
  G_OBJECT_CLASS (cnnfilt_conv_transpose_parent_class)->finalize (object);
}

static void
cnnfilt_conv_transpose_class_init (CnnfiltConvTransposeClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_conv_transpose_finalize;
  op_class->name = "conv-transpose";
  op_class->example = "conv-transpose weights=w.npy bias=b.npy stride=2 padding=1 output-padding=1";
  op_class->description = "2-D transposed convolution (learned upsampling): stride, padding, "
                          "output padding or size, dilation, groups, bias";
  op_class->onnx_op_type = "ConvTranspose";
  op_class->onnx_inputs = "- weights bias";
  op_class->onnx_attributes =
      "auto_pad:auto-pad strides:stride-h,stride-w pads:pad-top,pad-left,pad-bottom,pad-right "
      "dilations:dilation-h,dilation-w group:groups kernel_shape:weights[2],weights[3] "
      "output_padding:output-padding-h,output-padding-w output_shape:output-height,output-width "
      "=RANK:4";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_conv_transpose_validate;
  op_class->infer = cnnfilt_conv_transpose_infer;
  op_class->run = cnnfilt_conv_transpose_run;
  op_class->run_cl = cnnfilt_conv_transpose_run_cl;
  op_class->flops = cnnfilt_conv_transpose_flops;
  op_class->changed = cnnfilt_conv_transpose_changed;
  cnnfilt_op_class_install_properties (op_class, conv_transpose_props,
                                       G_N_ELEMENTS (conv_transpose_props));
}

LAYER_NO_INIT (CnnfiltConvTranspose, cnnfilt_conv_transpose)
