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
 * models only where the axis is the last dim, where the two agree. The
 * loop and the kernel are softmax's (softmax.h).
 */
#include "softmax.h"

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

static gboolean
cnnfilt_log_softmax_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                         guint n_inputs, CnnfiltTensor *output, GError **error)
{
  softmax_run (((CnnfiltLogSoftmax *) op)->axis, TRUE, inputs[0], output, ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_log_softmax_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                            guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return softmax_run_cl (op, ctx, ((CnnfiltLogSoftmax *) op)->axis, TRUE, inputs[0], output,
                         error);
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
