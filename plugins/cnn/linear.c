/* linear.c: fully connected layer, ONNX Gemm
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'global-avg-pool ! linear weights=fc.npy bias=b.npy ! softmax' -o out/ in/
 *
 * Y = alpha · A·B + beta · C. The input n×c×h×w is the matrix A of n rows
 * of c·h·w values (its transpose with trans-a). weights is B, stored as
 * PyTorch's Linear stores it, N×K (out × in), with trans-b, the default, or
 * K×N without. bias C is added to every row: N values, or one value, or a
 * full M×N matrix, or M×1 (one per row). The output is M×N×1×1.
 *
 * oneDNN's sgemm reads out×in weights fastest for one to three rows but
 * in×out ones for more (bench/layers README, "Decisions"). So the first
 * batch of PACK_ROWS rows or more makes a transposed copy, kept beside the
 * weights as the convolutions keep their packed ones.
 */
#include "layer.h"

#include "onednn.h"

#include <stdlib.h>

typedef struct {
  CnnfiltOp parent_instance;
  CnnfiltTensor *weights, *bias;
  gfloat alpha, beta;
  gboolean trans_a, trans_b;
  gint algorithm;
  gfloat *packed;  /* the weights transposed to in×out, made for batches */
} CnnfiltLinear;

typedef CnnfiltOpClass CnnfiltLinearClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLinear, cnnfilt_linear, CNNFILT_TYPE_OP)

static const CnnfiltOpProp linear_props[] = {
  { "weights", "The matrix B: out×in with trans-b, else in×out (.npy)", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltLinear, weights), 0, 0, 0, NULL, { 0 } },
  { "bias", "C: out values (or 1, or M×out, or M×1) added to each row (.npy); optional",
    CNNFILT_OP_PROP_TENSOR, CNNFILT_OP_PROP_FIELD (CnnfiltLinear, bias), 0, 0, 0, NULL, { 0 } },
  { "alpha", "Scale of the product", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltLinear, alpha),
    -G_MAXFLOAT, G_MAXFLOAT, 1.0, NULL, { 0 } },
  { "beta", "Scale of the bias", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltLinear, beta), -G_MAXFLOAT,
    G_MAXFLOAT, 1.0, NULL, { 0 } },
  { "trans-a", "Read the input transposed: columns are the samples", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltLinear, trans_a), 0, 1, 0, NULL, { 0 } },
  { "trans-b", "The weights are out×in, as PyTorch's Linear keeps them", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltLinear, trans_b), 0, 1, 1, NULL, { 0 } },
  LAYER_ALGORITHM_PROP (CnnfiltLinear),
};

typedef struct {
  guint m, k, n;
  enum { BIAS_NONE, BIAS_SCALAR, BIAS_COLUMN, BIAS_ROW, BIAS_FULL } bias;
} Gemm;

static gboolean
linear_plan (CnnfiltLinear *self, const CnnfiltShape *in, Gemm *g, GError **error)
{
  guint64 rows = in->n, cols = (guint64) in->c * in->h * in->w;
  g->m = self->trans_a ? cols : rows;
  g->k = self->trans_a ? rows : cols;
  guint w0 = cnnfilt_tensor_get_n (self->weights);
  guint64 w1 = cnnfilt_tensor_get_size (self->weights) / w0;
  guint64 wk = self->trans_b ? w1 : w0;
  g->n = self->trans_b ? w0 : w1;
  if (wk != g->k)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "linear: the input has %u features per sample, the weights (%u×%" G_GUINT64_FORMAT
                   "%s) expect %" G_GUINT64_FORMAT, g->k, w0, w1,
                   self->trans_b ? ", out×in" : ", in×out", wk);
      return FALSE;
    }
  g->bias = BIAS_NONE;
  if (self->bias != NULL)
    {
      CnnfiltShape b;
      cnnfilt_tensor_get_shape (self->bias, &b);
      gsize size = cnnfilt_tensor_get_size (self->bias);
      if (size == 1)
        g->bias = BIAS_SCALAR;
      else if (size == g->n && (b.n == 1 || b.c == 1))
        g->bias = BIAS_COLUMN;
      else if (size == (gsize) g->m * g->n && b.n == g->m)
        g->bias = BIAS_FULL;
      else if (size == g->m && b.c == 1)
        g->bias = BIAS_ROW;
      else
        {
          g_autofree gchar *s = cnnfilt_shape_to_string (&b);
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "linear: the bias (%s) fits neither %u outputs nor %u×%u", s, g->n, g->m,
                       g->n);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
cnnfilt_linear_validate (CnnfiltOp *op, GError **error)
{
  return layer_require_tensor (op, ((CnnfiltLinear *) op)->weights, "weights", error);
}

static gboolean
cnnfilt_linear_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  Gemm g;
  if (!linear_plan ((CnnfiltLinear *) op, &inputs[0], &g, error))
    return FALSE;
  output->n = g.m;
  output->c = g.n;
  output->h = output->w = 1;
  return TRUE;
}

#define PACK_ROWS 4

/* The N×K weights as K×N, made once; FALSE without the memory (the
 * caller then reads them as they are). */
static gboolean
linear_pack (CnnfiltLinear *self, const Gemm *g)
{
  if (self->packed != NULL)
    return TRUE;
  gsize size = (gsize) g->n * g->k;
  self->packed = cnnfilt_alloc_large (size * sizeof (gfloat));
  if (self->packed == NULL)
    return FALSE;
  if (!onednn_transpose (cnnfilt_tensor_get_data (self->weights, NULL), g->n, g->k, self->packed))
    {
      g_clear_pointer (&self->packed, cnnfilt_free_large);
      return FALSE;
    }
  return TRUE;
}

/* new weights: the transposed copy goes */
static void
cnnfilt_linear_changed (CnnfiltOp *layer)
{
  g_clear_pointer (&((CnnfiltLinear *) layer)->packed, cnnfilt_free_large);
}

static void
cnnfilt_linear_finalize (GObject *object)
{
  cnnfilt_free_large (((CnnfiltLinear *) object)->packed);
  G_OBJECT_CLASS (cnnfilt_linear_parent_class)->finalize (object);
}

static gboolean
cnnfilt_linear_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                    CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                    GError **error)
{
  CnnfiltLinear *self = (CnnfiltLinear *) op;
  onednn_set_threads (ctx);
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  Gemm g;
  if (!linear_plan (self, &in, &g, error))
    return FALSE;
  const gfloat *a = cnnfilt_tensor_get_data (inputs[0], NULL);
  const gfloat *b = cnnfilt_tensor_get_data (self->weights, NULL);
  gfloat *y = cnnfilt_tensor_get_data (output, NULL);
  if (self->algorithm == LAYER_ALGORITHM_REFERENCE)
    for (guint i = 0; i < g.m; i++)
      for (guint j = 0; j < g.n; j++)
        {
          gdouble sum = 0;
          for (guint k = 0; k < g.k; k++)
            sum += (gdouble) a[self->trans_a ? (gsize) k * g.m + i : (gsize) i * g.k + k] *
                   b[self->trans_b ? (gsize) j * g.k + k : (gsize) k * g.n + j];
          y[(gsize) i * g.n + j] = (gfloat) (self->alpha * sum);
        }
  else if (self->trans_b && g.m >= PACK_ROWS && linear_pack (self, &g))
    onednn_sgemm (self->trans_a, FALSE, g.m, g.n, g.k, self->alpha, a,
                  self->trans_a ? g.m : g.k, self->packed, g.n, 0.0f, y, g.n);
  else
    onednn_sgemm (self->trans_a, self->trans_b, g.m, g.n, g.k, self->alpha, a,
                  self->trans_a ? g.m : g.k, b, self->trans_b ? g.k : g.n, 0.0f, y, g.n);
  if (g.bias == BIAS_NONE)
    return TRUE;
  const gfloat *c = cnnfilt_tensor_get_data (self->bias, NULL);
  for (guint i = 0; i < g.m; i++)
    for (guint j = 0; j < g.n; j++)
      {
        gfloat v = g.bias == BIAS_SCALAR ? c[0]
                 : g.bias == BIAS_COLUMN ? c[j]
                 : g.bias == BIAS_ROW    ? c[i]
                                         : c[(gsize) i * g.n + j];
        y[(gsize) i * g.n + j] += self->beta * v;
      }
  return TRUE;
}

/* 2·K per output value: weights hold N·K values for N outputs per row */
static guint64
cnnfilt_linear_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      const CnnfiltShape *output)
{
  CnnfiltLinear *self = (CnnfiltLinear *) op;
  if (self->weights == NULL || output->c == 0)
    return 0;
  return 2 * cnnfilt_shape_get_size (output) * (cnnfilt_tensor_get_size (self->weights) / output->c);
}

static gboolean
cnnfilt_linear_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                       CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                       GError **error)
{
  CnnfiltLinear *self = (CnnfiltLinear *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/linear.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  Gemm g;
  if (!linear_plan (self, &in, &g, error))
    return FALSE;
  /* the bias at i·bi + j·bj */
  gint bi = g.bias == BIAS_ROW ? 1 : g.bias == BIAS_FULL ? (gint) g.n : 0;
  gint bj = g.bias == BIAS_COLUMN || g.bias == BIAS_FULL ? 1 : 0;
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_IN (self->weights),
    CNNFILT_KERNEL_IN (self->bias ? self->bias : self->weights), CNNFILT_KERNEL_OUT (output),
    CNNFILT_KERNEL_INT (g.m), CNNFILT_KERNEL_INT (g.n), CNNFILT_KERNEL_INT (g.k),
    CNNFILT_KERNEL_INT (self->trans_a), CNNFILT_KERNEL_INT (self->trans_b),
    CNNFILT_KERNEL_FLOAT (self->alpha), CNNFILT_KERNEL_FLOAT (self->beta),
    CNNFILT_KERNEL_INT (g.bias != BIAS_NONE), CNNFILT_KERNEL_INT (bi), CNNFILT_KERNEL_INT (bj),
  };
  /* tiles of 4×4 (linear.cl's IB and JB) */
  CnnfiltKernelLaunch launch = { source, NULL, "linear", 2, { (g.n + 3) / 4, (g.m + 3) / 4 } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_linear_class_init (CnnfiltLinearClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops = cnnfilt_linear_flops;
  CNNFILT_OP_CLASS (klass)->window = layer_window_global;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_linear_finalize;
  CNNFILT_OP_CLASS (klass)->changed = cnnfilt_linear_changed;
  op_class->name = "linear";
  op_class->example = "global-avg-pool ! linear weights=fc.npy bias=b.npy ! softmax";
  op_class->description = "Fully connected layer: alpha·x·Wᵀ + beta·bias (ONNX Gemm)";
  op_class->onnx_op_type = "Gemm";
  op_class->onnx_inputs = "- weights bias^";
  /* broadcast (opsets 1-6): whether C broadcasts, as bias always may */
  op_class->onnx_attributes = "alpha:alpha beta:beta transA:trans-a transB=0:trans-b "
                              "broadcast@-6:";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_linear_validate;
  op_class->infer = cnnfilt_linear_infer;
  op_class->run = cnnfilt_linear_run;
  op_class->run_cl = cnnfilt_linear_run_cl;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), linear_props, G_N_ELEMENTS (linear_props));
}

LAYER_NO_INIT (CnnfiltLinear, cnnfilt_linear)
