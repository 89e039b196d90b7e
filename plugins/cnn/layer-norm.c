/* layer-norm.c: layer normalization over the last dims, as ONNX's LayerNormalization
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'layer-norm axis=1 scale=g.npy bias=b.npy' -o out/ in/
 *
 * Each block of the dims from axis on (the channels of a pixel in
 * ConvNeXt's channels-last layers, a token in a transformer) is
 * normalized to mean 0 and variance 1, y = (x − mean)/√(var + epsilon),
 * then scaled and shifted per position of the block: scale and bias have
 * the block's dims (or 1 where they broadcast) and 1s before axis, as the
 * importer aligns them. The statistics are taken in double (ONNX's
 * stash_type 1 asks for at least float32); they and the kernels are
 * shared with instance-norm (norm.h).
 */
#include "norm.h"

#include <math.h>
#include <string.h>

typedef struct {
  CnnfiltOp parent_instance;
  gint axis;
  gfloat epsilon;
  CnnfiltTensor *scale;
  CnnfiltTensor *bias;
} CnnfiltLayerNorm;

typedef CnnfiltOpClass CnnfiltLayerNormClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLayerNorm, cnnfilt_layer_norm, CNNFILT_TYPE_OP)

static const CnnfiltOpProp layer_norm_props[] = {
  { "axis", "First dim of the normalized blocks (0 n, 1 c, 2 h, 3 w): the block is this dim "
    "and the ones after it", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltLayerNorm, axis),
    0, 3, 3, NULL, { 0 } },
  { "epsilon", "Added to the variance", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltLayerNorm, epsilon), 0, 1, 1e-5, NULL, { 0 } },
  { "scale", "Multiplies each position of a block: the block's dims, or 1 where it broadcasts "
    "(.npy)", CNNFILT_OP_PROP_TENSOR, CNNFILT_OP_PROP_FIELD (CnnfiltLayerNorm, scale), 0, 0, 0,
    NULL, { 0 } },
  { "bias", "Added to each position of a block, shaped as scale (.npy); optional",
    CNNFILT_OP_PROP_TENSOR, CNNFILT_OP_PROP_FIELD (CnnfiltLayerNorm, bias), 0, 0, 0, NULL, { 0 } },
};

static gboolean
cnnfilt_layer_norm_validate (CnnfiltOp *op, GError **error)
{
  return layer_require_tensor (op, ((CnnfiltLayerNorm *) op)->scale, "scale", error);
}

/* @param broadcasts to the blocks of an input of @in: 1 before axis, the
 * input's dim or 1 from there on. */
static gboolean
check_param (CnnfiltLayerNorm *self, CnnfiltTensor *param, const gchar *name,
             const CnnfiltShape *in, GError **error)
{
  CnnfiltShape s;
  cnnfilt_tensor_get_shape (param, &s);
  const guint p[4] = { s.n, s.c, s.h, s.w }, d[4] = { in->n, in->c, in->h, in->w };
  for (gint i = 0; i < 4; i++)
    if (i < self->axis ? p[i] != 1 : p[i] != 1 && p[i] != d[i])
      {
        g_autofree gchar *ps = cnnfilt_shape_to_string (&s);
        g_autofree gchar *is = cnnfilt_shape_to_string (in);
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                     "layer-norm: %s (%s) does not fit the blocks from axis %d of the input (%s)",
                     name, ps, self->axis, is);
        return FALSE;
      }
  return TRUE;
}

static gboolean
cnnfilt_layer_norm_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                          CnnfiltShape *output, GError **error)
{
  CnnfiltLayerNorm *self = (CnnfiltLayerNorm *) op;
  if (!check_param (self, self->scale, "scale", &inputs[0], error) ||
      (self->bias != NULL && !check_param (self, self->bias, "bias", &inputs[0], error)))
    return FALSE;
  *output = inputs[0];
  return TRUE;
}

/* The values of @param (or @fallback where it is NULL) at each of the
 * @inner positions of a block of @in, broadcast. */
static gfloat *
expand_param (CnnfiltTensor *param, gfloat fallback, const CnnfiltShape *in, gint axis,
              gsize inner)
{
  gfloat *out = g_new (gfloat, inner);
  if (param == NULL)
    {
      for (gsize i = 0; i < inner; i++)
        out[i] = fallback;
      return out;
    }
  CnnfiltShape s;
  cnnfilt_tensor_get_shape (param, &s);
  const gfloat *v = cnnfilt_tensor_get_data (param, NULL);
  const guint d[4] = { in->n, in->c, in->h, in->w }, p[4] = { s.n, s.c, s.h, s.w };
  for (gsize i = 0; i < inner; i++)
    {
      /* position i of the block as dims axis … 3, read from @param */
      gsize rest = i, at = 0, stride = 1;
      guint index[4] = { 0, 0, 0, 0 };
      for (gint k = 3; k >= axis; k--)
        {
          index[k] = rest % d[k];
          rest /= d[k];
        }
      for (gint k = 3; k >= 0; k--)
        {
          at += (p[k] == 1 ? 0 : index[k]) * stride;
          stride *= p[k];
        }
      out[i] = v[at];
    }
  return out;
}

/* Sums in 8 double lanes, which the compiler keeps in vectors (made for
 * AVX-512, AVX2 and the baseline): a token's 768 values were one chain of
 * scalar double adds. */
#define NORM_LANES 8

__attribute__ ((target_clones ("avx512f", "avx2", "default"))) void
norm_statistics (const gfloat *x, gsize size, gfloat epsilon, gdouble *mean, gdouble *inv)
{
  gdouble lanes[NORM_LANES] = { 0 }, sum = 0, squares = 0;
  gsize i = 0;
  for (; i + NORM_LANES <= size; i += NORM_LANES)
    for (guint j = 0; j < NORM_LANES; j++)
      lanes[j] += x[i + j];
  for (; i < size; i++)
    sum += x[i];
  for (guint j = 0; j < NORM_LANES; j++)
    sum += lanes[j];
  const gdouble m = sum / size;
  for (guint j = 0; j < NORM_LANES; j++)
    lanes[j] = 0;
  for (i = 0; i + NORM_LANES <= size; i += NORM_LANES)
    for (guint j = 0; j < NORM_LANES; j++)
      lanes[j] += (x[i + j] - m) * (x[i + j] - m);
  for (; i < size; i++)
    squares += (x[i] - m) * (x[i] - m);
  for (guint j = 0; j < NORM_LANES; j++)
    squares += lanes[j];
  *mean = m;
  *inv = 1.0 / sqrt (squares / size + epsilon);
}

gsize
norm_group_size (const CnnfiltRunContext *ctx, gsize size)
{
  gsize group = 1;
  while (group * 2 <= MIN (cnnfilt_kernel_get_max_work_group (ctx), 64) && group * 2 <= size)
    group *= 2;
  return group;
}

static gboolean
cnnfilt_layer_norm_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                        guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltLayerNorm *self = (CnnfiltLayerNorm *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const guint d[4] = { in.n, in.c, in.h, in.w };
  gsize outer = 1, inner = 1;
  for (gint k = 0; k < 4; k++)
    {
      if (k < self->axis)
        outer *= d[k];
      else
        inner *= d[k];
    }
  g_autofree gfloat *scale = expand_param (self->scale, 1, &in, self->axis, inner);
  g_autofree gfloat *bias = expand_param (self->bias, 0, &in, self->axis, inner);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  /* blocks on the run's threads where there are values enough (a ViT's
   * 197 tokens of 768) */
  const gboolean parallel = ctx->n_threads > 1 && outer > 1 &&
                            outer * inner >= LAYER_PARALLEL_MIN_VALUES;
#pragma omp parallel for num_threads (ctx->n_threads) if (parallel) schedule (static)
  for (gsize o = 0; o < outer; o++)
    {
      const gfloat *x = src + o * inner;
      gfloat *y = dst + o * inner;
      gdouble mean, inv_sd;
      norm_statistics (x, inner, self->epsilon, &mean, &inv_sd);
      const gfloat inv = (gfloat) inv_sd, m = (gfloat) mean;
      for (gsize i = 0; i < inner; i++)
        y[i] = (x[i] - m) * inv * scale[i] + bias[i];
    }
  return TRUE;
}

static gboolean
cnnfilt_layer_norm_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                           guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltLayerNorm *self = (CnnfiltLayerNorm *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/norm.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const guint d[4] = { in.n, in.c, in.h, in.w };
  gsize outer = 1, inner = 1;
  for (gint k = 0; k < 4; k++)
    {
      if (k < self->axis)
        outer *= d[k];
      else
        inner *= d[k];
    }
  if (inner > G_MAXINT || outer > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "layer-norm: more values than one OpenCL launch takes");
      return FALSE;
    }
  /* the scale and bias of every position of a block, made by the host */
  g_autoptr (CnnfiltTensor) params = cnnfilt_tensor_new (1, 1, 2, inner, error);
  if (params == NULL)
    return FALSE;
  g_autofree gfloat *scale = expand_param (self->scale, 1, &in, self->axis, inner);
  g_autofree gfloat *bias = expand_param (self->bias, 0, &in, self->axis, inner);
  gfloat *p = cnnfilt_tensor_get_data (params, NULL);
  memcpy (p, scale, inner * sizeof (gfloat));
  memcpy (p + inner, bias, inner * sizeof (gfloat));
  const gsize group = norm_group_size (ctx, inner);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_IN (params),
    CNNFILT_KERNEL_INT (inner), CNNFILT_KERNEL_FLOAT (self->epsilon),
    CNNFILT_KERNEL_LOCAL (group * sizeof (gfloat)),
  };
  /* its sums in float (norm.cl) */
  CnnfiltKernelLaunch launch = { source, "-DFLOAT_SUMS", "layer_norm", 1, { group * outer },
                                 { group } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_layer_norm_class_init (CnnfiltLayerNormClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 8;
  op_class->name = "layer-norm";
  op_class->example = "layer-norm axis=1 scale=g.npy bias=b.npy";
  op_class->description = "Layer normalization: each block of the dims from axis on to mean 0 "
                          "and variance 1, then scaled and shifted per position";
  op_class->onnx_op_type = "LayerNormalization";
  op_class->onnx_inputs = "- scale^ bias^";
  op_class->onnx_attributes = "axis=-1:axis epsilon:epsilon stash_type:1";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_layer_norm_validate;
  op_class->infer = cnnfilt_layer_norm_infer;
  op_class->run = cnnfilt_layer_norm_run;
  op_class->run_cl = cnnfilt_layer_norm_run_cl;
  cnnfilt_op_class_install_properties (op_class, layer_norm_props, G_N_ELEMENTS (layer_norm_props));
}

LAYER_NO_INIT (CnnfiltLayerNorm, cnnfilt_layer_norm)
