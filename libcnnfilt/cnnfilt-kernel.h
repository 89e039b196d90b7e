/* cnnfilt-kernel.h: OpenCL kernels for ops, without OpenCL in the op
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include "cnnfilt-op.h"

G_BEGIN_DECLS

/**
 * CnnfiltKernelArgType:
 * @CNNFILT_KERNEL_ARG_INPUT: a tensor the kernel reads (`__global const
 *   float *`): its values are copied to the device first, unless they are
 *   current there already
 * @CNNFILT_KERNEL_ARG_OUTPUT: a tensor the kernel writes (`__global float *`):
 *   afterwards its values are current on the device only, and come back to
 *   the host when a host accessor asks for them
 * @CNNFILT_KERNEL_ARG_INT: an `int`
 * @CNNFILT_KERNEL_ARG_FLOAT: a `float`
 * @CNNFILT_KERNEL_ARG_LOCAL: `__local` memory of @bytes
 *
 * What one argument of an OpenCL kernel is.
 */
typedef enum {
  CNNFILT_KERNEL_ARG_INPUT,
  CNNFILT_KERNEL_ARG_OUTPUT,
  CNNFILT_KERNEL_ARG_INT,
  CNNFILT_KERNEL_ARG_FLOAT,
  CNNFILT_KERNEL_ARG_LOCAL,
} CnnfiltKernelArgType;

/**
 * CnnfiltKernelArg:
 * @type: what the argument is
 * @tensor: the tensor of an input or output
 * @int_value: the value of an int
 * @float_value: the value of a float
 * @bytes: the size of local memory
 *
 * One kernel argument; the CNNFILT_KERNEL_IN() family of macros make them.
 */
typedef struct {
  CnnfiltKernelArgType type;
  CnnfiltTensor *tensor;
  gint int_value;
  gfloat float_value;
  gsize bytes;
} CnnfiltKernelArg;

#define CNNFILT_KERNEL_IN(t)    { CNNFILT_KERNEL_ARG_INPUT, (t), 0, 0.0f, 0 }
#define CNNFILT_KERNEL_OUT(t)   { CNNFILT_KERNEL_ARG_OUTPUT, (t), 0, 0.0f, 0 }
#define CNNFILT_KERNEL_INT(i)   { CNNFILT_KERNEL_ARG_INT, NULL, (gint) (i), 0.0f, 0 }
#define CNNFILT_KERNEL_FLOAT(f) { CNNFILT_KERNEL_ARG_FLOAT, NULL, 0, (gfloat) (f), 0 }
#define CNNFILT_KERNEL_LOCAL(b) { CNNFILT_KERNEL_ARG_LOCAL, NULL, 0, 0.0f, (gsize) (b) }

/**
 * CnnfiltKernelLaunch:
 * @source: the OpenCL C program text
 * @options: build options (`-DK=3`), or %NULL
 * @name: the kernel function to run
 * @work_dim: 1, 2 or 3
 * @global: work-items per dimension; rounded up to a multiple of @local,
 *   so the kernel checks its bounds
 * @local: the work-group size per dimension, or all 0 for the library's
 *   choice (up to 64 work-items along the first dimension, within the
 *   device's and the kernel's limits); at most
 *   cnnfilt_kernel_get_max_work_group() in all
 *
 * One launch of a kernel.
 */
typedef struct {
  const gchar *source;
  const gchar *options;
  const gchar *name;
  guint work_dim;
  gsize global[3];
  gsize local[3];
} CnnfiltKernelLaunch;

/**
 * CnnfiltKernelRegion:
 * @n: images to copy
 * @c: channels to copy
 * @h: rows to copy
 * @w: columns to copy
 * @src_n: the first source image
 * @src_c: the first source channel
 * @src_c_step: source channels between copied channels: 1, or 0 to copy
 *   one source channel to every destination channel
 * @src_y: the first source row
 * @src_x: the first source column
 * @dst_n: the first destination image
 * @dst_c: the first destination channel
 * @dst_y: the first destination row
 * @dst_x: the first destination column
 *
 * A block of an NCHW tensor copied into another by cnnfilt_kernel_copy():
 * crops, concatenation, grey to RGB.
 */
typedef struct {
  guint n, c, h, w;
  guint src_n, src_c, src_c_step, src_y, src_x;
  guint dst_n, dst_c, dst_y, dst_x;
} CnnfiltKernelRegion;

gboolean cnnfilt_kernel_copy (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor *src,
                              CnnfiltTensor *dst, const CnnfiltKernelRegion *region,
                              GError **error);
gboolean cnnfilt_kernel_copy_all (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                                  CnnfiltTensor *src, CnnfiltTensor *dst, GError **error);

gboolean cnnfilt_kernel_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                             const CnnfiltKernelLaunch *launch, const CnnfiltKernelArg *args,
                             guint n_args, GError **error);
gsize    cnnfilt_kernel_get_max_work_group (const CnnfiltRunContext *ctx);
guint    cnnfilt_kernel_get_vector_width   (const CnnfiltRunContext *ctx);
guint    cnnfilt_kernel_get_compute_units  (const CnnfiltRunContext *ctx);
const gchar *cnnfilt_kernel_source_from_resource (const gchar *path, GError **error);

G_END_DECLS
