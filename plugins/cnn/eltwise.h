/* eltwise.h: point ops on oneDNN's eltwise kernels
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A point op whose map is one of oneDNN's eltwise algorithms (silu is
 * swish, gelu gelu_erf …) says so in its class_init with
 * layer_point_op_set_eltwise(). Its CPU run is then oneDNN's JIT kernel:
 * vectorised exp/erf on the run's threads, where the expression's C loop
 * calls libm's scalar expf value by value (5–10 times slower). The loop
 * stays for small tensors, where a primitive's call costs more than the
 * work, and where oneDNN has no engine. The same description is how
 * conv2d takes such an op in as a post-op (see conv2d.c's fuse).
 */
#pragma once

#include <cnnfilt.h>
#include <oneapi/dnnl/dnnl.h>

G_BEGIN_DECLS

/* One oneDNN eltwise: out = alg(x; alpha, beta). after: the op's own run
 * is faster than oneDNN's post-op, and kernels apply it after they write
 * (layer_point_op_set_eltwise_after). */
typedef struct {
  dnnl_alg_kind_t alg;
  gfloat alpha, beta;
  gboolean after;
} LayerEltwise;

/* Fills @e for @op (its properties may set alpha and beta). */
typedef void (*LayerEltwiseFunc) (CnnfiltOp *op, LayerEltwise *e);

/* In a point op's class_init, after CNNFILT_POINT_OP_CLASS_SET_RUN():
 * the op is @func's eltwise; its CPU run becomes oneDNN's. */
void layer_point_op_set_eltwise (CnnfiltPointOpClass *klass, LayerEltwiseFunc func);

/* In a point op's class_init instead, for an op whose own CPU run is
 * faster than oneDNN's, which as a post-op costs more than a pass over
 * the output after the kernel, in the cache (silu: a 144-channel 56×56
 * depthwise conv took 0.08 ms, 0.25 with swish as its post-op, 0.17 with
 * silu's own run after it): the op keeps its run, conv2d and linear still
 * take it in as their activation, and apply it after their kernel. */
void layer_point_op_set_eltwise_after (CnnfiltPointOpClass *klass, LayerEltwiseFunc func);

/* The eltwise @op computes; FALSE if it is no such point op. */
gboolean layer_point_op_get_eltwise (CnnfiltOp *op, LayerEltwise *e);

/* The post-op of a kernel for its activation op @act (NULL: none) in @e:
 * TRUE where it has one; FALSE where the kernel runs without, and the
 * activation, if any, is then applied after it (layer_activate). */
gboolean layer_activation_post_op (CnnfiltOp *act, LayerEltwise *e);

/* The op of a fused activation=@name of @owner (conv2d, linear): a point
 * op with an eltwise and no properties; NULL with @error, naming @owner,
 * otherwise. */
CnnfiltOp *layer_activation_op_new (const gchar *owner, const gchar *name, GError **error);

/* A copy of @op (conv2d, linear) with @next, a point op it can take as
 * its activation, set as its `activation`; NULL for any other @next. */
CnnfiltOp *layer_fuse_activation (CnnfiltOp *op, CnnfiltOp *next);

/* Runs the activation op @act (NULL: nothing to do) in place on @output,
 * on the device or the CPU: the paths that do not apply it as they write. */
gboolean layer_activate (CnnfiltOp *act, const CnnfiltRunContext *ctx, CnnfiltTensor *output,
                         gboolean on_device, GError **error);

/* The eltwise of an op that takes no parameters: the func for @alg. */
#define LAYER_ELTWISE_FUNC(func, algorithm, a, b)                                             \
  static void func (CnnfiltOp *op G_GNUC_UNUSED, LayerEltwise *e)                               \
  {                                                                                             \
    *e = (LayerEltwise) { algorithm, a, b, FALSE };                                             \
  }

G_END_DECLS
