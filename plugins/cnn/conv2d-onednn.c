/* conv2d-onednn.c: conv2d's oneDNN path
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * oneDNN's convolution (brgemm kernels with AVX-512 here), on channels-last
 * (NHWC) copies of the input and output, with the weights reordered once
 * into its blocked layout, bias and clamp applied as it writes. The
 * primitives are made once per input shape and thread count and kept. A
 * batch whose working memory would pass CONV_WORKING_BUDGET runs in parts.
 */
#include "conv2d.h"

#include <math.h>
#include <omp.h>

/* oneDNN: the convolution on channels-last buffers, with the reorders
 * from and to our NCHW tensors. */
struct OnednnConv {
  CnnfiltShape shape;
  CnnfiltLayout in_layout, out_layout, res_layout;
  gint threads;                      /* the OpenMP threads it was made for */
  guint n_parts;                     /* the batch run in this many parts */
  gsize src_step, dst_step;          /* floats of a part's input and output */
  OnednnIo io;
  dnnl_primitive_t conv, res_reorder;
  OnednnPacked *weights;
  dnnl_memory_t bias, user_res;
};

/* The memory descriptors of a plan: the tensors as the caller holds them
 * (user_*), as the kernel takes them, and the weights in any layout, for
 * the kernel to choose. */
typedef struct {
  dnnl_dims_t src_dims, dst_dims;
  dnnl_memory_desc_t user_src, src, dst, user_dst, wei_any, user_wei, bias;
} ConvDescs;

void
onednn_conv_free (OnednnConv *plan)
{
  if (plan == NULL)
    return;
  onednn_io_clear (&plan->io);
  dnnl_primitive_t prims[] = { plan->conv, plan->res_reorder };
  for (guint i = 0; i < G_N_ELEMENTS (prims); i++)
    if (prims[i])
      dnnl_primitive_destroy (prims[i]);
  dnnl_memory_t mems[] = { plan->bias, plan->user_res };
  for (guint i = 0; i < G_N_ELEMENTS (mems); i++)
    if (mems[i])
      dnnl_memory_destroy (mems[i]);
  onednn_packed_unref (plan->weights);
  g_free (plan);
}

#define TRY(call) do { if ((status = (call)) != dnnl_success) goto fail; } while (0)

static dnnl_status_t
conv_descs_init (ConvDescs *d, const ConvParams *conv, const CnnfiltShape *in, const CnnfiltWindowPlan *p,
                 CnnfiltLayout in_layout, CnnfiltLayout out_layout)
{
  dnnl_status_t status;
  guint o = cnnfilt_tensor_get_n (conv->weights), g = conv->groups;
  *d = (ConvDescs) {
    .src_dims = { in->n, in->c, in->h, in->w },
    .dst_dims = { in->n, o, p->out_h, p->out_w },
  };
  TRY (dnnl_memory_desc_init_by_tag (&d->user_src, 4, d->src_dims, dnnl_f32,
                                     in_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw));
  TRY (dnnl_memory_desc_init_by_tag (&d->src, 4, d->src_dims, dnnl_f32, dnnl_nhwc));
  TRY (dnnl_memory_desc_init_by_tag (&d->dst, 4, d->dst_dims, dnnl_f32, dnnl_nhwc));
  TRY (dnnl_memory_desc_init_by_tag (&d->user_dst, 4, d->dst_dims, dnnl_f32,
                                     out_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw));
  if (g == 1)
    {
      dnnl_dims_t wd = { o, in->c, p->kernel_h, p->kernel_w };
      TRY (dnnl_memory_desc_init_by_tag (&d->user_wei, 4, wd, dnnl_f32, dnnl_oihw));
      TRY (dnnl_memory_desc_init_by_tag (&d->wei_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
    }
  else
    {
      dnnl_dims_t wd = { g, o / g, in->c / g, p->kernel_h, p->kernel_w };
      TRY (dnnl_memory_desc_init_by_tag (&d->user_wei, 5, wd, dnnl_f32, dnnl_goihw));
      TRY (dnnl_memory_desc_init_by_tag (&d->wei_any, 5, wd, dnnl_f32, dnnl_format_tag_any));
    }
  dnnl_dims_t bias_dims = { o };
  TRY (dnnl_memory_desc_init_by_tag (&d->bias, 1, bias_dims, dnnl_f32, dnnl_a));
fail:
  return status;
}

/* The fewest output tiles per thread a Winograd kernel is used for. Its
 * transformed weights are 16/9 (F(2×2, 3×3), which oneDNN picks for small
 * batches) or 4 times (F(4×4, 3×3)) the plain ones, and are read once a
 * run whatever the number of tiles: with few tiles for each thread the
 * kernel waits on reading them, and more threads need more tiles to keep
 * it busy. Measured on ResNet-18's 512-channel 7×7 layers in the whole
 * network, against direct convolution: on two threads, 8 tiles (batch 2,
 * F(4×4)) slower, 16 (batch 1, F(2×2); batch 4, F(4×4)) as fast, 32
 * (batch 8) 1.45 times faster; on one thread, 16 tiles already faster. A
 * direct convolution keeps a quarter of F(4×4)'s weights (ResNet-18 at
 * batch 4: 190 against 325 MB at the peak) and the first run does not pay
 * for the transform (ResNet-18 at batch 1: 76 against 290 ms). */
#define WINOGRAD_MIN_TILES_PER_THREAD 16

/* Whether the Winograd kernel of @pd has enough tiles of output for the
 * threads it runs on (WINOGRAD_MIN_TILES_PER_THREAD). */
static gboolean
winograd_worth_it (const_dnnl_primitive_desc_t pd, const ConvDescs *d, gint threads)
{
  const dnnl_memory_desc_t *wei = dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0);
  if (wei == NULL || wei->format_kind != dnnl_format_kind_wino)
    return TRUE;
  gint64 m = wei->format_desc.wino_desc.alpha - wei->format_desc.wino_desc.r + 1;
  if (m < 1)
    return TRUE;
  gint64 tiles = d->dst_dims[0] * ((d->dst_dims[2] + m - 1) / m) * ((d->dst_dims[3] + m - 1) / m);
  return tiles >= (gint64) WINOGRAD_MIN_TILES_PER_THREAD * MAX (threads, 1);
}

/* Winograd for 3×3 stride-1 layers where oneDNN has it (in its blocked
 * layout) and it pays (winograd_worth_it), else direct convolution on
 * channels-last. */
static dnnl_status_t
conv_primitive_desc_create (dnnl_primitive_desc_t *pd, const ConvDescs *d, const ConvParams *conv,
                            const CnnfiltWindowPlan *p, const_dnnl_primitive_attr_t attr,
                            dnnl_engine_t engine)
{
  dnnl_dims_t strides = { p->stride_h, p->stride_w }, dilates = { p->dilation_h - 1, p->dilation_w - 1 };
  dnnl_dims_t pad_l = { p->pad_top, p->pad_left }, pad_r = { p->pad_bottom, p->pad_right };
  const dnnl_memory_desc_t *bias = conv->bias ? &d->bias : NULL;
  dnnl_convolution_desc_t desc;
  gboolean winograd = conv->winograd && p->kernel_h == 3 && p->kernel_w == 3 && p->stride_h == 1 && p->stride_w == 1 &&
                      p->dilation_h == 1 && p->dilation_w == 1 && conv->groups == 1;
  dnnl_status_t status = dnnl_runtime_error;
  if (winograd)
    {
      dnnl_memory_desc_t src_any, dst_any;
      TRY (dnnl_memory_desc_init_by_tag (&src_any, 4, d->src_dims, dnnl_f32, dnnl_format_tag_any));
      TRY (dnnl_memory_desc_init_by_tag (&dst_any, 4, d->dst_dims, dnnl_f32, dnnl_format_tag_any));
      status = dnnl_dilated_convolution_forward_desc_init (
          &desc, dnnl_forward_inference, dnnl_convolution_winograd, &src_any, &d->wei_any, bias,
          &dst_any, strides, dilates, pad_l, pad_r);
      if (status == dnnl_success)
        status = dnnl_primitive_desc_create (pd, &desc, attr, engine, NULL);
      if (status == dnnl_success && !winograd_worth_it (*pd, d, omp_get_max_threads ()))
        {
          dnnl_primitive_desc_destroy (*pd);
          *pd = NULL;
          status = dnnl_unimplemented;
        }
    }
  if (status != dnnl_success)
    {
      TRY (dnnl_dilated_convolution_forward_desc_init (
          &desc, dnnl_forward_inference, dnnl_convolution_direct, &d->src, &d->wei_any, bias,
          &d->dst, strides, dilates, pad_l, pad_r));
      TRY (dnnl_primitive_desc_create (pd, &desc, attr, engine, NULL));
    }
fail:
  return status;
}

/* The memory a convolution works in beside its input and output: oneDNN's
 * scratchpad and the reordered copies of input and output. Winograd's is
 * large (its tiles transformed: 50 to 404 MB for each of VGG-16's layers
 * at batch 8); a batch that needs more than this
 * runs in parts that do not, as far as whole images allow. */
#define CONV_WORKING_BUDGET ((gsize) 64 << 20)

static gsize
conv_working_bytes (const_dnnl_primitive_desc_t pd, const ConvDescs *d)
{
  const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md (pd, dnnl_query_scratchpad_md, 0);
  const dnnl_memory_desc_t *src = dnnl_primitive_desc_query_md (pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *dst = dnnl_primitive_desc_query_md (pd, dnnl_query_dst_md, 0);
  gsize bytes = scratch ? dnnl_memory_desc_get_size (scratch) : 0;
  if (!dnnl_memory_desc_equal (src, &d->user_src))
    bytes += dnnl_memory_desc_get_size (src);
  if (!dnnl_memory_desc_equal (dst, &d->user_dst))
    bytes += dnnl_memory_desc_get_size (dst);
  return bytes;
}

/* Where the whole batch of @in needs more working memory than the budget
 * with *@pd, made for it, replaces *@pd and *@d by those of the part of
 * the batch to run at once: the most images, dividing the batch, that fit
 * the budget, else the part that needs least. oneDNN's memory is not
 * proportional to the images (Winograd's blocking changes with the batch:
 * 17 MB for one image of VGG-16's first layer, 404 MB for eight), so each
 * part size is asked. */
static dnnl_status_t
conv_choose_part (dnnl_primitive_desc_t *pd, ConvDescs *d, guint *part, const ConvParams *conv,
                  const CnnfiltShape *in, const CnnfiltWindowPlan *p, CnnfiltLayout in_layout,
                  CnnfiltLayout out_layout, const_dnnl_primitive_attr_t attr, dnnl_engine_t engine)
{
  dnnl_status_t status = dnnl_success;
  gsize least = conv_working_bytes (*pd, d);
  *part = in->n;
  for (guint size = in->n - 1; size >= 1 && least > CONV_WORKING_BUDGET; size--)
    {
      if (in->n % size != 0)
        continue;
      CnnfiltShape shape = *in;
      shape.n = size;
      ConvDescs descs;
      dnnl_primitive_desc_t candidate = NULL;
      TRY (conv_descs_init (&descs, conv, &shape, p, in_layout, out_layout));
      TRY (conv_primitive_desc_create (&candidate, &descs, conv, p, attr, engine));
      gsize bytes = conv_working_bytes (candidate, &descs);
      if (bytes >= least)
        {
          dnnl_primitive_desc_destroy (candidate);
          continue;
        }
      dnnl_primitive_desc_destroy (*pd);
      *pd = candidate;
      *d = descs;
      *part = size;
      least = bytes;
    }
fail:
  return status;
}

/* The memories around the kernel (OnednnIo), and the residual's, which
 * is copied into dst in the kernel's layout before the kernel adds to it.
 * @d has the kernel's layouts. */
static dnnl_status_t
conv_memories_create (OnednnConv *plan, const ConvDescs *d, gboolean residual,
                      dnnl_engine_t engine)
{
  dnnl_status_t status;
  TRY (onednn_io_init (&plan->io, engine, &d->user_src, &d->src, &d->dst, &d->user_dst));
  if (residual)
    {
      dnnl_memory_desc_t res_md;
      dnnl_format_tag_t tag = plan->res_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw;
      TRY (dnnl_memory_desc_init_by_tag (&res_md, 4, d->dst_dims, dnnl_f32, tag));
      TRY (dnnl_memory_create (&plan->user_res, &res_md, engine, DNNL_MEMORY_NONE));
      TRY (onednn_reorder_new (engine, plan->user_res, plan->io.dst, &plan->res_reorder));
    }
fail:
  return status;
}

/* The weights, reordered once into the layout the kernel wants, or those
 * of @old where they are already in it. */
static dnnl_status_t
conv_weights_pack (OnednnConv *plan, OnednnConv *old, const_dnnl_primitive_desc_t pd,
                   const ConvDescs *d, CnnfiltTensor *weights, dnnl_engine_t engine)
{
  const dnnl_memory_desc_t *wei_md = dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0);
  if (old != NULL && onednn_take_packed (&old->weights, wei_md, &plan->weights))
    return dnnl_success;
  /* Winograd's packed weights are four times the plain ones (175 MB for
   * ResNet-18) and cannot be turned back: the op's weights are kept
   * unless they can be made again otherwise (a batchnorm folded in) */
  dnnl_status_t status = onednn_pack_weights (engine, plan->io.stream, &d->user_wei, wei_md,
                                              weights, &plan->weights);
  if (status == dnnl_success && wei_md->format_kind != dnnl_blocked)
    conv_release_folded (weights);
  return status;
}

/* The plan for one input shape; NULL where oneDNN has no kernel for it.
 * The packed weights of @old, the plan for the same weights at another
 * shape or layout, are taken over when the new kernel wants the same
 * packing. */
static OnednnConv *
onednn_conv_new (const ConvParams *conv, const CnnfiltShape *in, const CnnfiltWindowPlan *p,
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
  plan->threads = omp_get_max_threads ();
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  ConvDescs d;
  TRY (conv_descs_init (&d, conv, in, p, in_layout, out_layout));
  TRY (onednn_attr_new_epilogue (&attr, conv->residual, conv->clamp_min, conv->clamp_max,
                                 conv->activated ? &conv->activation : NULL));
  TRY (conv_primitive_desc_create (&pd, &d, conv, p, attr, engine));
  guint part;
  TRY (conv_choose_part (&pd, &d, &part, conv, in, p, in_layout, out_layout, attr, engine));
  plan->n_parts = in->n / part;
  if (plan->n_parts > 1)
    g_debug ("conv2d: a batch of %u in %u parts, for its working memory", in->n, plan->n_parts);
  plan->src_step = (gsize) part * in->c * in->h * in->w;
  plan->dst_step = (gsize) part * cnnfilt_tensor_get_n (conv->weights) * p->out_h * p->out_w;
  TRY (dnnl_primitive_create (&plan->conv, pd));
  d.src = *dnnl_primitive_desc_query_md (pd, dnnl_query_src_md, 0);
  d.dst = *dnnl_primitive_desc_query_md (pd, dnnl_query_dst_md, 0);
  TRY (conv_memories_create (plan, &d, conv->residual, engine));
  TRY (conv_weights_pack (plan, old, pd, &d, conv->weights, engine));
  if (conv->bias)
    TRY (dnnl_memory_create (&plan->bias, &d.bias, engine,
                             cnnfilt_tensor_get_data (conv->bias, NULL)));
  dnnl_primitive_desc_destroy (pd);
  dnnl_primitive_attr_destroy (attr);
  return plan;

fail:
  g_debug ("conv2d: no oneDNN kernel for this shape (status %d); using gemm", (int) status);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  onednn_conv_free (plan);
  return NULL;
}

static gboolean
onednn_conv_matches (OnednnConv *plan, const CnnfiltShape *in, CnnfiltLayout in_layout,
                     CnnfiltLayout out_layout, CnnfiltLayout res_layout)
{
  return plan != NULL && cnnfilt_shape_equal (&plan->shape, in) && plan->in_layout == in_layout &&
         plan->out_layout == out_layout && plan->res_layout == res_layout &&
         plan->threads == omp_get_max_threads ();
}

gboolean
onednn_conv_ensure (OnednnConv **plan, const ConvParams *conv, const CnnfiltShape *in,
                    const CnnfiltWindowPlan *p, CnnfiltLayout in_layout, CnnfiltLayout out_layout,
                    CnnfiltLayout res_layout)
{
  if (!onednn_conv_matches (*plan, in, in_layout, out_layout, res_layout))
    {
      OnednnConv *old = g_steal_pointer (plan);
      *plan = onednn_conv_new (conv, in, p, in_layout, out_layout, res_layout, old);
      onednn_conv_free (old);
    }
  return *plan != NULL;
}

gboolean
onednn_conv_run (OnednnConv *plan, const gfloat *src, const gfloat *residual, gfloat *dst,
                 GError **error)
{
  dnnl_status_t status;
  for (guint k = 0; k < plan->n_parts; k++)
    {
      if (!onednn_io_begin (&plan->io, src + k * plan->src_step, dst + k * plan->dst_step,
                            "conv2d", error))
        return FALSE;
      if (plan->res_reorder)
        {
          TRY (dnnl_memory_set_data_handle (plan->user_res,
                                            (void *) (residual + k * plan->dst_step)));
          TRY (onednn_reorder_run (plan->res_reorder, plan->io.stream, plan->user_res,
                                   plan->io.dst));
        }
      dnnl_exec_arg_t args[] = {
        { DNNL_ARG_SRC, plan->io.src }, { DNNL_ARG_WEIGHTS, plan->weights->memory },
        { DNNL_ARG_DST, plan->io.dst }, { DNNL_ARG_BIAS, plan->bias },
      };
      TRY (onednn_execute (plan->conv, plan->io.stream, plan->bias ? 4 : 3, args));
      if (!onednn_io_end (&plan->io, "conv2d", error))
        return FALSE;
    }
  return TRUE;
fail:
  return onednn_error (error, "conv2d", "run the convolution", status);
}

#undef TRY
