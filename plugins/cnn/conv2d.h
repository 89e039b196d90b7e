/* conv2d.h: the parts of conv2d, for its files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * conv2d.c is the op: its properties, shape inference, the choice of path
 * and fusion. The paths are beside it: conv2d-onednn.c (oneDNN's
 * convolution) and conv2d-gemm.c (im2col and sgemm, the depthwise loop,
 * and the reference loops), and conv2d-cl.c (conv2d.cl on OpenCL devices).
 */
#pragma once

#include "layer.h"
#include "onednn.h"

G_BEGIN_DECLS

/* What the convolution computes, apart from the input: the op's
 * properties, borrowed for the length of a call. */
typedef struct {
  CnnfiltTensor *weights;      /* O × C/groups × kh × kw */
  CnnfiltTensor *bias;         /* O values, or NULL */
  gint groups;
  gfloat clamp_min, clamp_max; /* applied last */
  gboolean residual;           /* a second input added before the clamp (oneDNN only) */
  gboolean winograd;           /* oneDNN may use Winograd for 3×3 stride-1 layers */
  gboolean activated;          /* a point op after the clamp: oneDNN's post-op */
  LayerEltwise activation;
} ConvParams;

/* Where @weights are a batchnorm folded into a convolution's, lets their
 * values go, to be folded again when read: for a packing that cannot be
 * undone (Winograd's), after which the op's tensor is only ever read to
 * pack again. */
void conv_release_folded (CnnfiltTensor *weights);

/* conv2d-gemm.c: the textbook loops, on NCHW tensors of @n_images images of
 * @c channels, into @o output channels. */
void     conv_run_reference (const ConvParams *conv, const CnnfiltWindowPlan *p, const gfloat *in,
                             guint n_images, guint c, gfloat *out, guint o);

/* conv2d-gemm.c: the depthwise loop or im2col and sgemm, on NCHW tensors,
 * with the calling thread's scratch; FALSE where that cannot be had. */
gboolean conv_run_gemm (const ConvParams *conv, const CnnfiltWindowPlan *p, const gfloat *in,
                        guint n_images, guint c, gfloat *out, guint o, GError **error);

/* conv2d-onednn.c: oneDNN's convolution for one input shape and layouts,
 * with its weights packed once for the kernel. */
typedef struct OnednnConv OnednnConv;

/* Makes *@plan fit @in, the window @p and the layouts, unless it already
 * does (the input, output and residual's); FALSE where oneDNN has no kernel
 * (the caller falls back to gemm). The packed weights of the plan it
 * replaces are taken over when the new kernel wants the same packing:
 * repacking (Winograd's above all) costs more than creating the kernel. */
gboolean onednn_conv_ensure (OnednnConv **plan, const ConvParams *conv, const CnnfiltShape *in,
                             const CnnfiltWindowPlan *p, CnnfiltLayout in_layout,
                             CnnfiltLayout out_layout, CnnfiltLayout res_layout);
/* @residual: the second input with residual, else NULL */
gboolean onednn_conv_run    (OnednnConv *plan, const gfloat *src, const gfloat *residual,
                             gfloat *dst, GError **error);
void     onednn_conv_free   (OnednnConv *plan);

/* conv2d-cl.c: conv2d.cl on an OpenCL device, with the weights packed for
 * its vectors once and kept in *@cl (conv_cl_free() when they change);
 * @residual the second input with residual, else NULL. */
typedef struct ConvCl ConvCl;
gboolean conv_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, ConvCl **cl,
                      const ConvParams *conv, const CnnfiltWindowPlan *p, CnnfiltTensor *in,
                      CnnfiltTensor *residual, CnnfiltTensor *out, GError **error);
void     conv_cl_free (ConvCl *cl);

G_END_DECLS
