/* max-pool.c: the largest value of each window
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! relu ! max-pool kernel=2' -o out/ in/
 *
 * Padding never wins: padded positions are skipped, as in PyTorch and ONNX.
 */
#include "layer.h"
#include "onednn.h"

#include <math.h>

typedef struct {
  CnnfiltLayer parent_instance;
  Window window;
  gint algorithm;
  OnednnPool *onednn; /* for the input shape last seen */
} CnnfiltMaxPool;

typedef CnnfiltLayerClass CnnfiltMaxPoolClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltMaxPool, cnnfilt_max_pool, CNNFILT_TYPE_LAYER)

static const LayerProp max_pool_props[] = {
  WINDOW_KERNEL_PROPS (CnnfiltMaxPool),
  WINDOW_PROPS (CnnfiltMaxPool, " (0: the kernel size)", 0),
  LAYER_ALGORITHM_PROP (CnnfiltMaxPool),
  WINDOW_DILATION_PROPS (CnnfiltMaxPool),
};

static gboolean
cnnfilt_max_pool_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                        CnnfiltShape *output, GError **error)
{
  WindowPlan plan;
  if (!window_plan (&((CnnfiltMaxPool *) op)->window, inputs[0].h, inputs[0].w, &plan, error))
    {
      g_prefix_error (error, "max-pool: ");
      return FALSE;
    }
  *output = inputs[0];
  output->h = plan.out_h;
  output->w = plan.out_w;
  return TRUE;
}

/* oneDNN's kernel where it computes the same; FALSE where it
 * has none (the loops below run). */
static gboolean
cnnfilt_max_pool_ensure_onednn (CnnfiltMaxPool *self, const CnnfiltShape *in, const WindowPlan *p,
                                 CnnfiltLayout in_layout, CnnfiltLayout out_layout)
{
  return self->algorithm == LAYER_ALGORITHM_AUTO &&
         onednn_pool_ensure (&self->onednn, dnnl_pooling_max, in, p, in_layout, out_layout);
}

static CnnfiltLayoutSupport
cnnfilt_max_pool_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  CnnfiltMaxPool *self = (CnnfiltMaxPool *) op;
  WindowPlan p;
  if (!window_plan (&self->window, inputs[0].h, inputs[0].w, &p, NULL))
    return CNNFILT_LAYOUT_SUPPORT_NCHW;
  if (self->algorithm == LAYER_ALGORITHM_AUTO && window_is_identity (&p))
    return CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE; /* a copy, in either layout */
  if (cnnfilt_max_pool_ensure_onednn (self, &inputs[0], &p, CNNFILT_LAYOUT_NHWC, CNNFILT_LAYOUT_NHWC))
    return CNNFILT_LAYOUT_SUPPORT_INPUT | CNNFILT_LAYOUT_SUPPORT_OUTPUT;
  return CNNFILT_LAYOUT_SUPPORT_NCHW;
}

static gboolean
cnnfilt_max_pool_run (CnnfiltOp *op, CnnfiltTensor **inputs, guint n_inputs,
                      CnnfiltTensor *output, GError **error)
{
  CnnfiltMaxPool *self = (CnnfiltMaxPool *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  WindowPlan p;
  if (!window_plan (&self->window, in.h, in.w, &p, error))
    return FALSE;
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  CnnfiltLayout in_layout = cnnfilt_tensor_get_layout (inputs[0]);
  CnnfiltLayout out_layout = cnnfilt_tensor_get_layout (output);
  if (self->algorithm == LAYER_ALGORITHM_AUTO && window_is_identity (&p) && in_layout == out_layout)
    return layer_run_copy (op, inputs, n_inputs, output, error);
  if (cnnfilt_max_pool_ensure_onednn (self, &in, &p, in_layout, out_layout))
    return onednn_pool_run (self->onednn, src, dst, error);
  if (in_layout != CNNFILT_LAYOUT_NCHW || out_layout != CNNFILT_LAYOUT_NCHW)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "max-pool: this path takes NCHW tensors only");
      return FALSE;
    }
  gsize planes = (gsize) in.n * in.c;
  for (gsize pl = 0; pl < planes; pl++)
    {
      const gfloat *plane = src + pl * in.h * in.w;
      gfloat *out = dst + pl * p.out_h * p.out_w;
      for (guint y = 0; y < p.out_h; y++)
        for (guint x = 0; x < p.out_w; x++)
          {
            gfloat best = -INFINITY;
            for (gint i = 0; i < p.kh; i++)
              {
                gint iy = (gint) y * p.sh - p.pad_top + i * p.dh;
                if (iy < 0 || iy >= (gint) in.h)
                  continue;
                for (gint j = 0; j < p.kw; j++)
                  {
                    gint ix = (gint) x * p.sw - p.pad_left + j * p.dw;
                    if (ix >= 0 && ix < (gint) in.w && plane[iy * in.w + ix] > best)
                      best = plane[iy * in.w + ix];
                  }
              }
            out[y * p.out_w + x] = best;
          }
    }
  return TRUE;
}

static void
cnnfilt_max_pool_finalize (GObject *object)
{
  g_clear_pointer (&((CnnfiltMaxPool *) object)->onednn, onednn_pool_free);
  G_OBJECT_CLASS (cnnfilt_max_pool_parent_class)->finalize (object);
}

/* a new kernel, stride or padding needs a new plan */
static void
cnnfilt_max_pool_changed (CnnfiltLayer *layer)
{
  g_clear_pointer (&((CnnfiltMaxPool *) layer)->onednn, onednn_pool_free);
}

static void
cnnfilt_max_pool_class_init (CnnfiltMaxPoolClass *klass)
{
  CNNFILT_LAYER_CLASS (klass)->changed = cnnfilt_max_pool_changed;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_max_pool_finalize;
  op_class->name = "max-pool";
  op_class->example = "conv2d weights=w.npy ! relu ! max-pool kernel=2";
  op_class->description = "Max pooling: the largest value of each kernel-h×kernel-w window";
  op_class->onnx_op_type = "MaxPool";
  op_class->onnx_attributes = WINDOW_ONNX_ATTRIBUTES
      " kernel_shape:kernel-h,kernel-w dilations:dilation-h,dilation-w ceil_mode:ceil-mode"
      " storage_order:0";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_max_pool_infer;
  op_class->run = cnnfilt_max_pool_run;
  op_class->layouts = cnnfilt_max_pool_layouts;
  layer_class_install (klass, max_pool_props, G_N_ELEMENTS (max_pool_props));
}

static void
cnnfilt_max_pool_class_finalize (CnnfiltMaxPoolClass *klass)
{
}

static void
cnnfilt_max_pool_init (CnnfiltMaxPool *self)
{
}
