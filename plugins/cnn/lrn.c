/* lrn.c: local response normalization across channels (AlexNet)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! relu ! lrn size=5 bias=2' -o out/ in/
 *
 * y = x / (bias + alpha/size · Σ x²)^beta, the sum over the channels
 * c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉ that exist, as ONNX defines it (and
 * PyTorch for odd sizes).
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  gint size;
  gfloat alpha, beta, bias;
} CnnfiltLrn;

typedef CnnfiltOpClass CnnfiltLrnClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLrn, cnnfilt_lrn, CNNFILT_TYPE_OP)

static const CnnfiltOpProp lrn_props[] = {
  { "size", "Channels summed over", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltLrn, size), 1, 1 << 16, 5,
    NULL, { 0 } },
  { "alpha", "Scale of the sum (divided by size)", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltLrn, alpha),
    -G_MAXFLOAT, G_MAXFLOAT, 1e-4, NULL, { 0 } },
  { "beta", "Exponent", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltLrn, beta), -G_MAXFLOAT, G_MAXFLOAT,
    0.75, NULL, { 0 } },
  { "bias", "Added before the power (k)", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltLrn, bias),
    -G_MAXFLOAT, G_MAXFLOAT, 1.0, NULL, { 0 } },
};

static gboolean
cnnfilt_lrn_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                 CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                 GError **error)
{
  CnnfiltLrn *self = (CnnfiltLrn *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  gsize plane = (gsize) in.h * in.w;
  gint before = (self->size - 1) / 2, after = self->size / 2;
  const gdouble scale = (gdouble) self->alpha / self->size;
  for (guint n = 0; n < in.n; n++)
    for (guint c = 0; c < in.c; c++)
      {
        gint c0 = MAX ((gint) c - before, 0), c1 = MIN ((gint) c + after, (gint) in.c - 1);
        const gfloat *x = src + ((gsize) n * in.c + c) * plane;
        gfloat *y = dst + ((gsize) n * in.c + c) * plane;
        for (gsize i = 0; i < plane; i++)
          {
            gdouble sum = 0;
            for (gint k = c0; k <= c1; k++)
              {
                gdouble v = src[((gsize) n * in.c + k) * plane + i];
                sum += v * v;
              }
            y[i] = (gfloat) (x[i] / pow (self->bias + scale * sum, self->beta));
          }
      }
  return TRUE;
}

static gboolean
cnnfilt_lrn_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                   GError **error)
{
  CnnfiltLrn *self = (CnnfiltLrn *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/lrn.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (in.c),
    CNNFILT_KERNEL_INT (in.h * in.w), CNNFILT_KERNEL_INT (self->size),
    CNNFILT_KERNEL_FLOAT (self->alpha), CNNFILT_KERNEL_FLOAT (self->beta),
    CNNFILT_KERNEL_FLOAT (self->bias),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "lrn", 2, { (gsize) in.h * in.w, (gsize) in.n * in.c } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_lrn_class_init (CnnfiltLrnClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "lrn";
  op_class->example = "conv2d weights=w.npy ! relu ! lrn size=5 bias=2";
  op_class->description = "Local response normalization across neighbouring channels (AlexNet)";
  op_class->onnx_op_type = "LRN";
  op_class->onnx_attributes = "size:size alpha:alpha beta:beta bias:bias";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_op_infer_same_shape;
  op_class->run = cnnfilt_lrn_run;
  op_class->run_cl = cnnfilt_lrn_run_cl;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), lrn_props, G_N_ELEMENTS (lrn_props));
}

LAYER_NO_INIT (CnnfiltLrn, cnnfilt_lrn)
