/* prelu.c: leaky ReLU with learned slopes
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! prelu slope=a.npy' -o out/ in/
 *
 * y = x where x >= 0, slope·x below. The slope broadcasts against the input
 * (each of its dims equal to the input's or 1): one value, one per channel
 * (shape 1×C×1×1) or one per element. A plain vector of C values (shape
 * C×1×1×1, as PyTorch's PReLU stores it) is read as one per channel.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  CnnfiltTensor *slope;
} CnnfiltPrelu;

typedef CnnfiltOpClass CnnfiltPreluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltPrelu, cnnfilt_prelu, CNNFILT_TYPE_OP)

static const CnnfiltOpProp prelu_props[] = {
  { "slope", "Slopes for negative inputs, broadcast against the input (.npy)", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltPrelu, slope), 0, 0, 0, NULL, { 0 } },
};

static gboolean
cnnfilt_prelu_validate (CnnfiltOp *op, GError **error)
{
  return layer_require_tensor (op, ((CnnfiltPrelu *) op)->slope, "slope", error);
}

/* The slope's shape as it broadcasts against an input of c channels. */
static void
slope_shape (CnnfiltPrelu *self, guint c, CnnfiltShape *shape)
{
  cnnfilt_tensor_get_shape (self->slope, shape);
  if (shape->n == c && c > 1 && shape->c == 1 && shape->h == 1 && shape->w == 1)
    shape->n = 1, shape->c = c;
}

static gboolean
cnnfilt_prelu_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                     CnnfiltShape *output, GError **error)
{
  CnnfiltShape slope, both;
  slope_shape ((CnnfiltPrelu *) op, inputs[0].c, &slope);
  if (!layer_broadcast_shape (&inputs[0], &slope, &both, error) ||
      !cnnfilt_shape_equal (&both, &inputs[0]))
    {
      g_autofree gchar *s = cnnfilt_shape_to_string (&slope);
      g_clear_error (error);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "prelu: the slope (%s) does not broadcast to the input", s);
      return FALSE;
    }
  *output = inputs[0];
  return TRUE;
}

static gboolean
cnnfilt_prelu_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                   GError **error)
{
  CnnfiltShape in, s;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  slope_shape ((CnnfiltPrelu *) op, in.c, &s);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  const gfloat *a = cnnfilt_tensor_get_data (((CnnfiltPrelu *) op)->slope, NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  gsize i = 0;
  for (guint n = 0; n < in.n; n++)
    for (guint c = 0; c < in.c; c++)
      for (guint y = 0; y < in.h; y++)
        {
          const gfloat *row = a + ((((gsize) (s.n > 1 ? n : 0) * s.c + (s.c > 1 ? c : 0)) * s.h +
                                    (s.h > 1 ? y : 0)) * s.w);
          for (guint x = 0; x < in.w; x++, i++)
            {
              gfloat v = src[i];
              dst[i] = v >= 0.0f ? v : row[s.w > 1 ? x : 0] * v;
            }
        }
  return TRUE;
}

static gboolean
cnnfilt_prelu_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                      CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                      GError **error)
{
  CnnfiltShape s;
  slope_shape ((CnnfiltPrelu *) op, cnnfilt_tensor_get_c (inputs[0]), &s);
  return layer_broadcast_run_cl (op, ctx, inputs[0], ((CnnfiltPrelu *) op)->slope, &s, output,
                                 LAYER_BROADCAST_PRELU, -INFINITY, INFINITY, error);
}

static void
cnnfilt_prelu_class_init (CnnfiltPreluClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "prelu";
  op_class->example = "conv2d weights=w.npy ! prelu slope=a.npy";
  op_class->description = "Parametric ReLU: x where x >= 0, slope·x below, slopes learned";
  op_class->onnx_op_type = "PRelu";
  /* before opset 7 the slope is per channel (or one value), not numpy-broadcast */
  op_class->onnx_inputs = "- slope^1@-6|slope^";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_prelu_validate;
  op_class->infer = cnnfilt_prelu_infer;
  op_class->run = cnnfilt_prelu_run;
  op_class->run_cl = cnnfilt_prelu_run_cl;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), prelu_props, G_N_ELEMENTS (prelu_props));
}

LAYER_NO_INIT (CnnfiltPrelu, cnnfilt_prelu)
