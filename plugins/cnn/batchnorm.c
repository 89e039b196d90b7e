/* batchnorm.c: batch normalization at inference
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! batchnorm scale=g.npy bias=b.npy mean=m.npy var=v.npy'
 *
 * y = (x − mean) / sqrt(var + epsilon) · scale + bias, per channel, with the
 * running statistics of training. After a conv2d it costs nothing: the
 * graph folds it into the convolution's weights (see conv2d.c). Elsewhere
 * (DenseNet's pre-activation batchnorms after a concat) a following relu
 * or clip is applied as it writes.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  CnnfiltTensor *scale, *bias, *mean, *var;
  gfloat epsilon;
  gfloat clamp_min, clamp_max;
} CnnfiltBatchnorm;

typedef CnnfiltOpClass CnnfiltBatchnormClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltBatchnorm, cnnfilt_batchnorm, CNNFILT_TYPE_OP)

static const CnnfiltOpProp batchnorm_props[] = {
  { "scale", "Per-channel scale gamma, C values (.npy)", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltBatchnorm, scale), 0, 0, 0, NULL, { 0 } },
  { "bias", "Per-channel shift beta, C values (.npy)", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltBatchnorm, bias), 0, 0, 0, NULL, { 0 } },
  /* running statistics: state, not learned parameters */
  { "mean", "Running mean, C values (.npy)", CNNFILT_OP_PROP_TENSOR, CNNFILT_OP_PROP_FIELD (CnnfiltBatchnorm, mean),
    0, 0, 0, NULL, { 0 }, NULL, CNNFILT_OP_PROP_FLAGS_BUFFER },
  { "var", "Running variance, C values (.npy)", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltBatchnorm, var), 0, 0, 0, NULL, { 0 }, NULL, CNNFILT_OP_PROP_FLAGS_BUFFER },
  { "epsilon", "Added to the variance", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltBatchnorm, epsilon), 0,
    1, 1e-5, NULL, { 0 } },
  LAYER_CLAMP_PROPS (CnnfiltBatchnorm),
};

static gboolean
cnnfilt_batchnorm_validate (CnnfiltOp *op, GError **error)
{
  CnnfiltBatchnorm *self = (CnnfiltBatchnorm *) op;
  return layer_require_tensor (op, self->scale, "scale", error) &&
         layer_require_tensor (op, self->bias, "bias", error) &&
         layer_require_tensor (op, self->mean, "mean", error) &&
         layer_require_tensor (op, self->var, "var", error);
}

static gboolean
cnnfilt_batchnorm_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                         CnnfiltShape *output, GError **error)
{
  CnnfiltBatchnorm *self = (CnnfiltBatchnorm *) op;
  CnnfiltTensor *params[] = { self->scale, self->bias, self->mean, self->var };
  static const gchar *names[] = { "scale", "bias", "mean", "var" };
  for (guint i = 0; i < G_N_ELEMENTS (params); i++)
    if (cnnfilt_tensor_get_size (params[i]) != inputs[0].c)
      {
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                     "batchnorm: %s has %" G_GSIZE_FORMAT " values for %u channels", names[i],
                     cnnfilt_tensor_get_size (params[i]), inputs[0].c);
        return FALSE;
      }
  *output = inputs[0];
  return TRUE;
}

static gboolean
cnnfilt_batchnorm_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                       CnnfiltTensor **inputs, guint n_inputs,
                       CnnfiltTensor *output, GError **error)
{
  CnnfiltBatchnorm *self = (CnnfiltBatchnorm *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  const gfloat *g = cnnfilt_tensor_get_data (self->scale, NULL);
  const gfloat *b = cnnfilt_tensor_get_data (self->bias, NULL);
  const gfloat *m = cnnfilt_tensor_get_data (self->mean, NULL);
  const gfloat *v = cnnfilt_tensor_get_data (self->var, NULL);
  gsize plane = (gsize) in.h * in.w;
  g_autofree gfloat *scale = g_new (gfloat, in.c);
  g_autofree gfloat *shift = g_new (gfloat, in.c);
  for (guint c = 0; c < in.c; c++)
    {
      scale[c] = (gfloat) (g[c] / sqrt ((gdouble) v[c] + self->epsilon));
      shift[c] = b[c] - m[c] * scale[c];
    }
  const gfloat lo = self->clamp_min, hi = self->clamp_max;
  const guint channels = in.c;
  CnnfiltLayout in_layout = cnnfilt_tensor_get_layout (inputs[0]);
  CnnfiltLayout out_layout = cnnfilt_tensor_get_layout (output);
  if (in_layout == CNNFILT_LAYOUT_NHWC && out_layout == CNNFILT_LAYOUT_NHWC)
    {
      /* channels last: the channel cycles along each pixel's run */
      const gsize pixels = (gsize) in.n * plane;
      for (gsize p = 0; p < pixels; p++)
        {
          const gfloat *restrict x = src + p * channels;
          gfloat *restrict y = dst + p * channels;
          for (guint c = 0; c < channels; c++)
            y[c] = CLAMP (x[c] * scale[c] + shift[c], lo, hi);
        }
      return TRUE;
    }
  for (guint n = 0; n < in.n; n++)
    for (guint c = 0; c < channels; c++)
      for (gsize i = 0; i < plane; i++)
        {
          /* NCHW, or one side channels-last (at the edge of a region) */
          gsize nchw = ((gsize) n * channels + c) * plane + i;
          gsize nhwc = ((gsize) n * plane + i) * channels + c;
          dst[out_layout == CNNFILT_LAYOUT_NHWC ? nhwc : nchw] =
              CLAMP (src[in_layout == CNNFILT_LAYOUT_NHWC ? nhwc : nchw] * scale[c] + shift[c], lo, hi);
        }
  return TRUE;
}

/* Either layout in and out: DenseNet's pre-activation batchnorms sit
 * between concats and convolutions. */
static CnnfiltLayoutSupport
cnnfilt_batchnorm_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return CNNFILT_LAYOUT_SUPPORT_INPUT | CNNFILT_LAYOUT_SUPPORT_OUTPUT;
}

static CnnfiltOp *
cnnfilt_batchnorm_fuse (CnnfiltOp *op, CnnfiltOp *next)
{
  CnnfiltBatchnorm *self = (CnnfiltBatchnorm *) op;
  return layer_fuse_clamp (op, self->clamp_min, self->clamp_max, next);
}

static gboolean
cnnfilt_batchnorm_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                   GError **error)
{
  CnnfiltBatchnorm *self = (CnnfiltBatchnorm *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/batchnorm.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  g_autoptr (CnnfiltTensor) scale_shift = cnnfilt_tensor_new (1, 1, 2, in.c, error);
  if (scale_shift == NULL)
    return FALSE;
  const gfloat *g = cnnfilt_tensor_get_data (self->scale, NULL);
  const gfloat *b = cnnfilt_tensor_get_data (self->bias, NULL);
  const gfloat *m = cnnfilt_tensor_get_data (self->mean, NULL);
  const gfloat *v = cnnfilt_tensor_get_data (self->var, NULL);
  gfloat *ss = cnnfilt_tensor_get_data (scale_shift, NULL);
  for (guint c = 0; c < in.c; c++)
    {
      /* as the CPU run computes them */
      ss[c] = (gfloat) (g[c] / sqrt ((gdouble) v[c] + self->epsilon));
      ss[in.c + c] = b[c] - m[c] * ss[c];
    }
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_IN (scale_shift),
    CNNFILT_KERNEL_INT (in.c), CNNFILT_KERNEL_INT (in.h * in.w),
    CNNFILT_KERNEL_FLOAT (self->clamp_min), CNNFILT_KERNEL_FLOAT (self->clamp_max),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "batchnorm", 2,
                                 { (gsize) in.h * in.w, (gsize) in.n * in.c } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_batchnorm_class_init (CnnfiltBatchnormClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "batchnorm";
  op_class->example = "conv2d weights=w.npy ! batchnorm scale=g.npy bias=b.npy mean=m.npy var=v.npy";
  op_class->description = "Batch normalization with running statistics (inference); folded "
                          "into a preceding conv2d";
  op_class->onnx_op_type = "BatchNormalization";
  op_class->onnx_inputs = "- scale bias mean var";
  /* is_test (opsets 1-6) defaults to training, whose output this is not */
  op_class->onnx_attributes = "epsilon:epsilon momentum: training_mode@14-:0 spatial@-8:1 "
                              "is_test@-6=0:1";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_batchnorm_validate;
  op_class->infer = cnnfilt_batchnorm_infer;
  op_class->run = cnnfilt_batchnorm_run;
  op_class->run_cl = cnnfilt_batchnorm_run_cl;
  op_class->layouts = cnnfilt_batchnorm_layouts;
  op_class->fuse = cnnfilt_batchnorm_fuse;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), batchnorm_props, G_N_ELEMENTS (batchnorm_props));
}

LAYER_NO_INIT (CnnfiltBatchnorm, cnnfilt_batchnorm)
