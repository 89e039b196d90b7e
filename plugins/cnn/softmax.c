/* softmax.c: exponentials normalized to sum to one along an axis
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'global-avg-pool ! linear weights=fc.npy ! softmax' -o out/ in/
 *
 * exp(x − max) / Σ exp(x − max) along one dim; the largest value is taken
 * off first so that large logits do not overflow. The loop and the kernel
 * are shared with log-softmax (softmax.h).
 */
#include "softmax.h"

#include "vector-exp.h"

#include <math.h>
#include <string.h>

typedef struct {
  CnnfiltOp parent_instance;
  gint axis;
} CnnfiltSoftmax;

typedef CnnfiltOpClass CnnfiltSoftmaxClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSoftmax, cnnfilt_softmax, CNNFILT_TYPE_OP)

static const CnnfiltOpProp softmax_props[] = {
  { "axis", "The dim normalized over (0 n, 1 c: the classes, 2 h, 3 w)", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (CnnfiltSoftmax, axis), 0, 3, 1, NULL, { 0 } },
};

/* The dims of @shape around @axis: lines of @len values, @inner apart. */
static void
softmax_lines (const CnnfiltShape *shape, gint axis, gsize *outer, gsize *len, gsize *inner)
{
  const guint d[4] = { shape->n, shape->c, shape->h, shape->w };
  *outer = *inner = 1;
  *len = d[axis];
  for (gint i = 0; i < 4; i++)
    {
      if (i < axis)
        *outer *= d[i];
      else if (i > axis)
        *inner *= d[i];
    }
}

/* One line of @len values, @inner apart: lines along the last dim (a
 * transformer's attention) run as vectors, made for AVX-512 and AVX2. */
__attribute__ ((target_clones ("avx512f", "avx2", "default"))) static void
softmax_line (const gfloat *x, gfloat *y, gsize len, gsize inner)
{
  gfloat top = -INFINITY;
  gdouble sum = 0;
  if (inner == 1)
    {
      /* the max and the sum in 16 lanes, which the compiler keeps in
       * vectors (a dozen values each in an attention line); the sum then
       * in double */
      gfloat lanes[16];
      for (guint j = 0; j < 16; j++)
        lanes[j] = -INFINITY;
      gsize rest = 0;
      for (; rest + 16 <= len; rest += 16)
        for (guint j = 0; j < 16; j++)
          lanes[j] = MAX (lanes[j], x[rest + j]);
      for (; rest < len; rest++)
        top = MAX (top, x[rest]);
      for (guint j = 0; j < 16; j++)
        top = MAX (top, lanes[j]);
      for (gsize k = 0; k < len; k++)
        y[k] = layer_exp_nonpositive (x[k] - top);
      for (guint j = 0; j < 16; j++)
        lanes[j] = 0;
      for (rest = 0; rest + 16 <= len; rest += 16)
        for (guint j = 0; j < 16; j++)
          lanes[j] += y[rest + j];
      for (; rest < len; rest++)
        sum += y[rest];
      for (guint j = 0; j < 16; j++)
        sum += lanes[j];
      const gfloat scale = (gfloat) (1.0 / sum);
      for (gsize k = 0; k < len; k++)
        y[k] *= scale;
      return;
    }
  for (gsize k = 0; k < len; k++)
    top = MAX (top, x[k * inner]);
  for (gsize k = 0; k < len; k++)
    {
      y[k * inner] = layer_exp_nonpositive (x[k * inner] - top);
      sum += y[k * inner];
    }
  const gfloat scale = (gfloat) (1.0 / sum);
  for (gsize k = 0; k < len; k++)
    y[k * inner] *= scale;
}

/* log-softmax of one line: the sum in double, so that the log keeps every
 * digit */
static void
log_softmax_line (const gfloat *x, gfloat *y, gsize len, gsize inner)
{
  gfloat top = -INFINITY;
  for (gsize k = 0; k < len; k++)
    top = MAX (top, x[k * inner]);
  gdouble sum = 0;
  for (gsize k = 0; k < len; k++)
    sum += exp ((gdouble) x[k * inner] - top);
  /* all −∞ (or +∞ at the top): x − top is NaN, as ONNX's reference */
  const gdouble offset = top + log (sum);
  for (gsize k = 0; k < len; k++)
    y[k * inner] = (gfloat) (x[k * inner] - offset);
}

void
softmax_run (gint axis, gboolean log_of, CnnfiltTensor *input, CnnfiltTensor *output,
             guint n_threads)
{
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (input, &in);
  gsize outer, len, inner;
  softmax_lines (&in, axis, &outer, &len, &inner);
  const gfloat *src = cnnfilt_tensor_get_data (input, NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  const gsize lines = outer * inner;
  /* lines on the run's threads where there are values enough (a ViT's
   * attention: 12 heads × 197 lines of 197 an image) */
  const gboolean parallel = n_threads > 1 && lines > 1 &&
                            cnnfilt_shape_get_size (&in) >= LAYER_PARALLEL_MIN_VALUES;
#pragma omp parallel for num_threads (n_threads) if (parallel) schedule (static)
  for (gsize line = 0; line < lines; line++)
    {
      const gsize o = line / inner, i = line % inner;
      const gsize at = o * len * inner + i;
      if (log_of)
        log_softmax_line (src + at, dst + at, len, inner);
      else
        softmax_line (src + at, dst + at, len, inner);
    }
}

gboolean
softmax_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, gint axis, gboolean log_of,
                CnnfiltTensor *input, CnnfiltTensor *output, GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/softmax.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (input, &in);
  gsize outer, len, inner;
  softmax_lines (&in, axis, &outer, &len, &inner);
  gsize lines = outer * inner;
  if (cnnfilt_shape_get_size (&in) > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: more values than one OpenCL launch takes",
                   log_of ? "log-softmax" : "softmax");
      return FALSE;
    }
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (input), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (len),
    CNNFILT_KERNEL_INT (inner), CNNFILT_KERNEL_INT (lines),
  };
  CnnfiltKernelLaunch launch = { source, log_of ? "-DLOG_SOFTMAX" : NULL, "softmax", 1,
                                 { lines } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static gboolean
cnnfilt_softmax_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                     CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                     GError **error)
{
  softmax_run (((CnnfiltSoftmax *) op)->axis, FALSE, inputs[0], output, ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_softmax_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                        CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                        GError **error)
{
  return softmax_run_cl (op, ctx, ((CnnfiltSoftmax *) op)->axis, FALSE, inputs[0], output,
                         error);
}

static void
cnnfilt_softmax_class_init (CnnfiltSoftmaxClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "softmax";
  op_class->example = "global-avg-pool ! linear weights=fc.npy ! softmax";
  op_class->description = "Softmax along one axis: probabilities from logits";
  op_class->onnx_op_type = "Softmax";
  op_class->onnx_attributes = "axis=-1:axis";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_op_infer_same_shape;
  op_class->run = cnnfilt_softmax_run;
  op_class->run_cl = cnnfilt_softmax_run_cl;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), softmax_props, G_N_ELEMENTS (softmax_props));
}

LAYER_NO_INIT (CnnfiltSoftmax, cnnfilt_softmax)
