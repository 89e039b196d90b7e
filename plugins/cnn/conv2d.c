/* conv2d.c: 2-D convolution (cross-correlation), as PyTorch's Conv2d and ONNX Conv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy bias=b.npy stride=2 padding=3 ! relu' -o out/ in/
 *
 * weights are (O, C/groups, kh, kw), bias (O). Three paths give the same
 * result up to float rounding (the tests hold them to 1e-4 relative):
 * - auto: oneDNN's convolution (brgemm kernels with AVX-512 here), on
 *   channels-last (NHWC) copies of the input and output, with the weights
 *   reordered once into its blocked layout, bias and clamp applied as it
 *   writes. The primitives are made once per input shape and kept.
 *   bench/layers has the figures that chose it (README, "Decisions").
 * - gemm: depthwise convolutions by a direct loop over a padded plane; the
 *   rest as matrix products per group, out (O/g × P) = W (O/g × K) · cols
 *   (K × P), with K = C/g·kh·kw taps and P output pixels (oneDNN's sgemm).
 *   The columns are gathered (im2col) one band of output rows at a time so
 *   the buffer stays in cache; a 1×1 stride-1 convolution reads the input
 *   directly. Bias and clamp are applied to each band while it is hot. It
 *   is what auto falls back to where oneDNN has no kernel.
 * - reference: the textbook seven nested loops, kept to check the others.
 * A following batchnorm is folded into the weights and a following relu or
 * clip into the clamp when a graph is prepared (fuse).
 */
#include "layer.h"

#include "onednn.h"

#include <stdlib.h>

#include <math.h>
#include <string.h>

typedef enum {
  CONV_ALGORITHM_AUTO,
  CONV_ALGORITHM_GEMM,
  CONV_ALGORITHM_REFERENCE,
} ConvAlgorithm;

static GType
conv_algorithm_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { CONV_ALGORITHM_AUTO, "CNNFILT_CONV_ALGORITHM_AUTO", "auto" },
        { CONV_ALGORITHM_GEMM, "CNNFILT_CONV_ALGORITHM_GEMM", "gemm" },
        { CONV_ALGORITHM_REFERENCE, "CNNFILT_CONV_ALGORITHM_REFERENCE", "reference" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltConvAlgorithm", values));
    }
  return type;
}

typedef struct {
  CnnfiltOp parent_instance;
  Window window;
  gint groups;
  CnnfiltTensor *weights;
  CnnfiltTensor *bias;
  gfloat clamp_min, clamp_max;
  gint algorithm;
  gboolean winograd;
  gboolean residual;
  /* the thread's scratch (layer_scratch) while running: column bands */
  gfloat *cols;
  /* oneDNN primitives for the input shape last seen */
  struct OnednnConv *onednn;
} CnnfiltConv2d;

typedef CnnfiltOpClass CnnfiltConv2dClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltConv2d, cnnfilt_conv2d, CNNFILT_TYPE_OP)

static const CnnfiltOpProp conv2d_props[] = {
  { "weights", "Kernels, O×(C/groups)×kh×kw (.npy)", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, weights), 0, 0, 0, NULL, { 0 } },
  { "bias", "Added to each output channel, O values (.npy); optional", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, bias), 0, 0, 0, NULL, { 0 } },
  WINDOW_PROPS (CnnfiltConv2d, "", 1),
  WINDOW_DILATION_PROPS (CnnfiltConv2d),
  { "groups", "Channel groups: input and output channels split in this many independent "
    "convolutions (groups = channels: depthwise)", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, groups), 1, 1 << 20, 1, NULL, { 0 } },
  LAYER_CLAMP_PROPS (CnnfiltConv2d),
  { "residual", "Take a second input of the output's shape and add it before the clamp: a "
    "residual add fused by graphs (oneDNN's path only)", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, residual), 0, 1, 0, NULL, { 0 } },
  { "winograd", "Let auto use Winograd F(4x4,3x3) for 3×3 stride-1 layers: about twice as fast, "
    "rounding errors about ten times larger (still ~1e-6 relative)", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, winograd), 0, 1, 1, NULL, { 0 } },
  { "algorithm", "auto: oneDNN's kernels; gemm: im2col and sgemm; reference: the plain loops",
    CNNFILT_OP_PROP_ENUM,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, algorithm), 0, 0, CONV_ALGORITHM_AUTO,
    conv_algorithm_get_type, { 0 } },
};

static gboolean
cnnfilt_conv2d_validate (CnnfiltOp *op, GError **error)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  if (!layer_require_tensor (op, self->weights, "weights", error))
    return FALSE;
  guint o = cnnfilt_tensor_get_n (self->weights);
  if (o % self->groups != 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv2d: %u output channels (weights) do not split into groups=%d", o,
                   self->groups);
      return FALSE;
    }
  if (self->bias != NULL && cnnfilt_tensor_get_size (self->bias) != o)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv2d: bias has %" G_GSIZE_FORMAT " values, weights have %u output channels",
                   cnnfilt_tensor_get_size (self->bias), o);
      return FALSE;
    }
  if (self->clamp_min > self->clamp_max)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "conv2d: clamp-min (%g) is above clamp-max (%g)", self->clamp_min,
                   self->clamp_max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
conv_plan (CnnfiltConv2d *self, const CnnfiltShape *in, WindowPlan *plan, GError **error)
{
  Window window = self->window;
  window.kernel_h = cnnfilt_tensor_get_h (self->weights);
  window.kernel_w = cnnfilt_tensor_get_w (self->weights);
  window.ceil_mode = FALSE;
  if (window.stride_h <= 0 || window.stride_w <= 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "conv2d: stride-h and stride-w must be at least 1 (%d, %d given)",
                   window.stride_h, window.stride_w);
      return FALSE;
    }
  guint cg = cnnfilt_tensor_get_c (self->weights);
  if ((guint64) cg * self->groups != in->c)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv2d: the input has %u channels, the weights expect %u (%u per group × "
                   "groups=%d)", in->c, cg * self->groups, cg, self->groups);
      return FALSE;
    }
  if (!window_plan (&window, in->h, in->w, plan, error))
    {
      g_prefix_error (error, "conv2d: ");
      return FALSE;
    }
  return TRUE;
}

static gboolean
cnnfilt_conv2d_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  WindowPlan plan;
  if (!conv_plan (self, &inputs[0], &plan, error))
    return FALSE;
  output->n = inputs[0].n;
  output->c = cnnfilt_tensor_get_n (self->weights);
  output->h = plan.out_h;
  output->w = plan.out_w;
  return TRUE;
}

static inline gfloat
clamp (gfloat v, gfloat lo, gfloat hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

static void
conv_reference (CnnfiltConv2d *self, const WindowPlan *p, const gfloat *in, guint n_images,
                guint c, gfloat *out, guint o)
{
  const gfloat *w = cnnfilt_tensor_get_data (self->weights, NULL);
  const gfloat *b = self->bias ? cnnfilt_tensor_get_data (self->bias, NULL) : NULL;
  guint cg = c / self->groups, og = o / self->groups;
  for (guint n = 0; n < n_images; n++)
    for (guint oc = 0; oc < o; oc++)
      {
        guint g = oc / og;
        for (guint y = 0; y < p->out_h; y++)
          for (guint x = 0; x < p->out_w; x++)
            {
              gfloat sum = b ? b[oc] : 0.0f;
              for (guint ic = 0; ic < cg; ic++)
                for (gint i = 0; i < p->kh; i++)
                  {
                    gint iy = (gint) y * p->sh - p->pad_top + i * p->dh;
                    if (iy < 0 || iy >= (gint) p->in_h)
                      continue;
                    for (gint j = 0; j < p->kw; j++)
                      {
                        gint ix = (gint) x * p->sw - p->pad_left + j * p->dw;
                        if (ix < 0 || ix >= (gint) p->in_w)
                          continue;
                        sum += w[((gsize) (oc * cg + ic) * p->kh + i) * p->kw + j] *
                               in[(((gsize) n * c + g * cg + ic) * p->in_h + iy) * p->in_w + ix];
                      }
                  }
              out[(((gsize) n * o + oc) * p->out_h + y) * p->out_w + x] =
                  clamp (sum, self->clamp_min, self->clamp_max);
            }
      }
}

/* Depthwise: each channel convolved with its own kernel, through a padded
 * copy of the plane so the inner loop has no bounds checks. */
static void
conv_depthwise (CnnfiltConv2d *self, const WindowPlan *p, const gfloat *in, guint n_images,
                guint c, gfloat *out)
{
  const gfloat *w = cnnfilt_tensor_get_data (self->weights, NULL);
  const gfloat *b = self->bias ? cnnfilt_tensor_get_data (self->bias, NULL) : NULL;
  gsize ph = p->in_h + p->pad_top + p->pad_bottom, pw = p->in_w + p->pad_left + p->pad_right;
  gfloat *padded = self->cols;
  memset (padded, 0, ph * pw * sizeof (gfloat));
  gsize out_plane = (gsize) p->out_h * p->out_w;
  for (guint n = 0; n < n_images; n++)
    for (guint ch = 0; ch < c; ch++)
      {
        const gfloat *src = in + ((gsize) n * c + ch) * p->in_h * p->in_w;
        for (guint y = 0; y < p->in_h; y++)
          memcpy (padded + (y + p->pad_top) * pw + p->pad_left, src + (gsize) y * p->in_w,
                  p->in_w * sizeof (gfloat));
        const gfloat *k = w + (gsize) ch * p->kh * p->kw;
        gfloat *dst = out + ((gsize) n * c + ch) * out_plane;
        gfloat bias = b ? b[ch] : 0.0f;
        for (guint y = 0; y < p->out_h; y++)
          {
            gfloat *row = dst + (gsize) y * p->out_w;
            for (guint x = 0; x < p->out_w; x++)
              row[x] = bias;
            for (gint i = 0; i < p->kh; i++)
              {
                const gfloat *line = padded + ((gsize) y * p->sh + i * p->dh) * pw;
                for (gint j = 0; j < p->kw; j++)
                  {
                    const gfloat kv = k[i * p->kw + j];
                    const gfloat *s = line + j * p->dw;
                    if (p->sw == 1)
                      for (guint x = 0; x < p->out_w; x++)
                        row[x] += kv * s[x];
                    else
                      for (guint x = 0; x < p->out_w; x++)
                        row[x] += kv * s[(gsize) x * p->sw];
                  }
              }
            for (guint x = 0; x < p->out_w; x++)
              row[x] = clamp (row[x], self->clamp_min, self->clamp_max);
          }
      }
}

/* Gathers the K × (rows · out_w) column band for output rows [y0, y0+rows). */
static void
im2col_band (const WindowPlan *p, const gfloat *in, guint cg, guint y0, guint rows, gfloat *cols)
{
  gsize band = (gsize) rows * p->out_w;
  for (guint ic = 0; ic < cg; ic++)
    for (gint i = 0; i < p->kh; i++)
      for (gint j = 0; j < p->kw; j++)
        {
          gfloat *dst = cols + (((gsize) ic * p->kh + i) * p->kw + j) * band;
          const gfloat *plane = in + (gsize) ic * p->in_h * p->in_w;
          for (guint r = 0; r < rows; r++)
            {
              gint iy = (gint) (y0 + r) * p->sh - p->pad_top + i * p->dh;
              gfloat *d = dst + (gsize) r * p->out_w;
              if (iy < 0 || iy >= (gint) p->in_h)
                {
                  memset (d, 0, p->out_w * sizeof (gfloat));
                  continue;
                }
              const gfloat *line = plane + (gsize) iy * p->in_w;
              gint x0 = j * p->dw - p->pad_left;
              for (guint x = 0; x < p->out_w; x++)
                {
                  gint ix = x0 + (gint) x * p->sw;
                  d[x] = ix >= 0 && ix < (gint) p->in_w ? line[ix] : 0.0f;
                }
            }
        }
}

static void
epilogue (CnnfiltConv2d *self, gfloat *out, gsize ld, guint og, gsize count, const gfloat *b)
{
  const gfloat lo = self->clamp_min, hi = self->clamp_max;
  for (guint oc = 0; oc < og; oc++)
    {
      gfloat *row = out + oc * ld;
      const gfloat bias = b ? b[oc] : 0.0f;
      for (gsize x = 0; x < count; x++)
        row[x] = clamp (row[x] + bias, lo, hi);
    }
}

static void
conv_gemm (CnnfiltConv2d *self, const WindowPlan *p, const gfloat *in, guint n_images, guint c,
           gfloat *out, guint o, guint band_rows)
{
  const gfloat *w = cnnfilt_tensor_get_data (self->weights, NULL);
  const gfloat *b = self->bias ? cnnfilt_tensor_get_data (self->bias, NULL) : NULL;
  guint groups = self->groups, cg = c / groups, og = o / groups;
  gsize k = (gsize) cg * p->kh * p->kw;
  gsize out_plane = (gsize) p->out_h * p->out_w, in_plane = (gsize) p->in_h * p->in_w;
  gboolean direct = p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && p->pad_top == 0 &&
                    p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
  for (guint n = 0; n < n_images; n++)
    for (guint g = 0; g < groups; g++)
      {
        const gfloat *src = in + ((gsize) n * c + (gsize) g * cg) * in_plane;
        gfloat *dst = out + ((gsize) n * o + (gsize) g * og) * out_plane;
        const gfloat *wg = w + (gsize) g * og * k;
        const gfloat *bg = b ? b + (gsize) g * og : NULL;
        if (direct)
          {
            onednn_sgemm (FALSE, FALSE, og, out_plane, k, 1.0f, wg, k, src, in_plane, 0.0f, dst,
                          out_plane);
            epilogue (self, dst, out_plane, og, out_plane, bg);
            continue;
          }
        for (guint y0 = 0; y0 < p->out_h; y0 += band_rows)
          {
            guint rows = MIN (band_rows, p->out_h - y0);
            gsize band = (gsize) rows * p->out_w;
            im2col_band (p, src, cg, y0, rows, self->cols);
            gfloat *d = dst + (gsize) y0 * p->out_w;
            onednn_sgemm (FALSE, FALSE, og, band, k, 1.0f, wg, k, self->cols, band, 0.0f, d,
                          out_plane);
            epilogue (self, d, out_plane, og, band, bg);
          }
      }
}


/* oneDNN: the convolution on channels-last buffers, with the reorders
 * from and to our NCHW tensors. */
typedef struct OnednnConv {
  CnnfiltShape shape;
  CnnfiltLayout in_layout, out_layout, res_layout;
  gboolean reorder_src, reorder_dst; /* the tensors are not in the kernel's layout */
  gsize src_bytes, dst_bytes;
  dnnl_stream_t stream;
  dnnl_primitive_t src_reorder, conv, dst_reorder, res_reorder;
  dnnl_memory_t user_src, src, weights, bias, dst, user_dst, user_res;
  gpointer weights_data;             /* the packed weights' memory, ours */
} OnednnConv;

static void
onednn_conv_free (OnednnConv *plan)
{
  if (plan == NULL)
    return;
  dnnl_primitive_t prims[] = { plan->src_reorder, plan->conv, plan->dst_reorder, plan->res_reorder };
  for (guint i = 0; i < G_N_ELEMENTS (prims); i++)
    if (prims[i])
      dnnl_primitive_destroy (prims[i]);
  dnnl_memory_t mems[] = { plan->user_src, plan->src, plan->weights, plan->bias, plan->dst,
                           plan->user_dst, plan->user_res };
  for (guint i = 0; i < G_N_ELEMENTS (mems); i++)
    if (mems[i])
      dnnl_memory_destroy (mems[i]);
  if (plan->stream)
    dnnl_stream_destroy (plan->stream);
  cnnfilt_free_large (plan->weights_data);
  g_free (plan);
}

#define TRY(call) do { if ((status = (call)) != dnnl_success) goto fail; } while (0)

/* A reorder primitive from one memory's layout to another's. */
static dnnl_status_t
make_reorder (dnnl_engine_t engine, dnnl_memory_t from, dnnl_memory_t to, dnnl_primitive_t *out)
{
  const dnnl_memory_desc_t *a, *b;
  dnnl_memory_get_memory_desc (from, &a);
  dnnl_memory_get_memory_desc (to, &b);
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_status_t status = onednn_attr_new (&attr);
  if (status == dnnl_success)
    status = dnnl_reorder_primitive_desc_create (&pd, a, engine, b, engine, attr);
  if (status == dnnl_success)
    {
      status = dnnl_primitive_create (out, pd);
      dnnl_primitive_desc_destroy (pd);
    }
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return status;
}

static dnnl_status_t
run_reorder (dnnl_primitive_t reorder, dnnl_stream_t stream, dnnl_memory_t from, dnnl_memory_t to)
{
  dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, to } };
  return onednn_execute (reorder, stream, 2, args);
}

/* The plan for one input shape; NULL where oneDNN has no kernel for it
 * (the caller falls back to gemm). The packed weights of @old, the plan
 * for the same weights at another shape or layout, are taken over when
 * the new kernel wants the same packing: repacking (Winograd's above all)
 * costs more than creating the kernel. */
static OnednnConv *
onednn_conv_new (CnnfiltConv2d *self, const CnnfiltShape *in, const WindowPlan *p,
                 CnnfiltLayout in_layout, CnnfiltLayout out_layout, CnnfiltLayout res_layout,
                 OnednnConv *old)
{
  dnnl_engine_t engine = onednn_engine ();
  if (engine == NULL)
    return NULL;
  dnnl_status_t status;
  OnednnConv *plan = g_new0 (OnednnConv, 1);
  plan->shape = *in;
  plan->in_layout = in_layout;
  plan->out_layout = out_layout;
  plan->res_layout = res_layout;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t post_ops = NULL;
  guint o = cnnfilt_tensor_get_n (self->weights), g = self->groups;
  dnnl_dims_t src_dims = { in->n, in->c, in->h, in->w };
  dnnl_dims_t dst_dims = { in->n, o, p->out_h, p->out_w };
  dnnl_dims_t strides = { p->sh, p->sw }, dilates = { p->dh - 1, p->dw - 1 };
  dnnl_dims_t pad_l = { p->pad_top, p->pad_left }, pad_r = { p->pad_bottom, p->pad_right };
  dnnl_memory_desc_t user_src_md, src_md, dst_md, user_dst_md, wei_any, user_wei_md, bias_md;
  TRY (dnnl_memory_desc_init_by_tag (&user_src_md, 4, src_dims, dnnl_f32,
                                     in_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw));
  TRY (dnnl_memory_desc_init_by_tag (&src_md, 4, src_dims, dnnl_f32, dnnl_nhwc));
  TRY (dnnl_memory_desc_init_by_tag (&dst_md, 4, dst_dims, dnnl_f32, dnnl_nhwc));
  TRY (dnnl_memory_desc_init_by_tag (&user_dst_md, 4, dst_dims, dnnl_f32,
                                     out_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw));
  if (g == 1)
    {
      dnnl_dims_t wd = { o, in->c, p->kh, p->kw };
      TRY (dnnl_memory_desc_init_by_tag (&user_wei_md, 4, wd, dnnl_f32, dnnl_oihw));
      TRY (dnnl_memory_desc_init_by_tag (&wei_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
    }
  else
    {
      dnnl_dims_t wd = { g, o / g, in->c / g, p->kh, p->kw };
      TRY (dnnl_memory_desc_init_by_tag (&user_wei_md, 5, wd, dnnl_f32, dnnl_goihw));
      TRY (dnnl_memory_desc_init_by_tag (&wei_any, 5, wd, dnnl_f32, dnnl_format_tag_any));
    }
  dnnl_dims_t bias_dims = { o };
  TRY (dnnl_memory_desc_init_by_tag (&bias_md, 1, bias_dims, dnnl_f32, dnnl_a));

  TRY (onednn_attr_new (&attr));
  if (self->residual || self->clamp_min != -INFINITY || self->clamp_max != INFINITY)
    TRY (dnnl_post_ops_create (&post_ops));
  /* the residual is added first (it waits in dst), then the clamp */
  if (self->residual)
    TRY (dnnl_post_ops_append_sum (post_ops, 1.0f));
  if (self->clamp_min != -INFINITY || self->clamp_max != INFINITY)
    {
      if (self->clamp_min == 0.0f && self->clamp_max == INFINITY)
        TRY (dnnl_post_ops_append_eltwise (post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
      else
        TRY (dnnl_post_ops_append_eltwise (post_ops, 1.0f, dnnl_eltwise_clip,
                                           MAX (self->clamp_min, -G_MAXFLOAT),
                                           MIN (self->clamp_max, G_MAXFLOAT)));
    }
  if (post_ops)
    TRY (dnnl_primitive_attr_set_post_ops (attr, post_ops));
  /* Winograd F(4×4, 3×3) for 3×3 stride-1 layers where oneDNN has it (in
   * its blocked layout), else direct convolution on channels-last. */
  dnnl_convolution_desc_t desc;
  gboolean winograd = self->winograd && p->kh == 3 && p->kw == 3 && p->sh == 1 && p->sw == 1 &&
                      p->dh == 1 && p->dw == 1 && g == 1;
  status = dnnl_runtime_error;
  if (winograd)
    {
      dnnl_memory_desc_t src_any, dst_any;
      TRY (dnnl_memory_desc_init_by_tag (&src_any, 4, src_dims, dnnl_f32, dnnl_format_tag_any));
      TRY (dnnl_memory_desc_init_by_tag (&dst_any, 4, dst_dims, dnnl_f32, dnnl_format_tag_any));
      status = dnnl_dilated_convolution_forward_desc_init (
          &desc, dnnl_forward_inference, dnnl_convolution_winograd, &src_any, &wei_any,
          self->bias ? &bias_md : NULL, &dst_any, strides, dilates, pad_l, pad_r);
      if (status == dnnl_success)
        status = dnnl_primitive_desc_create (&pd, &desc, attr, engine, NULL);
    }
  if (status != dnnl_success)
    {
      TRY (dnnl_dilated_convolution_forward_desc_init (
          &desc, dnnl_forward_inference, dnnl_convolution_direct, &src_md, &wei_any,
          self->bias ? &bias_md : NULL, &dst_md, strides, dilates, pad_l, pad_r));
      TRY (dnnl_primitive_desc_create (&pd, &desc, attr, engine, NULL));
    }
  TRY (dnnl_primitive_create (&plan->conv, pd));
  src_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_src_md, 0);
  dst_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_dst_md, 0);
  plan->src_bytes = dnnl_memory_desc_get_size (&src_md);
  plan->dst_bytes = dnnl_memory_desc_get_size (&dst_md);

  TRY (dnnl_stream_create (&plan->stream, engine, dnnl_stream_default_flags));
  TRY (dnnl_memory_create (&plan->user_src, &user_src_md, engine, DNNL_MEMORY_NONE));
  /* the copies in the kernel's layout live in the thread's scratch, set per run */
  TRY (dnnl_memory_create (&plan->src, &src_md, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&plan->dst, &dst_md, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&plan->user_dst, &user_dst_md, engine, DNNL_MEMORY_NONE));
  plan->reorder_src = !dnnl_memory_desc_equal (&user_src_md, &src_md);
  plan->reorder_dst = !dnnl_memory_desc_equal (&user_dst_md, &dst_md);
  if (plan->reorder_src)
    TRY (make_reorder (engine, plan->user_src, plan->src, &plan->src_reorder));
  if (plan->reorder_dst)
    TRY (make_reorder (engine, plan->dst, plan->user_dst, &plan->dst_reorder));
  if (self->residual)
    {
      /* the residual is copied into dst, in the kernel's layout */
      dnnl_memory_desc_t res_md;
      TRY (dnnl_memory_desc_init_by_tag (&res_md, 4, dst_dims, dnnl_f32,
                                         res_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw));
      TRY (dnnl_memory_create (&plan->user_res, &res_md, engine, DNNL_MEMORY_NONE));
      TRY (make_reorder (engine, plan->user_res, plan->dst, &plan->res_reorder));
    }

  /* The weights, reordered once into the layout the kernel wants. */
  const dnnl_memory_desc_t *wei_md = dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0);
  if (old != NULL && old->weights != NULL)
    {
      const dnnl_memory_desc_t *old_md;
      if (dnnl_memory_get_memory_desc (old->weights, &old_md) == dnnl_success &&
          dnnl_memory_desc_equal (old_md, wei_md))
        {
          plan->weights = g_steal_pointer (&old->weights);
          plan->weights_data = g_steal_pointer (&old->weights_data);
          goto packed;
        }
    }
  /* huge pages: Winograd's packed weights are four times the plain ones
   * (175 MB for ResNet-18), and their first write would fault every 4 KiB */
  plan->weights_data = cnnfilt_alloc_large (dnnl_memory_desc_get_size (wei_md));
  if (plan->weights_data == NULL)
    {
      status = dnnl_out_of_memory;
      goto fail;
    }
  TRY (dnnl_memory_create (&plan->weights, wei_md, engine, plan->weights_data));
  dnnl_memory_t user_wei = NULL;
  dnnl_primitive_t wei_reorder = NULL;
  TRY (dnnl_memory_create (&user_wei, &user_wei_md, engine,
                           cnnfilt_tensor_get_data (self->weights, NULL)));
  status = make_reorder (engine, user_wei, plan->weights, &wei_reorder);
  if (status == dnnl_success)
    status = run_reorder (wei_reorder, plan->stream, user_wei, plan->weights);
  if (status == dnnl_success)
    status = dnnl_stream_wait (plan->stream);
  if (wei_reorder)
    dnnl_primitive_destroy (wei_reorder);
  dnnl_memory_destroy (user_wei);
  if (status != dnnl_success)
    goto fail;
packed:
  if (self->bias)
    TRY (dnnl_memory_create (&plan->bias, &bias_md, engine,
                             cnnfilt_tensor_get_data (self->bias, NULL)));
  dnnl_primitive_desc_destroy (pd);
  dnnl_primitive_attr_destroy (attr);
  if (post_ops)
    dnnl_post_ops_destroy (post_ops);
  return plan;

fail:
  g_debug ("conv2d: no oneDNN kernel for this shape (status %d); using gemm", (int) status);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  if (post_ops)
    dnnl_post_ops_destroy (post_ops);
  onednn_conv_free (plan);
  return NULL;
}

static gboolean
onednn_conv_matches (OnednnConv *plan, const CnnfiltShape *in, CnnfiltLayout in_layout,
                     CnnfiltLayout out_layout, CnnfiltLayout res_layout)
{
  return plan != NULL && cnnfilt_shape_equal (&plan->shape, in) && plan->in_layout == in_layout &&
         plan->out_layout == out_layout && plan->res_layout == res_layout;
}

static gboolean
onednn_conv_run (OnednnConv *plan, const gfloat *src, const gfloat *residual, gfloat *dst,
                 GError **error)
{
  dnnl_status_t status;
  /* the copies in the kernel's layout, where the tensors are not in it */
  gpointer src_copy = plan->reorder_src ? layer_scratch (0, plan->src_bytes) : (gpointer) src;
  gpointer dst_copy = plan->reorder_dst ? layer_scratch (1, plan->dst_bytes) : dst;
  if (src_copy == NULL || dst_copy == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "conv2d: out of memory for %" G_GSIZE_FORMAT " bytes of scratch",
                   plan->src_bytes + plan->dst_bytes);
      return FALSE;
    }
  TRY (dnnl_memory_set_data_handle (plan->src, src_copy));
  TRY (dnnl_memory_set_data_handle (plan->dst, dst_copy));
  TRY (dnnl_memory_set_data_handle (plan->user_src, (void *) src));
  TRY (dnnl_memory_set_data_handle (plan->user_dst, dst));
  if (plan->reorder_src)
    TRY (run_reorder (plan->src_reorder, plan->stream, plan->user_src, plan->src));
  if (plan->res_reorder)
    {
      TRY (dnnl_memory_set_data_handle (plan->user_res, (void *) residual));
      TRY (run_reorder (plan->res_reorder, plan->stream, plan->user_res, plan->dst));
    }
  dnnl_exec_arg_t args[] = {
    { DNNL_ARG_SRC, plan->src }, { DNNL_ARG_WEIGHTS, plan->weights },
    { DNNL_ARG_DST, plan->dst }, { DNNL_ARG_BIAS, plan->bias },
  };
  TRY (onednn_execute (plan->conv, plan->stream, plan->bias ? 4 : 3, args));
  if (plan->reorder_dst)
    TRY (run_reorder (plan->dst_reorder, plan->stream, plan->dst, plan->user_dst));
  TRY (dnnl_stream_wait (plan->stream));
  return TRUE;
fail:
  return onednn_error (error, "conv2d", "run the convolution", status);
}

#undef TRY

static gboolean
ensure_scratch (CnnfiltConv2d *self, gsize values, GError **error)
{
  self->cols = layer_scratch (0, values * sizeof (gfloat));
  if (self->cols == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "conv2d: out of memory for %" G_GSIZE_FORMAT " scratch values", values);
      return FALSE;
    }
  return TRUE;
}

static gboolean
cnnfilt_conv2d_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                    CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                    GError **error)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  onednn_set_threads (ctx);
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  WindowPlan p;
  if (!conv_plan (self, &in, &p, error))
    return FALSE;
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  guint o = cnnfilt_tensor_get_n (self->weights);
  if (self->algorithm == CONV_ALGORITHM_REFERENCE)
    {
      conv_reference (self, &p, src, in.n, in.c, dst, o);
      return TRUE;
    }
  CnnfiltLayout in_layout = cnnfilt_tensor_get_layout (inputs[0]);
  CnnfiltLayout out_layout = cnnfilt_tensor_get_layout (output);
  CnnfiltLayout res_layout = CNNFILT_LAYOUT_NCHW;
  const gfloat *residual = NULL;
  if (self->residual)
    {
      CnnfiltShape res, out;
      cnnfilt_tensor_get_shape (output, &out);
      if (n_inputs != 2 || (cnnfilt_tensor_get_shape (inputs[1], &res), !cnnfilt_shape_equal (&res, &out)))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "conv2d: residual=true takes a second input of the output's shape");
          return FALSE;
        }
      residual = cnnfilt_tensor_get_data (inputs[1], NULL);
      res_layout = cnnfilt_tensor_get_layout (inputs[1]);
    }
  if (self->algorithm == CONV_ALGORITHM_AUTO)
    {
      if (!onednn_conv_matches (self->onednn, &in, in_layout, out_layout, res_layout))
        {
          OnednnConv *old = g_steal_pointer (&self->onednn);
          self->onednn = onednn_conv_new (self, &in, &p, in_layout, out_layout, res_layout, old);
          onednn_conv_free (old);
        }
      if (self->onednn != NULL)
        return onednn_conv_run (self->onednn, src, residual, dst, error);
    }
  if (self->residual)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "conv2d: residual=true needs oneDNN's kernel, which this shape lacks");
      return FALSE;
    }
  if (in_layout != CNNFILT_LAYOUT_NCHW || out_layout != CNNFILT_LAYOUT_NCHW)
    {
      /* only the oneDNN path reads and writes channels-last (see layouts) */
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "conv2d: this path takes NCHW tensors only");
      return FALSE;
    }
  if (self->groups == (gint) in.c && o == in.c)
    {
      gsize padded = (gsize) (p.in_h + p.pad_top + p.pad_bottom) *
                     (p.in_w + p.pad_left + p.pad_right);
      if (!ensure_scratch (self, padded, error))
        return FALSE;
      conv_depthwise (self, &p, src, in.n, in.c, dst);
      return TRUE;
    }
  /* Bands of about 64k column values (256 KiB) per gemm call, at least one row. */
  gsize k = (gsize) (in.c / self->groups) * p.kh * p.kw;
  guint band_rows = CLAMP ((65536 / MAX (k * p.out_w, 1)), 1, p.out_h);
  if (!ensure_scratch (self, k * band_rows * p.out_w, error))
    return FALSE;
  conv_gemm (self, &p, src, in.n, in.c, dst, o, band_rows);
  return TRUE;
}

/* A copy with batchnorm folded in: w' = w·s, b' = (b − mean)·s + beta,
 * s = scale / sqrt(var + epsilon), per output channel. */
static CnnfiltOp *
fold_batchnorm (CnnfiltConv2d *self, CnnfiltOp *bn)
{
  g_autoptr (CnnfiltTensor) scale = NULL, beta = NULL, mean = NULL, var = NULL;
  gfloat epsilon = 0, lo, hi;
  g_object_get (bn, "scale", &scale, "bias", &beta, "mean", &mean, "var", &var, "epsilon",
                &epsilon, "clamp-min", &lo, "clamp-max", &hi, NULL);
  guint o = cnnfilt_tensor_get_n (self->weights);
  if (scale == NULL || beta == NULL || mean == NULL || var == NULL ||
      cnnfilt_tensor_get_size (scale) != o || cnnfilt_tensor_get_size (beta) != o ||
      cnnfilt_tensor_get_size (mean) != o || cnnfilt_tensor_get_size (var) != o)
    return NULL; /* let the batchnorm node report its own error */
  g_autoptr (CnnfiltTensor) weights = cnnfilt_tensor_copy (self->weights);
  g_autoptr (CnnfiltTensor) bias = cnnfilt_tensor_new (o, 1, 1, 1, NULL);
  if (weights == NULL || bias == NULL)
    return NULL;
  gsize per = cnnfilt_tensor_get_size (weights) / o;
  gfloat *w = cnnfilt_tensor_get_data (weights, NULL), *b = cnnfilt_tensor_get_data (bias, NULL);
  const gfloat *old_b = self->bias ? cnnfilt_tensor_get_data (self->bias, NULL) : NULL;
  const gfloat *sc = cnnfilt_tensor_get_data (scale, NULL), *be = cnnfilt_tensor_get_data (beta, NULL);
  const gfloat *mu = cnnfilt_tensor_get_data (mean, NULL), *va = cnnfilt_tensor_get_data (var, NULL);
  for (guint oc = 0; oc < o; oc++)
    {
      gdouble s = sc[oc] / sqrt ((gdouble) va[oc] + epsilon);
      for (gsize i = 0; i < per; i++)
        w[oc * per + i] = (gfloat) (w[oc * per + i] * s);
      b[oc] = (gfloat) (((old_b ? old_b[oc] : 0.0) - mu[oc]) * s + be[oc]);
    }
  CnnfiltOp *fused = cnnfilt_op_copy (CNNFILT_OP (self));
  /* the batchnorm's own clamp (a relu given to it) comes with it */
  g_object_set (fused, "weights", weights, "bias", bias, "clamp-min", lo, "clamp-max", hi, NULL);
  return fused;
}

static CnnfiltOp *
cnnfilt_conv2d_fuse (CnnfiltOp *op, CnnfiltOp *next)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  const gchar *name = cnnfilt_op_get_name (next);
  gboolean clamped = self->clamp_min != -INFINITY || self->clamp_max != INFINITY;
  if (self->weights == NULL || self->algorithm == CONV_ALGORITHM_REFERENCE)
    return NULL;
  if (g_str_equal (name, "batchnorm"))
    return clamped || self->residual ? NULL : fold_batchnorm (self, next);
  if (g_str_equal (name, "add"))
    {
      /* a residual add: oneDNN adds it as it writes; any clamp of the add's
       * own (a relu fused into it) comes after */
      if (clamped || self->residual || self->algorithm != CONV_ALGORITHM_AUTO)
        return NULL;
      gfloat lo, hi;
      g_object_get (next, "clamp-min", &lo, "clamp-max", &hi, NULL);
      CnnfiltOp *fused = cnnfilt_op_copy (op);
      g_object_set (fused, "residual", TRUE, "clamp-min", lo, "clamp-max", hi, NULL);
      return fused;
    }
  return layer_fuse_clamp (op, self->clamp_min, self->clamp_max, next);
}

/* oneDNN's path reads and writes either layout; the graph may keep
 * tensors channels-last when it has a kernel for this shape. */
static CnnfiltLayoutSupport
cnnfilt_conv2d_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  WindowPlan p;
  if (self->algorithm != CONV_ALGORITHM_AUTO || self->weights == NULL ||
      !conv_plan (self, &inputs[0], &p, NULL))
    return CNNFILT_LAYOUT_SUPPORT_NCHW;
  if (!onednn_conv_matches (self->onednn, &inputs[0], CNNFILT_LAYOUT_NHWC, CNNFILT_LAYOUT_NHWC,
                            CNNFILT_LAYOUT_NHWC))
    {
      OnednnConv *old = g_steal_pointer (&self->onednn);
      self->onednn = onednn_conv_new (self, &inputs[0], &p, CNNFILT_LAYOUT_NHWC,
                                      CNNFILT_LAYOUT_NHWC, CNNFILT_LAYOUT_NHWC, old);
      onednn_conv_free (old);
    }
  return self->onednn ? CNNFILT_LAYOUT_SUPPORT_INPUT | CNNFILT_LAYOUT_SUPPORT_OUTPUT
                      : CNNFILT_LAYOUT_SUPPORT_NCHW;
}

static void
cnnfilt_conv2d_finalize (GObject *object)
{
  g_clear_pointer (&((CnnfiltConv2d *) object)->onednn, onednn_conv_free);
  G_OBJECT_CLASS (cnnfilt_conv2d_parent_class)->finalize (object);
}

/* new weights, geometry or epilogue: the plan and its packed weights go */
static void
cnnfilt_conv2d_changed (CnnfiltOp *layer)
{
  g_clear_pointer (&((CnnfiltConv2d *) layer)->onednn, onednn_conv_free);
}

/* 2·(C/groups)·kh·kw per output value, and one more for the bias */
static guint64
cnnfilt_conv2d_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      const CnnfiltShape *output)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  if (self->weights == NULL || output->c == 0)
    return 0;
  guint64 outputs = cnnfilt_shape_get_size (output);
  guint64 per_output = cnnfilt_tensor_get_size (self->weights) / output->c;
  return 2 * outputs * per_output + (self->bias != NULL ? outputs : 0);
}

static gboolean
cnnfilt_conv2d_window (CnnfiltOp *op, CnnfiltOpWindow *window)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  if (self->weights == NULL)
    return FALSE;
  window_describe (&self->window, (gint) cnnfilt_tensor_get_h (self->weights),
                   (gint) cnnfilt_tensor_get_w (self->weights), window);
  if (self->window.stride_h == 0)
    window->stride_h = 1;
  if (self->window.stride_w == 0)
    window->stride_w = 1;
  return TRUE;
}

static void
cnnfilt_conv2d_class_init (CnnfiltConv2dClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops = cnnfilt_conv2d_flops;
  CNNFILT_OP_CLASS (klass)->window = cnnfilt_conv2d_window;
  CNNFILT_OP_CLASS (klass)->changed = cnnfilt_conv2d_changed;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_conv2d_finalize;
  op_class->name = "conv2d";
  op_class->example = "conv2d weights=w.npy bias=b.npy stride=2 padding=3 ! relu";
  op_class->description = "2-D convolution with learned kernels: stride, padding, dilation, "
                          "groups (depthwise), bias, fused ReLU/ReLU6";
  op_class->onnx_op_type = "Conv";
  op_class->onnx_inputs = "- weights bias";
  op_class->onnx_attributes = WINDOW_ONNX_ATTRIBUTES
      " dilations:dilation-h,dilation-w group:groups kernel_shape:";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_conv2d_validate;
  op_class->infer = cnnfilt_conv2d_infer;
  op_class->run = cnnfilt_conv2d_run;
  op_class->fuse = cnnfilt_conv2d_fuse;
  op_class->layouts = cnnfilt_conv2d_layouts;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), conv2d_props, G_N_ELEMENTS (conv2d_props));
}

static void
cnnfilt_conv2d_class_finalize (CnnfiltConv2dClass *klass)
{
}

static void
cnnfilt_conv2d_init (CnnfiltConv2d *self)
{
}
