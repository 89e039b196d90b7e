/* instance-norm.c: instance normalization, as ONNX's InstanceNormalization
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! instance-norm scale=g.npy bias=b.npy ! relu' -o out/ in/
 *
 * Each plane (one image's channel, its h × w values) is normalized with its
 * own statistics, y = scale_c · (x − mean) / √(var + epsilon) + bias_c,
 * the variance the population's (divided by h·w), as style-transfer and
 * GAN generators normalize. Unlike batchnorm there are no running
 * statistics: the mean and variance are the input's, taken in double in
 * two passes (the mean, then the squares about it), so that a plane far
 * from zero keeps its spread. Planes are independent: large inputs are
 * shared among the run's threads, a plane each at a time. The statistics
 * and the kernel are shared with layer-norm (norm.h).
 */
#include "norm.h"

/* Below this many values, one thread: starting more costs more. */
#define THREADED_SIZE (1 << 16)

typedef struct {
  CnnfiltOp parent_instance;
  CnnfiltTensor *scale, *bias;
  gfloat epsilon;
} CnnfiltInstanceNorm;

typedef CnnfiltOpClass CnnfiltInstanceNormClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltInstanceNorm, cnnfilt_instance_norm, CNNFILT_TYPE_OP)

static const CnnfiltOpProp instance_norm_props[] = {
  { "scale", "Per-channel scale, C values (.npy); optional: 1", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltInstanceNorm, scale), 0, 0, 0, NULL, { 0 } },
  { "bias", "Per-channel shift, C values (.npy); optional: 0", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltInstanceNorm, bias), 0, 0, 0, NULL, { 0 } },
  { "epsilon", "Added to each plane's variance", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltInstanceNorm, epsilon), 0, 1, 1e-5, NULL, { 0 } },
};

static gboolean
cnnfilt_instance_norm_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                             CnnfiltShape *output, GError **error)
{
  CnnfiltInstanceNorm *self = (CnnfiltInstanceNorm *) op;
  CnnfiltTensor *params[] = { self->scale, self->bias };
  static const gchar *names[] = { "scale", "bias" };
  for (guint i = 0; i < G_N_ELEMENTS (params); i++)
    if (params[i] != NULL && cnnfilt_tensor_get_size (params[i]) != inputs[0].c)
      {
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                     "instance-norm: %s has %" G_GSIZE_FORMAT " values for %u channels", names[i],
                     cnnfilt_tensor_get_size (params[i]), inputs[0].c);
        return FALSE;
      }
  *output = inputs[0];
  return TRUE;
}

/* The values of @param, or NULL where it is not set. */
static const gfloat *
param_values (CnnfiltTensor *param)
{
  return param != NULL ? cnnfilt_tensor_get_data (param, NULL) : NULL;
}

static gboolean
cnnfilt_instance_norm_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                           guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltInstanceNorm *self = (CnnfiltInstanceNorm *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const gsize plane = (gsize) in.h * in.w;
  const gint64 planes = (gint64) in.n * in.c;
  const guint channels = in.c;
  const gfloat epsilon = self->epsilon;
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  const gfloat *scale = param_values (self->scale), *bias = param_values (self->bias);
  const gint threads = planes * plane >= THREADED_SIZE ? (gint) MIN ((gint64) ctx->n_threads, planes)
                                                       : 1;
#pragma omp parallel for num_threads (threads) schedule (static) if (threads > 1)
  for (gint64 p = 0; p < planes; p++)
    {
      const gfloat *x = src + p * plane;
      gfloat *y = dst + p * plane;
      gdouble mean, inv;
      norm_statistics (x, plane, epsilon, &mean, &inv);
      const guint c = p % channels;
      const gfloat a = (gfloat) ((scale ? scale[c] : 1) * inv), m = (gfloat) mean;
      const gfloat b = bias ? bias[c] : 0;
      for (gsize i = 0; i < plane; i++)
        y[i] = (x[i] - m) * a + b;
    }
  return TRUE;
}

static gboolean
cnnfilt_instance_norm_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                              guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltInstanceNorm *self = (CnnfiltInstanceNorm *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/norm.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const gsize plane = (gsize) in.h * in.w, planes = (gsize) in.n * in.c;
  if (cnnfilt_shape_get_size (&in) > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "instance-norm: more values than one OpenCL launch takes");
      return FALSE;
    }
  /* the scale and bias of every channel, defaults filled in by the host */
  g_autoptr (CnnfiltTensor) params = cnnfilt_tensor_new (1, 1, 2, in.c, error);
  if (params == NULL)
    return FALSE;
  gfloat *p = cnnfilt_tensor_get_data (params, NULL);
  const gfloat *scale = param_values (self->scale), *bias = param_values (self->bias);
  for (guint c = 0; c < in.c; c++)
    {
      p[c] = scale ? scale[c] : 1;
      p[in.c + c] = bias ? bias[c] : 0;
    }
  const gsize group = norm_group_size (ctx, plane);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_IN (params),
    CNNFILT_KERNEL_INT (in.c), CNNFILT_KERNEL_INT (plane), CNNFILT_KERNEL_FLOAT (self->epsilon),
    CNNFILT_KERNEL_LOCAL (group * sizeof (gdouble)), /* room for either sum type */
  };
  CnnfiltKernelLaunch launch = { source, NULL, "instance_norm", 1, { group * planes }, { group } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_instance_norm_class_init (CnnfiltInstanceNormClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 6; /* a sum, a difference and its square, then a scale and shift */
  op_class->name = "instance-norm";
  op_class->example = "conv2d weights=w.npy ! instance-norm scale=g.npy bias=b.npy ! relu";
  op_class->description = "Instance normalization: each plane (an image's channel) to mean 0 "
                          "and variance 1 with its own statistics, then scaled and shifted per "
                          "channel";
  op_class->onnx_op_type = "InstanceNormalization";
  /* opset 1's consumed_inputs is not listed, so refused */
  op_class->onnx_inputs = "- scale bias";
  op_class->onnx_attributes = "epsilon:epsilon";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_instance_norm_infer;
  op_class->run = cnnfilt_instance_norm_run;
  op_class->run_cl = cnnfilt_instance_norm_run_cl;
  cnnfilt_op_class_install_properties (op_class, instance_norm_props,
                                       G_N_ELEMENTS (instance_norm_props));
}

LAYER_NO_INIT (CnnfiltInstanceNorm, cnnfilt_instance_norm)
