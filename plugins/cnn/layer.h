/* layer.h: what the cnn plugin's ops share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The cnn plugin's ops derive from CnnfiltOp and declare their parameters
 * as a table of CnnfiltOpProp (cnnfilt_op_class_install_properties()); this
 * header holds what several of them share: the algorithm enum, property
 * rows, and class hooks ready to install (copy run, layouts, global pools,
 * clamp fusion). It includes the other shared parts, so that an op includes
 * this one header: broadcast.h (two-input elementwise ops), eltwise.h
 * (point ops on oneDNN's kernels), scratch.h (per-thread scratch) and
 * dim-expr.h (sizes as expressions of dims). The window of convolutions
 * and pools is the core's CnnfiltAreaOp.
 */
#pragma once

#include <cnnfilt.h>
#include <stddef.h>

#include "broadcast.h"
#include "dim-expr.h"
#include "eltwise.h"
#include "scratch.h"

G_BEGIN_DECLS

/* The instance init and class finalize functions of ops that need none. */
#define LAYER_NO_INIT(TypeName, type_name)                                     \
  static void type_name##_class_finalize (TypeName##Class *klass) {}            \
  static void type_name##_init (TypeName *self) {}

/* auto: the library kernels (oneDNN); reference: the op's own plain loops */
typedef enum {
  LAYER_ALGORITHM_AUTO,
  LAYER_ALGORITHM_REFERENCE,
} LayerAlgorithm;
GType cnnfilt_layer_algorithm_get_type (void);

#define LAYER_ALGORITHM_PROP(Type)                                                        \
  { "algorithm", "auto: oneDNN's kernels; reference: the plain loops", CNNFILT_OP_PROP_ENUM,          \
    CNNFILT_OP_PROP_FIELD (Type, algorithm), 0, 0, LAYER_ALGORITHM_AUTO,                               \
    cnnfilt_layer_algorithm_get_type, { 0 } }

/* FLOPs of global pools: H·W per output value. */
guint64 layer_global_pool_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                 const CnnfiltShape *output);

/* The window of linear layers and global pools: the whole input. */
gboolean layer_window_global (CnnfiltOp *op, CnnfiltOpWindow *window);

/* infer for global pools: n×c×1×1 */
gboolean layer_infer_global_pool (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                  CnnfiltShape *output, GError **error);

/* run for ops that copy their input: the output differs only in shape */
gboolean layer_run_copy (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                         CnnfiltTensor **inputs, guint n_inputs,
                         CnnfiltTensor *output, GError **error);

/* Below this many values a loop costs less on one thread than waking the
 * others takes (bench/layers README, "Decisions"); above it the copies and
 * elementwise loops of the plugin share the run's threads. */
#define LAYER_PARALLEL_MIN_VALUES (1u << 16)

/* y[i] = f(x[i]) for @count values, @y possibly @x: a point op's own
 * vectorised loop (silu, gelu). */
typedef void (*LayerValuesFunc) (const gfloat *x, gfloat *y, gsize count);

/* The CPU run of such a point op: @map over the values of @input into
 * @output, in chunks, on the run's threads from LAYER_PARALLEL_MIN_VALUES
 * values. */
void layer_map_values (const CnnfiltRunContext *ctx, CnnfiltTensor *input, CnnfiltTensor *output,
                       LayerValuesFunc map);

/* Defines @func, a point op's CPU run: layer_map_values() with @map. */
#define LAYER_MAP_VALUES_RUN(func, map)                                                         \
  static gboolean func (CnnfiltOp *op G_GNUC_UNUSED, const CnnfiltRunContext *ctx,              \
                        CnnfiltTensor **inputs, guint n_inputs G_GNUC_UNUSED,                   \
                        CnnfiltTensor *output, GError **error G_GNUC_UNUSED)                    \
  {                                                                                             \
    layer_map_values (ctx, inputs[0], output, (map));                                           \
    return TRUE;                                                                                \
  }

/* The dims of a loop over a dense output of sizes @d (four, outer first)
 * made as few and as long as they can be: dims of 1 dropped, and
 * neighbours merged where each of the @n_operands (at most 2) inputs steps
 * over them alike (its outer step is its inner step times the inner size:
 * contiguous, or both broadcast with step 0). The result is right-aligned
 * in @d, 1s in front, and each @steps[j] rewritten to match (0 in front). */
void layer_merge_dims (gsize d[4], gssize *const steps[], guint n_operands);

/* Writes @out's values densely into @dst, value (a, b, c, e) read at
 * @src + a·strides[0] + b·strides[1] + c·strides[2] + e·strides[3]: the
 * CPU run of ops that rearrange a view of their input (slice, transpose).
 * A transpose of a large tensor is copied on @n_threads. */
void layer_gather_strided (const gfloat *src, const gssize strides[4], const CnnfiltShape *out,
                           gfloat *dst, guint n_threads);

/* The OpenCL counterpart of layer_gather_strided (gather.cl), the values
 * read from @input's buffer at @base plus the steps; FALSE with @error,
 * naming @op, where the launch fails or takes more than G_MAXINT values. */
gboolean layer_gather_strided_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                                  CnnfiltTensor *input, gsize base, const gssize strides[4],
                                  CnnfiltTensor *output, GError **error);

/* run_cl for ops that copy their input */
gboolean layer_run_copy_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                            CnnfiltTensor **inputs, guint n_inputs,
                            CnnfiltTensor *output, GError **error);

/* run_cl of global pools (global-pool.cl): the mean, or the max */
gboolean layer_global_pool_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, gboolean max,
                                   CnnfiltTensor *input, CnnfiltTensor *output, GError **error);

/* The clamp properties of ops that take a following relu or clip into
 * their output (fused when a graph is prepared), and that fuse. */
#define LAYER_CLAMP_PROPS(Type)                                                           \
  { "clamp-min", "Outputs below are raised to it: 0 is a fused ReLU", CNNFILT_OP_PROP_FLOAT,         \
    CNNFILT_OP_PROP_FIELD (Type, clamp_min), -INFINITY, INFINITY, -INFINITY, NULL, { 0 } },          \
  { "clamp-max", "Outputs above are lowered to it: 6 with clamp-min=0 is ReLU6",           \
    CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (Type, clamp_max), -INFINITY, INFINITY, INFINITY, NULL, { 0 } }

/* A copy of @op, whose clamp is [@lo, @hi], with a following relu or clip
 * @next folded in; NULL for any other @next. */
CnnfiltOp *layer_fuse_clamp (CnnfiltOp *op, gfloat lo, gfloat hi, CnnfiltOp *next);

/* layouts for ops that compute value by value */
CnnfiltLayoutSupport layer_layouts_elementwise (CnnfiltOp *op, const CnnfiltShape *inputs,
                                                guint n_inputs);

/* layouts for ops that read either layout and write n×c×1×1, the same in
 * both (global pools) */
CnnfiltLayoutSupport layer_layouts_reads_any (CnnfiltOp *op, const CnnfiltShape *inputs,
                                              guint n_inputs);

/* A tensor property that must be set: an error naming it otherwise. */
gboolean layer_require_tensor (CnnfiltOp *op, CnnfiltTensor *tensor, const gchar *property,
                               GError **error);

G_END_DECLS
