/* conv-transpose.h: the parts of conv-transpose, for its files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * conv-transpose.c is the op: its properties, the output size and padding,
 * the plain loops and the OpenCL launch (conv-transpose.cl);
 * conv-transpose-onednn.c is oneDNN's deconvolution, which auto runs
 * wherever oneDNN takes the geometry.
 */
#pragma once

#include "layer.h"
#include "onednn.h"

G_BEGIN_DECLS

/* The geometry for one input size. Input row i, through kernel row k,
 * lands on row i·stride_h + k·dilation_h of the full output, which is
 * (in_h − 1)·stride_h + (kernel_h − 1)·dilation_h + 1 rows long; output
 * row y is full row y + pad_top, and pad_bottom rows of the full output are
 * left out after the last. Output padding or an output size larger than
 * the full output make pad_bottom (or pad_top) negative: rows no input
 * reaches, which hold the bias. Columns likewise. */
typedef struct {
  guint in_h, in_w, out_h, out_w;
  gint kernel_h, kernel_w;
  gint stride_h, stride_w;
  gint dilation_h, dilation_w;
  gint pad_top, pad_left, pad_bottom, pad_right;
} ConvTransposePlan;

/* What it computes apart from the input, borrowed from the op. */
typedef struct {
  CnnfiltTensor *weights; /* C_in × C_out/groups × kh × kw */
  CnnfiltTensor *bias;    /* C_out values, or NULL */
  gint groups;
} ConvTransposeParams;

/* conv-transpose-onednn.c: oneDNN's deconvolution for one input shape,
 * its weights packed once. */
typedef struct OnednnConvTranspose OnednnConvTranspose;

/* Makes *@plan fit @in and @p unless it does already; FALSE where oneDNN
 * has no kernel for them (negative pad_top, output padding beyond the
 * stride ...: the caller runs the plain loops). */
gboolean onednn_conv_transpose_ensure (OnednnConvTranspose **plan, const ConvTransposeParams *params,
                                       const CnnfiltShape *in, const ConvTransposePlan *p);
gboolean onednn_conv_transpose_run    (OnednnConvTranspose *plan, const gfloat *src, gfloat *dst,
                                       GError **error);
void     onednn_conv_transpose_free   (OnednnConvTranspose *plan);

G_END_DECLS
