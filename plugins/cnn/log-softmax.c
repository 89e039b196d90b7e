/* log-softmax.c: the logarithm of softmax along an axis, as ONNX's LogSoftmax
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'global-avg-pool ! linear weights=fc.npy ! log-softmax' -o out/ in/
 *
 * x − max − log Σ exp(x − max) along one dim: the largest value is taken
 * off first, so that large logits neither overflow nor lose the small
 * differences between them, and the log of the sum is taken once rather
 * than of each probability, so that tiny probabilities do not round to 0
 * and then to −∞. The sum is taken in double. Before opset 13, ONNX's
 * LogSoftmax flattens the dims from its axis on; the importer takes those
 * models only where the axis is the last dim, where the two agree.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  gint axis;
} CnnfiltLogSoftmax;

typedef CnnfiltOpClass CnnfiltLogSoftmaxClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLogSoftmax, cnnfilt_log_softmax, CNNFILT_TYPE_OP)

static const CnnfiltOpProp log_softmax_props[] = {
  { "axis", "The dim normalized over (0 n, 1 c: the classes, 2 h, 3 w)", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (CnnfiltLogSoftmax, axis), 0, 3, 1, NULL, { 0 } },
};

/* The dims of @shape around @axis: lines of @len values, @inner apart. */
static void
log_softmax_lines (const CnnfiltShape *shape, gint axis, gsize *outer, gsize *len, gsize *inner)
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

static gboolean
cnnfilt_log_softmax_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                         guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  gsize outer, len, inner;
  log_softmax_lines (&in, ((CnnfiltLogSoftmax *) op)->axis, &outer, &len, &inner);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  for (gsize o = 0; o < outer; o++)
    for (gsize i = 0; i < inner; i++)
      {
        const gfloat *x = src + o * len * inner + i;
        gfloat *y = dst + o * len * inner + i;
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
  return TRUE;
}

static gboolean
cnnfilt_log_softmax_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                            guint n_inputs, CnnfiltTensor *output, GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/log-softmax.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  gsize outer, len, inner;
  log_softmax_lines (&in, ((CnnfiltLogSoftmax *) op)->axis, &outer, &len, &inner);
  gsize lines = outer * inner;
  if (cnnfilt_shape_get_size (&in) > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "log-softmax: more values than one OpenCL launch takes");
      return FALSE;
    }
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (len),
    CNNFILT_KERNEL_INT (inner), CNNFILT_KERNEL_INT (lines),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "log_softmax", 1, { lines } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_log_softmax_class_init (CnnfiltLogSoftmaxClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 4; /* a max, a subtraction, an exp and a sum per value */
  op_class->name = "log-softmax";
  op_class->example = "global-avg-pool ! linear weights=fc.npy ! log-softmax";
  op_class->description = "Log-softmax along one axis: log-probabilities from logits, "
                          "x − max − log Σ exp(x − max)";
  op_class->onnx_op_type = "LogSoftmax";
  op_class->onnx_attributes = "axis=-1:axis";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_op_infer_same_shape;
  op_class->run = cnnfilt_log_softmax_run;
  op_class->run_cl = cnnfilt_log_softmax_run_cl;
  cnnfilt_op_class_install_properties (op_class, log_softmax_props,
                                       G_N_ELEMENTS (log_softmax_props));
}

LAYER_NO_INIT (CnnfiltLogSoftmax, cnnfilt_log_softmax)
