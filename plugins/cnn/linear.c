/* linear.c: fully connected layer, ONNX Gemm, and MatMul by constant weights
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'global-avg-pool ! linear weights=fc.npy bias=b.npy ! softmax' -o out/ in/
 *
 * Y = alpha · A·B + beta · C. The input is the matrix A: its dims before
 * axis are the rows, those from axis on the features of each (axis 1, the
 * default: n rows of c·h·w, as Gemm and a classifier head read it; the
 * last dim: PyTorch's Linear on tokens or channels-last activations, as
 * ConvNeXt's and ViT's MatMuls are imported). The output keeps the dims
 * before axis and puts the outputs after them: n×N×1×1 at axis 1. With
 * trans-a (axis 1 only) A is read transposed. weights is B, stored as
 * PyTorch's Linear stores it, N×K (out × in), with trans-b, the default, or
 * K×N without. bias C is added to every row: N values, or one value, or a
 * full M×N matrix, or M×1 (one per row). A clamp and an activation (a
 * following relu or clip, and a point op oneDNN has, fused by graphs)
 * come last.
 *
 * Paths:
 * - auto, with PACK_ROWS rows or more, alpha 1, no trans-a and a bias of
 *   N values (or none) at beta 1: oneDNN's matmul (linear-onednn.c), the
 *   weights packed once, bias, clamp and activation applied as it writes;
 * - otherwise oneDNN's sgemm, then the bias, clamp and activation in
 *   passes. sgemm reads out×in weights fastest for one to three rows but
 *   in×out ones for more (bench/layers README, "Decisions"), so the first
 *   batch of PACK_ROWS rows or more makes a transposed copy, kept beside
 *   the weights;
 * - reference: plain loops in double, then the same passes.
 */
#include "linear.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  CnnfiltTensor *weights, *bias;
  gfloat alpha, beta;
  gboolean trans_a, trans_b;
  gint axis;
  gfloat clamp_min, clamp_max;
  gchar *activation;
  gint algorithm;
  CnnfiltOp *activation_op; /* made when the property is set */
  gfloat *packed;           /* the weights transposed to in×out, made for batches */
  OnednnLinear *onednn;     /* oneDNN's plan for the row count last seen */
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
  { "trans-a", "Read the input transposed: columns are the samples (axis 1 only)",
    CNNFILT_OP_PROP_BOOLEAN, CNNFILT_OP_PROP_FIELD (CnnfiltLinear, trans_a), 0, 1, 0, NULL, { 0 } },
  { "trans-b", "The weights are out×in, as PyTorch's Linear keeps them", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltLinear, trans_b), 0, 1, 1, NULL, { 0 } },
  { "axis", "The first of the dims that are a row's features; those before it are the rows "
    "(1: each sample is a row; the tensor's last dim: a Linear on tokens or channels-last "
    "values)", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltLinear, axis), 0, 3, 1, NULL,
    { 0 } },
  LAYER_CLAMP_PROPS (CnnfiltLinear),
  { "activation", "A point op applied after the clamp, one of oneDNN's eltwise algorithms "
    "without parameters (silu, gelu, hard-swish, sigmoid, tanh, exp, sqrt): a following op "
    "fused by graphs", CNNFILT_OP_PROP_STRING,
    CNNFILT_OP_PROP_FIELD (CnnfiltLinear, activation), 0, 0, 0, NULL, { 0 } },
  LAYER_ALGORITHM_PROP (CnnfiltLinear),
};

typedef struct {
  guint m, k, n;
  enum { BIAS_NONE, BIAS_SCALAR, BIAS_COLUMN, BIAS_ROW, BIAS_FULL } bias;
} Gemm;

static gboolean
linear_plan (CnnfiltLinear *self, const CnnfiltShape *in, Gemm *g, GError **error)
{
  const guint dims[4] = { in->n, in->c, in->h, in->w };
  guint64 rows = 1, cols = 1;
  for (gint i = 0; i < 4; i++)
    {
      if (i < self->axis)
        rows *= dims[i];
      else
        cols *= dims[i];
    }
  if (rows > G_MAXINT || cols > G_MAXINT)
    {
      g_autofree gchar *s = cnnfilt_shape_to_string (in);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "linear: the input (%s) has more rows or features than a matrix takes", s);
      return FALSE;
    }
  g->m = self->trans_a ? cols : rows;
  g->k = self->trans_a ? rows : cols;
  guint w0 = cnnfilt_tensor_get_n (self->weights);
  guint64 w1 = cnnfilt_tensor_get_size (self->weights) / w0;
  guint64 wk = self->trans_b ? w1 : w0;
  g->n = self->trans_b ? w0 : w1;
  if (wk != g->k)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "linear: the input has %u features per row (the dims from axis %d), the "
                   "weights (%u×%" G_GUINT64_FORMAT "%s) expect %" G_GUINT64_FORMAT,
                   g->k, self->axis, w0, w1, self->trans_b ? ", out×in" : ", in×out", wk);
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
  CnnfiltLinear *self = (CnnfiltLinear *) op;
  if (!layer_require_tensor (op, self->weights, "weights", error))
    return FALSE;
  if (self->trans_a && self->axis != 1)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "linear: trans-a reads a matrix of samples by features: it needs axis=1, "
                   "not %d", self->axis);
      return FALSE;
    }
  if (self->activation != NULL && *self->activation != '\0' && self->activation_op == NULL)
    {
      g_autoptr (CnnfiltOp) act = layer_activation_op_new ("linear", self->activation, error);
      g_assert (act == NULL); /* changed() made it if it could be made */
      return FALSE;
    }
  return TRUE;
}

/* The dims before axis, the outputs, then 1s; m×n×1×1 with trans-a. */
static gboolean
cnnfilt_linear_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  CnnfiltLinear *self = (CnnfiltLinear *) op;
  Gemm g;
  if (!linear_plan (self, &inputs[0], &g, error))
    return FALSE;
  guint dims[4] = { inputs[0].n, inputs[0].c, inputs[0].h, inputs[0].w };
  gint axis = self->trans_a ? 1 : self->axis;
  if (self->trans_a)
    dims[0] = g.m;
  dims[axis] = g.n;
  for (gint i = axis + 1; i < 4; i++)
    dims[i] = 1;
  *output = (CnnfiltShape) { dims[0], dims[1], dims[2], dims[3] };
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

/* new weights or epilogue: the plans and the transposed copy go, and the
 * activation's op is made anew (validate reports a bad name) */
static void
cnnfilt_linear_changed (CnnfiltOp *layer)
{
  CnnfiltLinear *self = (CnnfiltLinear *) layer;
  g_clear_pointer (&self->packed, cnnfilt_free_large);
  g_clear_pointer (&self->onednn, onednn_linear_free);
  g_clear_object (&self->activation_op);
  if (self->activation != NULL && *self->activation != '\0')
    self->activation_op = layer_activation_op_new ("linear", self->activation, NULL);
}

static void
cnnfilt_linear_finalize (GObject *object)
{
  CnnfiltLinear *self = (CnnfiltLinear *) object;
  cnnfilt_free_large (self->packed);
  g_clear_pointer (&self->onednn, onednn_linear_free);
  g_clear_object (&self->activation_op);
  G_OBJECT_CLASS (cnnfilt_linear_parent_class)->finalize (object);
}

/* oneDNN's matmul plan for @g where it computes the whole op: TRUE with
 * self->onednn ready; FALSE where it does not. */
static gboolean
linear_onednn_ready (CnnfiltLinear *self, const Gemm *g)
{
  /* a few rows (a classifier at batch 1) read the weights as they are:
   * packing VGG-16's 25088×4096 layer takes 2 s, for 45 ms a run */
  if (g->m < PACK_ROWS || self->algorithm != LAYER_ALGORITHM_AUTO || self->trans_a ||
      self->alpha != 1.0f ||
      (g->bias != BIAS_NONE && (g->bias != BIAS_COLUMN || self->beta != 1.0f)))
    return FALSE;
  LayerEltwise activation;
  gboolean activated = layer_activation_post_op (self->activation_op, &activation);
  const LinearParams p = {
    g->m, g->k, g->n, self->weights, self->trans_b, g->bias == BIAS_COLUMN ? self->bias : NULL,
    self->clamp_min, self->clamp_max, activated ? &activation : NULL,
  };
  return onednn_linear_ensure (&self->onednn, &p);
}

/* oneDNN's matmul where it computes the whole op: FALSE (nothing done,
 * no error) where it does not; FALSE with @error where it fails. */
static gboolean
linear_run_onednn (CnnfiltLinear *self, const Gemm *g, const gfloat *a, gfloat *y,
                   gboolean *done, GError **error)
{
  *done = linear_onednn_ready (self, g);
  return !*done || onednn_linear_run (self->onednn, a, y, error);
}

/* NCHW only. The graph asks while it plans, before it allocates its
 * buffers: the moment to pack the weights, when the plain and packed
 * copies side by side do not come on top of the activations (VGG-16 at
 * batch 8: 1499 MB at the peak when the classifier packed at its first
 * run). */
static CnnfiltLayoutSupport
cnnfilt_linear_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  CnnfiltLinear *self = (CnnfiltLinear *) op;
  Gemm g;
  if (self->weights != NULL && linear_plan (self, &inputs[0], &g, NULL))
    linear_onednn_ready (self, &g);
  return CNNFILT_LAYOUT_SUPPORT_NCHW;
}

/* The product without bias: plain loops, or sgemm. */
static void
linear_product (CnnfiltLinear *self, const Gemm *g, const gfloat *a, gfloat *y)
{
  const gfloat *b = cnnfilt_tensor_get_data (self->weights, NULL);
  if (self->algorithm == LAYER_ALGORITHM_REFERENCE)
    for (guint i = 0; i < g->m; i++)
      for (guint j = 0; j < g->n; j++)
        {
          gdouble sum = 0;
          for (guint k = 0; k < g->k; k++)
            sum += (gdouble) a[self->trans_a ? (gsize) k * g->m + i : (gsize) i * g->k + k] *
                   b[self->trans_b ? (gsize) j * g->k + k : (gsize) k * g->n + j];
          y[(gsize) i * g->n + j] = (gfloat) (self->alpha * sum);
        }
  else if (self->trans_b && g->m >= PACK_ROWS && linear_pack (self, g))
    onednn_sgemm (self->trans_a, FALSE, g->m, g->n, g->k, self->alpha, a,
                  self->trans_a ? g->m : g->k, self->packed, g->n, 0.0f, y, g->n);
  else
    onednn_sgemm (self->trans_a, self->trans_b, g->m, g->n, g->k, self->alpha, a,
                  self->trans_a ? g->m : g->k, b, self->trans_b ? g->k : g->n, 0.0f, y, g->n);
}

/* The bias and the clamp, in one pass over the product. */
static void
linear_bias_clamp (CnnfiltLinear *self, const Gemm *g, gfloat *y)
{
  const gfloat *c = self->bias ? cnnfilt_tensor_get_data (self->bias, NULL) : NULL;
  gfloat lo = self->clamp_min, hi = self->clamp_max;
  if (g->bias == BIAS_NONE && lo == -INFINITY && hi == INFINITY)
    return;
  for (guint i = 0; i < g->m; i++)
    for (guint j = 0; j < g->n; j++)
      {
        gfloat v = g->bias == BIAS_NONE   ? 0.0f
                 : g->bias == BIAS_SCALAR ? c[0]
                 : g->bias == BIAS_COLUMN ? c[j]
                 : g->bias == BIAS_ROW    ? c[i]
                                          : c[(gsize) i * g->n + j];
        gfloat *out = &y[(gsize) i * g->n + j];
        *out = CLAMP (*out + self->beta * v, lo, hi);
      }
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
  gfloat *y = cnnfilt_tensor_get_data (output, NULL);
  gboolean done;
  if (!linear_run_onednn (self, &g, a, y, &done, error))
    return FALSE;
  LayerEltwise post_op; /* applied as the kernel wrote, or to apply now */
  if (done)
    return layer_activation_post_op (self->activation_op, &post_op) ||
           layer_activate (self->activation_op, ctx, output, FALSE, error);
  linear_product (self, &g, a, y);
  linear_bias_clamp (self, &g, y);
  return layer_activate (self->activation_op, ctx, output, FALSE, error);
}

/* 2·K per output value, one more with a bias */
static guint64
cnnfilt_linear_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      const CnnfiltShape *output)
{
  CnnfiltLinear *self = (CnnfiltLinear *) op;
  Gemm g;
  if (self->weights == NULL || !linear_plan (self, &inputs[0], &g, NULL))
    return 0;
  return (guint64) g.m * g.n * (2 * (guint64) g.k + (self->bias != NULL));
}

/* A following relu or clip becomes the clamp, a point op oneDNN has the
 * activation; nothing folds in after the activation. */
static CnnfiltOp *
cnnfilt_linear_fuse (CnnfiltOp *op, CnnfiltOp *next)
{
  CnnfiltLinear *self = (CnnfiltLinear *) op;
  if (self->weights == NULL || self->algorithm == LAYER_ALGORITHM_REFERENCE ||
      self->activation_op != NULL)
    return NULL;
  LayerEltwise e;
  if (layer_point_op_get_eltwise (next, &e))
    return layer_fuse_activation (op, next);
  return layer_fuse_clamp (op, self->clamp_min, self->clamp_max, next);
}

/* A row of features per sample (axis 0 or 1) sees the whole input; over
 * the last dims (tokens, channels-last values) each output reads its own
 * place. */
static gboolean
cnnfilt_linear_window (CnnfiltOp *op, CnnfiltOpWindow *window)
{
  return ((CnnfiltLinear *) op)->axis <= 1 && layer_window_global (op, window);
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
    CNNFILT_KERNEL_FLOAT (self->clamp_min), CNNFILT_KERNEL_FLOAT (self->clamp_max),
  };
  /* tiles of 4×4 (linear.cl's IB and JB) */
  CnnfiltKernelLaunch launch = { source, NULL, "linear", 2, { (g.n + 3) / 4, (g.m + 3) / 4 } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error) &&
         layer_activate (self->activation_op, ctx, output, TRUE, error);
}

static void
cnnfilt_linear_class_init (CnnfiltLinearClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_linear_finalize;
  op_class->changed = cnnfilt_linear_changed;
  op_class->flops = cnnfilt_linear_flops;
  op_class->layouts = cnnfilt_linear_layouts;
  op_class->window = cnnfilt_linear_window;
  op_class->name = "linear";
  op_class->example = "global-avg-pool ! linear weights=fc.npy bias=b.npy ! softmax";
  op_class->description = "Fully connected layer: alpha·x·Wᵀ + beta·bias over the dims from "
                          "axis on, fused ReLU/clip and activation (ONNX Gemm)";
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
  op_class->fuse = cnnfilt_linear_fuse;
  cnnfilt_op_class_install_properties (op_class, linear_props, G_N_ELEMENTS (linear_props));
}

LAYER_NO_INIT (CnnfiltLinear, cnnfilt_linear)
