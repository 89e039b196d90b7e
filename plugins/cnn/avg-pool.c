/* avg-pool.c: the mean of each window
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'avg-pool kernel=3 stride=1 padding=1' -o out/ in/
 *
 * The divisor is the number of input positions in the window, or with
 * count-include-pad the window size clipped to the padded input (so a
 * ceil-mode window that overhangs the padding is not divided by cells that
 * are neither input nor padding), as in PyTorch and ONNX.
 */
#include "layer.h"
#include "onednn.h"

typedef struct {
  CnnfiltLayer parent_instance;
  Window window;
  gint algorithm;
  OnednnPool *onednn; /* for the input shape last seen */
  gboolean count_include_pad;
} CnnfiltAvgPool;

typedef CnnfiltLayerClass CnnfiltAvgPoolClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltAvgPool, cnnfilt_avg_pool, CNNFILT_TYPE_LAYER)

static const LayerProp avg_pool_props[] = {
  WINDOW_KERNEL_PROPS (CnnfiltAvgPool),
  WINDOW_PROPS (CnnfiltAvgPool, " (0: the kernel size)", 0),
  LAYER_ALGORITHM_PROP (CnnfiltAvgPool),
  { "count-include-pad", "Divide by the window size including padded cells, not only the "
    "input cells", LAYER_BOOL, LAYER_FIELD (CnnfiltAvgPool, count_include_pad), 0, 1, 0, NULL,
    { 0 } },
};

static gboolean
cnnfilt_avg_pool_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                        CnnfiltShape *output, GError **error)
{
  WindowPlan plan;
  if (!window_plan (&((CnnfiltAvgPool *) op)->window, inputs[0].h, inputs[0].w, &plan, error))
    {
      g_prefix_error (error, "avg-pool: ");
      return FALSE;
    }
  *output = inputs[0];
  output->h = plan.out_h;
  output->w = plan.out_w;
  return TRUE;
}

/* oneDNN's kernel where it computes the same (its include-padding count spans the ceil-mode
 * overhang, PyTorch's stops at the padding); FALSE where it
 * has none (the loops below run). */
static gboolean
cnnfilt_avg_pool_ensure_onednn (CnnfiltAvgPool *self, const CnnfiltShape *in, const WindowPlan *p,
                                 CnnfiltLayout in_layout, CnnfiltLayout out_layout)
{
  dnnl_alg_kind_t algorithm = self->count_include_pad ? dnnl_pooling_avg_include_padding
                                                      : dnnl_pooling_avg_exclude_padding;
  return self->algorithm == LAYER_ALGORITHM_AUTO &&
         (!self->count_include_pad || !self->window.ceil_mode) &&
         onednn_pool_ensure (&self->onednn, algorithm, in, p, in_layout, out_layout);
}

static CnnfiltLayoutSupport
cnnfilt_avg_pool_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  CnnfiltAvgPool *self = (CnnfiltAvgPool *) op;
  WindowPlan p;
  if (!window_plan (&self->window, inputs[0].h, inputs[0].w, &p, NULL))
    return CNNFILT_LAYOUT_SUPPORT_NCHW;
  if (self->algorithm == LAYER_ALGORITHM_AUTO && window_is_identity (&p))
    return CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE; /* a copy, in either layout */
  if (cnnfilt_avg_pool_ensure_onednn (self, &inputs[0], &p, CNNFILT_LAYOUT_NHWC, CNNFILT_LAYOUT_NHWC))
    return CNNFILT_LAYOUT_SUPPORT_INPUT | CNNFILT_LAYOUT_SUPPORT_OUTPUT;
  return CNNFILT_LAYOUT_SUPPORT_NCHW;
}

static gboolean
cnnfilt_avg_pool_run (CnnfiltOp *op, CnnfiltTensor **inputs, guint n_inputs,
                      CnnfiltTensor *output, GError **error)
{
  CnnfiltAvgPool *self = (CnnfiltAvgPool *) op;
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
  if (cnnfilt_avg_pool_ensure_onednn (self, &in, &p, in_layout, out_layout))
    return onednn_pool_run (self->onednn, src, dst, error);
  if (in_layout != CNNFILT_LAYOUT_NCHW || out_layout != CNNFILT_LAYOUT_NCHW)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "avg-pool: this path takes NCHW tensors only");
      return FALSE;
    }
  gsize planes = (gsize) in.n * in.c;
  gint padded_h = in.h + p.pad_bottom, padded_w = in.w + p.pad_right;
  for (gsize pl = 0; pl < planes; pl++)
    {
      const gfloat *plane = src + pl * in.h * in.w;
      gfloat *out = dst + pl * p.out_h * p.out_w;
      for (guint y = 0; y < p.out_h; y++)
        {
          gint y0 = (gint) y * p.sh - p.pad_top, y1 = MIN (y0 + p.kh, padded_h);
          gint iy0 = MAX (y0, 0), iy1 = MIN (y1, (gint) in.h);
          for (guint x = 0; x < p.out_w; x++)
            {
              gint x0 = (gint) x * p.sw - p.pad_left, x1 = MIN (x0 + p.kw, padded_w);
              gint ix0 = MAX (x0, 0), ix1 = MIN (x1, (gint) in.w);
              gfloat sum = 0.0f;
              for (gint iy = iy0; iy < iy1; iy++)
                for (gint ix = ix0; ix < ix1; ix++)
                  sum += plane[iy * in.w + ix];
              gint count = self->count_include_pad ? (y1 - y0) * (x1 - x0)
                                                   : (iy1 - iy0) * (ix1 - ix0);
              out[y * p.out_w + x] = count > 0 ? sum / count : 0.0f;
            }
        }
    }
  return TRUE;
}

static void
cnnfilt_avg_pool_finalize (GObject *object)
{
  g_clear_pointer (&((CnnfiltAvgPool *) object)->onednn, onednn_pool_free);
  G_OBJECT_CLASS (cnnfilt_avg_pool_parent_class)->finalize (object);
}

/* a new kernel, stride or padding needs a new plan */
static void
cnnfilt_avg_pool_changed (CnnfiltLayer *layer)
{
  g_clear_pointer (&((CnnfiltAvgPool *) layer)->onednn, onednn_pool_free);
}

static void
cnnfilt_avg_pool_class_init (CnnfiltAvgPoolClass *klass)
{
  CNNFILT_LAYER_CLASS (klass)->changed = cnnfilt_avg_pool_changed;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_avg_pool_finalize;
  op_class->name = "avg-pool";
  op_class->example = "avg-pool kernel=3 stride=1 padding=1";
  op_class->description = "Average pooling: the mean of each kernel-h×kernel-w window";
  op_class->onnx_op_type = "AveragePool";
  op_class->onnx_attributes = WINDOW_ONNX_ATTRIBUTES
      " kernel_shape:kernel-h,kernel-w ceil_mode:ceil-mode count_include_pad:count-include-pad";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_avg_pool_infer;
  op_class->run = cnnfilt_avg_pool_run;
  op_class->layouts = cnnfilt_avg_pool_layouts;
  layer_class_install (klass, avg_pool_props, G_N_ELEMENTS (avg_pool_props));
}

static void
cnnfilt_avg_pool_class_finalize (CnnfiltAvgPoolClass *klass)
{
}

static void
cnnfilt_avg_pool_init (CnnfiltAvgPool *self)
{
}
